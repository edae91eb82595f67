// The CopySlots port's promises, as one suite run against the in-memory fake and against
// DynamoDB Local: never more holders than the limit, one slot and one place per copy, the queue
// oldest first, and a grant that moves a copy from the queue into a slot in one step.
import { beforeEach, describe, expect, it } from "vitest";
import type { CopySlots, SlotPool } from "../../functions/core/ports.js";

const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, second)).toISOString();

export const copySlotsContract = (name: string, makeSlots: () => Promise<CopySlots>) => {
  describe(`${name}: copy slots and their queue`, () => {
    let slots: CopySlots;
    let pool: SlotPool;
    let poolCount = 0;

    beforeEach(async () => {
      slots = await makeSlots();
      poolCount += 1;
      // A pool of its own for each test: the store may be shared.
      pool = { accountId: String(100000000000 + poolCount), region: "ap-mumbai" };
    });

    it("gives at most `limit` slots, even to many copies asking at once", async () => {
      // Act
      const taken = await Promise.all(
        Array.from({ length: 30 }, (_, index) => slots.take(pool, `job-${index}`, 20, at(0))),
      );

      // Assess
      expect(taken.filter(Boolean)).toHaveLength(20);
      expect((await slots.view(pool)).holders).toHaveLength(20);
    });

    it("gives a copy one slot however often it asks, and frees it once", async () => {
      // Act
      await slots.take(pool, "job-a", 2, at(0));
      const again = await slots.take(pool, "job-a", 2, at(1));
      const first = await slots.release(pool, "job-a");
      const second = await slots.release(pool, "job-a");

      // Assess
      expect(again).toBe(true);
      expect([first, second]).toEqual([true, false]);
      expect(await slots.take(pool, "job-b", 1, at(2))).toBe(true);
      expect(await slots.take(pool, "job-c", 1, at(2))).toBe(false);
    });

    it("learns how long its slots are held from copies that ran to their end, recent ones weighing most", async () => {
      // Prepare: a copy held its slot 100 s, another 200 s; a third gave it back unused
      const before = await slots.holdSeconds(pool);
      await slots.take(pool, "job-a", 5, at(0));
      await slots.take(pool, "job-b", 5, at(0));
      await slots.take(pool, "job-c", 5, at(0));

      // Act
      await slots.release(pool, "job-a", new Date(Date.parse(at(0)) + 100_000).toISOString());
      const afterOne = await slots.holdSeconds(pool);
      await slots.release(pool, "job-b", new Date(Date.parse(at(0)) + 200_000).toISOString());
      await slots.release(pool, "job-c");
      const released = await slots.release(pool, "job-a", at(59));

      // Assess
      expect(before).toBeUndefined();
      expect(afterOne).toBe(100);
      expect(await slots.holdSeconds(pool)).toBe(120);
      expect(released).toBe(false);
      expect(await slots.inUse(pool)).toBe(0);
    });

    it("counts the copies waiting as they join, are granted a slot and leave, each once", async () => {
      // Prepare
      for (const jobId of ["job-a", "job-b", "job-c", "job-d"]) {
        await slots.enqueue(pool, jobId, at(1));
      }

      // Act
      await slots.enqueue(pool, "job-a", at(2));
      await slots.grant(pool, "job-a", 5, at(3));
      await slots.leave(pool, "job-b");
      await slots.leave(pool, "job-b");
      await slots.leave(pool, "job-z");

      // Assess
      expect((await slots.view(pool)).queueLength).toBe(2);
      expect((await slots.head(pool, 10)).map((waiting) => waiting.jobId)).toEqual([
        "job-c",
        "job-d",
      ]);
    });

    it("counts the slots in use, none in a pool never used", async () => {
      // Prepare
      const unused = await slots.inUse(pool);
      await slots.take(pool, "job-a", 5, at(0));
      await slots.take(pool, "job-b", 5, at(1));
      await slots.release(pool, "job-a");

      // Act
      const inUse = await slots.inUse(pool);

      // Assess
      expect([unused, inUse]).toEqual([0, 1]);
    });

    it("queues copies oldest first, keeps a place asked for twice, and counts places", async () => {
      // Prepare
      await slots.enqueue(pool, "job-b", at(2));
      await slots.enqueue(pool, "job-a", at(1));
      const c = await slots.enqueue(pool, "job-c", at(3));

      // Act
      const again = await slots.enqueue(pool, "job-a", at(9));
      const head = await slots.head(pool, 10);

      // Assess
      expect(again.queuedAt).toBe(at(1));
      expect(head.map((waiting) => waiting.jobId)).toEqual(["job-a", "job-b", "job-c"]);
      expect(await slots.position(pool, c)).toBe(2);
      expect((await slots.view(pool)).queueLength).toBe(3);
    });

    it("grants a free slot to a waiting copy with its token, taking it out of the queue", async () => {
      // Prepare
      await slots.enqueue(pool, "job-a", at(1));
      await slots.setWakeToken(pool, "job-a", "token-a");

      // Act
      const outcome = await slots.grant(pool, "job-a", 1, at(2));

      // Assess
      expect(outcome).toEqual({ granted: true, wakeToken: "token-a", grantedAt: at(2) });
      expect(await slots.heldSince(pool, "job-a")).toBe(at(2));
      expect(await slots.queued(pool, "job-a")).toBeUndefined();
    });

    it("grants nothing when the pool is full, and nothing to a copy that no longer waits", async () => {
      // Prepare
      await slots.take(pool, "job-holder", 1, at(0));
      await slots.enqueue(pool, "job-a", at(1));

      // Act
      const full = await slots.grant(pool, "job-a", 1, at(2));
      const gone = await slots.grant(pool, "job-never-queued", 2, at(2));

      // Assess
      expect(full).toEqual({ granted: false, because: "full" });
      expect(gone).toEqual({ granted: false, because: "gone" });
      expect(await slots.queued(pool, "job-a")).toBeDefined();
    });

    it("grants a copy as the queue's head listed it, and answers stale if its wait changed or went since", async () => {
      // Prepare: job-a and job-b listed with their tokens; then job-a's wait begins again and
      // job-b leaves the queue
      await slots.enqueue(pool, "job-a", at(1));
      await slots.setWakeToken(pool, "job-a", "token-a");
      await slots.enqueue(pool, "job-b", at(2));
      await slots.setWakeToken(pool, "job-b", "token-b");
      await slots.enqueue(pool, "job-c", at(3));
      await slots.setWakeToken(pool, "job-c", "token-c");
      const [a, b, c] = await slots.head(pool, 3);
      await slots.setWakeToken(pool, "job-a", "token-a2");
      await slots.leave(pool, "job-b");

      // Act
      const changed = await slots.grant(pool, "job-a", 5, at(4), a);
      const gone = await slots.grant(pool, "job-b", 5, at(4), b);
      const asListed = await slots.grant(pool, "job-c", 5, at(4), c);
      const readAgain = await slots.grant(pool, "job-a", 5, at(5));

      // Assess
      expect([changed, gone]).toEqual([
        { granted: false, because: "stale" },
        { granted: false, because: "stale" },
      ]);
      expect(asListed).toEqual({ granted: true, wakeToken: "token-c", grantedAt: at(4) });
      expect(readAgain).toEqual({ granted: true, wakeToken: "token-a2", grantedAt: at(5) });
      expect((await slots.view(pool)).queueLength).toBe(0);
    });

    it("records a wake token only for a copy that waits", async () => {
      // Prepare
      await slots.enqueue(pool, "job-a", at(1));

      // Act
      const waiting = await slots.setWakeToken(pool, "job-a", "token-a");
      await slots.leave(pool, "job-a");
      const gone = await slots.setWakeToken(pool, "job-a", "token-b");

      // Assess
      expect([waiting, gone]).toEqual([true, false]);
    });

    it("stamps each slot given no earlier than the ones given before, whatever clock asks", async () => {
      // Act: the second writer's clock lags the first's
      await slots.take(pool, "job-a", 5, at(10));
      await slots.take(pool, "job-b", 5, at(4));

      // Assess
      expect(await slots.heldSince(pool, "job-a")).toBe(at(10));
      expect(await slots.heldSince(pool, "job-b")).toBe(at(10));
    });

    it("keeps the token a copy was woken with beside its slot, until the slot is given back", async () => {
      // Prepare
      await slots.take(pool, "job-a", 1, at(0));
      await slots.enqueue(pool, "job-b", at(1));
      await slots.setWakeToken(pool, "job-b", "token-b");
      await slots.release(pool, "job-a");

      // Act
      await slots.grant(pool, "job-b", 1, at(2));
      const held = await slots.view(pool);
      await slots.release(pool, "job-b");
      await slots.take(pool, "job-b", 1, at(3));
      const takenAgain = await slots.view(pool);

      // Assess
      expect(held.holders).toEqual([{ jobId: "job-b", since: at(2), wakeToken: "token-b" }]);
      expect(takenAgain.holders).toEqual([{ jobId: "job-b", since: at(3) }]);
    });

    it("gives no slot beyond the pool's own limit, to a newcomer or from the queue, whatever limit is asked", async () => {
      // Prepare
      const limit = { places: 2, reason: "foreign" as const, foreignPending: 18 };
      await slots.setLimit(pool, { ...limit, changedAt: at(0), checkedAt: at(0) }, undefined);
      await slots.take(pool, "job-a", 20, at(1));
      await slots.take(pool, "job-b", 20, at(1));
      await slots.enqueue(pool, "job-c", at(2));

      // Act
      const newcomer = await slots.take(pool, "job-d", 20, at(3));
      const fromQueue = await slots.grant(pool, "job-c", 20, at(3));
      await slots.release(pool, "job-a");
      const afterRelease = await slots.grant(pool, "job-c", 20, at(4));

      // Assess
      expect(newcomer).toBe(false);
      expect(fromQueue).toEqual({ granted: false, because: "full" });
      expect(afterRelease).toMatchObject({ granted: true });
      expect(await slots.inUse(pool)).toBe(2);
    });

    it("gives no slot at all while its own limit is 0", async () => {
      // Prepare
      const limit = { places: 0, reason: "foreign" as const, foreignPending: 20 };
      await slots.setLimit(pool, { ...limit, changedAt: at(0), checkedAt: at(0) }, undefined);

      // Act
      const taken = await slots.take(pool, "job-a", 20, at(1));

      // Assess
      expect(taken).toBe(false);
      expect(await slots.standing(pool)).toEqual({
        inUse: 0,
        limit: { ...limit, changedAt: at(0), checkedAt: at(0) },
      });
    });

    it("records its own limit only over the one the writer read", async () => {
      // Prepare
      const first = {
        places: 15,
        reason: "refused" as const,
        foreignPending: 5,
        changedAt: at(0),
        checkedAt: at(0),
      };
      const second = {
        places: 17,
        reason: "foreign" as const,
        foreignPending: 3,
        changedAt: at(30),
        checkedAt: at(30),
      };

      // Act
      const written = await slots.setLimit(pool, first, undefined);
      const overNone = await slots.setLimit(pool, second, undefined);
      const overFirst = await slots.setLimit(pool, second, first);
      const overStale = await slots.setLimit(pool, first, first);

      // Assess
      expect([written, overNone, overFirst, overStale]).toEqual([true, false, true, false]);
      expect((await slots.view(pool)).limit).toEqual(second);
      expect((await slots.standing(pool)).limit).toEqual(second);
    });

    it("has no limit of its own until one is set", async () => {
      // Act
      await slots.take(pool, "job-a", 5, at(0));

      // Assess
      expect(await slots.standing(pool)).toEqual({ inUse: 1 });
      expect((await slots.view(pool)).limit).toBeUndefined();
    });

    it("puts a holder back in the queue at the place it first joined, giving its slot back, once", async () => {
      // Prepare: job-a waited from second 1 and was granted at second 4; job-b waits from second 3
      await slots.take(pool, "job-x", 1, at(0));
      await slots.enqueue(pool, "job-a", at(1));
      await slots.enqueue(pool, "job-b", at(3));
      await slots.release(pool, "job-x");
      await slots.grant(pool, "job-a", 1, at(4));
      await slots.enqueue(pool, "job-c", at(5));

      // Act
      const back = await slots.requeue(pool, "job-a");
      const again = await slots.requeue(pool, "job-a");

      // Assess
      expect(back).toEqual({ jobId: "job-a", queuedAt: at(1), wakeToken: null });
      expect(again).toEqual(back);
      expect(await slots.heldSince(pool, "job-a")).toBeUndefined();
      expect(await slots.inUse(pool)).toBe(0);
      expect((await slots.head(pool, 5)).map((waiting) => waiting.jobId)).toEqual([
        "job-a",
        "job-b",
        "job-c",
      ]);
      expect((await slots.view(pool)).queueLength).toBe(3);
    });

    it("puts a copy that took a free slot at once back at the time it took it", async () => {
      // Prepare
      await slots.take(pool, "job-a", 2, at(2));
      await slots.enqueue(pool, "job-b", at(3));

      // Act
      const back = await slots.requeue(pool, "job-a");
      const never = await slots.requeue(pool, "job-never");

      // Assess
      expect(back?.queuedAt).toBe(at(2));
      expect(never).toBeUndefined();
      expect((await slots.head(pool, 5)).map((waiting) => waiting.jobId)).toEqual([
        "job-a",
        "job-b",
      ]);
    });

    it("lists the pools that ever held a slot", async () => {
      // Act
      await slots.take(pool, "job-a", 1, at(0));

      // Assess
      expect(await slots.pools()).toContainEqual(pool);
    });
  });
};
