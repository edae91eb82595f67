// Sharing one run's budget among accounts: an even share each, what one leaves handed on in turn,
// a start that rotates from run to run, and the items interleaved by account.
import { describe, expect, it } from "vitest";
import { evenSplit, fairShare, rotationStart } from "../../functions/core/fair-share.js";

/** Accounts holding `counts[i]` items each, named A, B, C …; the items are `A1`, `A2` …. */
const accountsWith = (counts: Record<string, number>) => {
  const reads: Array<{ account: string; limit: number }> = [];
  return {
    accounts: Object.keys(counts),
    reads,
    read: async (account: string, limit: number) => {
      reads.push({ account, limit });
      const held = counts[account] ?? 0;
      return Array.from({ length: Math.min(held, limit) }, (_, index) => `${account}${index + 1}`);
    },
  };
};

/** How many of `accounts`, each with more work than `budget`, runs `firstTurn` on serve. */
const servedOver = async (
  accounts: string[],
  budget: number,
  firstTurn: number,
  runs: number,
): Promise<number> => {
  const busy = async (account: string, limit: number) =>
    Array.from({ length: limit }, (_, index) => `${account}-${index}`);
  const served = new Set<string>();
  for (let turn = firstTurn; turn < firstTurn + runs; turn++) {
    const shares = await fairShare({ accounts, budget, turn, read: busy });
    for (const { account } of shares) served.add(account);
  }
  return served.size;
};

const countBy = (shares: { account: string }[]) => {
  const counts: Record<string, number> = {};
  for (const { account } of shares) counts[account] = (counts[account] ?? 0) + 1;
  return counts;
};

describe("sharing a budget", () => {
  it("gives each account an even share when every account has plenty", async () => {
    // Prepare
    const { accounts, read } = accountsWith({ A: 100, B: 100, C: 100, D: 100 });

    // Act
    const shares = await fairShare({ accounts, budget: 20, turn: 0, read });

    // Assess
    expect(countBy(shares)).toEqual({ A: 5, B: 5, C: 5, D: 5 });
  });

  it("gives the odd items to the accounts first in this run's turn", async () => {
    // Prepare
    const { accounts, read } = accountsWith({ A: 100, B: 100, C: 100 });

    // Act
    const shares = await fairShare({ accounts, budget: 10, turn: 1, read });

    // Assess
    expect(countBy(shares)).toEqual({ B: 4, C: 3, A: 3 });
  });

  it("hands what the accounts with little work leave to those that filled their share", async () => {
    // Prepare
    const { accounts, read } = accountsWith({ A: 500, B: 1, C: 3 });

    // Act
    const shares = await fairShare({ accounts, budget: 200, turn: 0, read });

    // Assess
    expect(countBy(shares)).toEqual({ A: 196, B: 1, C: 3 });
  });

  it("hands what is left round in turn when it is less than one more each", async () => {
    // Prepare: 4 accounts with plenty and one with nothing share 11: 2 each, 3 left over
    const { accounts, read } = accountsWith({ A: 9, B: 9, C: 0, D: 9, E: 9 });

    // Act
    const shares = await fairShare({ accounts, budget: 11, turn: 0, read });

    // Assess
    expect(countBy(shares)).toEqual({ A: 3, B: 3, D: 3, E: 2 });
  });

  it("takes everything there is when the accounts hold less than the budget", async () => {
    // Prepare
    const { accounts, read } = accountsWith({ A: 3, B: 0, C: 2 });

    // Act
    const shares = await fairShare({ accounts, budget: 200, turn: 0, read });

    // Assess
    expect(countBy(shares)).toEqual({ A: 3, C: 2 });
  });

  it("never takes more than the budget, even from a read that answers more than asked", async () => {
    // Prepare
    const greedy = async (account: string) =>
      Array.from({ length: 1000 }, (_, index) => `${account}${index}`);

    // Act
    const shares = await fairShare({ accounts: ["A", "B"], budget: 7, turn: 0, read: greedy });

    // Assess
    expect(shares).toHaveLength(7);
  });

  it("takes nothing, and reads nothing, with no budget or no accounts", async () => {
    // Prepare
    const { accounts, read, reads } = accountsWith({ A: 5 });

    // Act
    const noBudget = await fairShare({ accounts, budget: 0, turn: 0, read });
    const noAccounts = await fairShare({ accounts: [], budget: 10, turn: 0, read });

    // Assess
    expect(noBudget).toEqual([]);
    expect(noAccounts).toEqual([]);
    expect(reads).toEqual([]);
  });

  it("reads an account again with a larger limit only when it filled its share", async () => {
    // Prepare
    const { accounts, read, reads } = accountsWith({ A: 500, B: 1 });

    // Act
    await fairShare({ accounts, budget: 200, turn: 0, read });

    // Assess
    expect(reads).toEqual([
      { account: "A", limit: 100 },
      { account: "B", limit: 100 },
      { account: "A", limit: 199 },
    ]);
  });

  it("reads no more accounts at once than it is allowed", async () => {
    // Prepare
    let reading = 0;
    let most = 0;
    const slow = async (account: string) => {
      reading++;
      most = Math.max(most, reading);
      await new Promise((resolve) => setTimeout(resolve, 1));
      reading--;
      return [account];
    };
    const accounts = Array.from({ length: 20 }, (_, index) => `account-${index}`);

    // Act
    await fairShare({ accounts, budget: 20, turn: 0, read: slow, concurrency: 4 });

    // Assess
    expect(most).toBe(4);
  });
});

describe("the order of the items", () => {
  it("interleaves the accounts round robin, so that no account comes last by design", async () => {
    // Prepare
    const { accounts, read } = accountsWith({ A: 3, B: 2, C: 1 });

    // Act
    const shares = await fairShare({ accounts, budget: 6, turn: 0, read });

    // Assess
    expect(shares.map((share) => share.item)).toEqual(["A1", "B1", "C1", "A2", "B2", "A3"]);
  });

  it("starts one account further on at each run when every account fits in the budget", async () => {
    // Prepare
    const { accounts, read } = accountsWith({ A: 5, B: 5, C: 5 });
    const firstAt = async (turn: number) =>
      (await fairShare({ accounts, budget: 30, turn, read }))[0]?.account;

    // Act
    const firsts = [await firstAt(0), await firstAt(1), await firstAt(2), await firstAt(3)];

    // Assess
    expect(firsts).toEqual(["A", "B", "C", "A"]);
  });
});

describe("more accounts than budget", () => {
  it("asks every account once before any account twice, so an empty account's place goes on to the next", async () => {
    // Prepare: ten accounts, a budget of three, work only in the last account
    const { accounts, read } = accountsWith({
      A: 0,
      B: 0,
      C: 0,
      D: 0,
      E: 0,
      F: 0,
      G: 0,
      H: 0,
      I: 0,
      J: 5,
    });

    // Act
    const shares = await fairShare({ accounts, budget: 3, turn: 0, read });

    // Assess
    expect(countBy(shares)).toEqual({ J: 3 });
  });

  it.each([
    { accounts: 7, budget: 3 },
    { accounts: 300, budget: 200 },
    { accounts: 401, budget: 200 },
    { accounts: 1000, budget: 200 },
  ])(
    "serves each of $accounts busy accounts within ceil(accounts / budget) runs of $budget",
    async ({ accounts, budget }) => {
      // Prepare: every account has more work than the whole budget
      const names = Array.from({ length: accounts }, (_, index) => `account-${index}`);
      const runs = Math.ceil(accounts / budget);

      // Act: from the first run, and from runs on any minute since 1970
      const firstTurns = [0, 1, 29_312_345, 29_312_346];
      const served = await Promise.all(
        firstTurns.map((firstTurn) => servedOver(names, budget, firstTurn, runs)),
      );

      // Assess
      expect(served).toEqual(firstTurns.map(() => accounts));
    },
  );
});

describe("the arithmetic", () => {
  it("splits a total as evenly as it can, the larger parts first", () => {
    expect(evenSplit(10, 3)).toEqual([4, 3, 3]);
    expect(evenSplit(2, 4)).toEqual([1, 1, 0, 0]);
  });

  it("starts run after run a budget further on, wrapping round the list", () => {
    expect([0, 1, 2, 3].map((turn) => rotationStart(turn, 200, 300))).toEqual([0, 200, 100, 0]);
    expect(rotationStart(-1, 3, 7)).toBe(4);
  });
});
