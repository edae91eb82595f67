// A fair share of one run's budget among accounts, so that one account's backlog cannot push the
// others' work out of the run. Generic over what an account is and what it hands out: the sweeper
// shares its batch of jobs with it, the DR scheduler its due policies.
import { inBatches } from "./in-batches.js";

export interface FairShareRequest<A, T> {
  /** The accounts to serve, in an order that is the same from one run to the next. */
  accounts: readonly A[];
  /** The most items the run takes, from all accounts together. */
  budget: number;
  /**
   * Which run this is: any whole number that grows by one from one run to the next. With more
   * accounts than budget, run `turn` starts at account (turn × budget) mod accounts, so
   * successive runs walk the list in windows of `budget` and every account is served within
   * ceil(accounts / budget) runs. With fewer, every account is served every run and the start
   * moves on by one, so no account is always first.
   */
  turn: number;
  /**
   * Up to `limit` of the account's items, first things first. Asked again with a larger limit,
   * it answers the same items first: an account that filled its share is read again for more.
   */
  read(account: A, limit: number): Promise<readonly T[]>;
  /** How many reads run at once. */
  concurrency?: number;
}

export interface Share<A, T> {
  account: A;
  item: T;
}

/** Where run `turn` starts in a list of `count` accounts (see FairShareRequest.turn). */
export const rotationStart = (turn: number, budget: number, count: number): number => {
  const step = count > budget ? turn * budget : turn;
  return ((step % count) + count) % count;
};

/** `total` split into `parts` shares as even as can be, the larger ones first. */
export const evenSplit = (total: number, parts: number): number[] =>
  Array.from(
    { length: parts },
    (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0),
  );

/** Each account's first item, then each one's second, and so on: round robin. */
const interleave = <A, T>(order: readonly A[], taken: Map<A, readonly T[]>): Share<A, T>[] => {
  const columns = order.map((account) =>
    (taken.get(account) ?? []).map((item) => ({ account, item })),
  );
  const longest = Math.max(0, ...columns.map((column) => column.length));
  return Array.from({ length: longest }, (_, rank) =>
    columns.flatMap((column) => column.slice(rank, rank + 1)),
  ).flat();
};

/**
 * Shares `budget` among the accounts: each is asked for an even share (at least one while the
 * budget allows, every account once before any account twice), and what the accounts with less
 * work leave goes to those that filled their share, in turn, until the budget is spent or nobody
 * has more. The items come back interleaved by account (A1, B1, C1, A2, …), so a run cut short
 * leaves no account last by design.
 *
 * An account asked for more is read again from its start (with the larger limit): reads stay
 * plain "first n" reads, at the cost of reading some items twice in a run where one account has
 * far more work than the rest.
 */
export const fairShare = async <A, T>(request: FairShareRequest<A, T>): Promise<Share<A, T>[]> => {
  const { accounts, budget, turn, read, concurrency = 8 } = request;
  if (accounts.length === 0 || budget < 1) return [];
  const start = rotationStart(turn, budget, accounts.length);
  const order = [...accounts.slice(start), ...accounts.slice(0, start)];
  const taken = new Map<A, readonly T[]>();
  let unread: readonly A[] = order;
  /** Accounts that gave all they were asked for, so may have more; in the order they get more. */
  let filled: readonly A[] = [];
  let left = budget;
  while (left > 0) {
    const asking = unread.length > 0;
    const queue = asking ? unread : filled;
    // Never more accounts than budget left: each one asked gets at least one more item.
    const round = queue.slice(0, left);
    if (round.length === 0) break;
    const rest = queue.slice(round.length);
    const extras = evenSplit(left, round.length);
    const asks = round.map((account, index) => ({
      account,
      limit: (taken.get(account)?.length ?? 0) + (extras[index] ?? 0),
    }));
    const results = await inBatches(asks, concurrency, async ({ account, limit }) => ({
      account,
      limit,
      items: (await read(account, limit)).slice(0, limit),
    }));
    const again: A[] = [];
    const hadOddOne: A[] = [];
    for (const [index, { account, limit, items }] of results.entries()) {
      left -= items.length - (taken.get(account)?.length ?? 0);
      taken.set(account, items);
      if (items.length < limit) continue;
      // An account given one more than the rest this round waits behind them for the next.
      if ((extras[index] ?? 0) > (extras.at(-1) ?? 0)) {
        hadOddOne.push(account);
      } else {
        again.push(account);
      }
    }
    again.push(...hadOddOne);
    // Those not asked this round come before those asked again: more goes round in turn.
    if (asking) {
      unread = rest;
      filled = [...filled, ...again];
    } else {
      filled = [...rest, ...again];
    }
  }
  return interleave(order, taken);
};
