// Adaptive slots: a pool whose account holds copies that are not snaprelay's (another tool's, in
// the same region) gives only the places the cloud leaves it, and gives them back as those copies
// finish. A copy the cloud refuses for its copy limit leaves its slot and waits at its place.
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  acquireSlot,
  awaitSlot,
  describeLimit,
  LIMIT_RECHECK_SECONDS,
  limitAfterLook,
  limitAfterRefusal,
  placesLeft,
  REFUSAL_KEPT_SECONDS,
  reclaimSlots,
  releaseSlot,
} from "../../functions/core/copy-queue.js";
import { TAG_JOB_ID } from "../../functions/core/copy-tags.js";
import { DomainError } from "../../functions/core/errors.js";
import type { PoolLimit } from "../../functions/core/ports.js";
import { startCopy } from "../../functions/core/start-copy.js";
import { ACCOUNT, aQueuedJob, type Fakes, settings, stepFakes, T0 } from "./fakes.js";

const MUMBAI = "ap-mumbai";
const SOURCE = "ap-shanghai";
const pool = { accountId: ACCOUNT, region: MUMBAI };
const NOW = T0.toISOString();

let fakes: Fakes;

/** A RUNNING job with one QUEUED copy to ap-mumbai. */
const seedJob = (jobId: string) => fakes.jobs.seed(aQueuedJob(jobId));

/** `count` copies pending in ap-mumbai that another tool made (no snaprelay tag). */
const foreignCopies = (count: number, from = 0) =>
  Array.from({ length: count }, (_, index) =>
    fakes.snapshots.add(MUMBAI, `snap-foreign${from + index}`, {
      state: "pending",
      progress: 10,
      volumeId: "vol-ffffffff",
      tags: { Name: "another tool's copy" },
    }),
  );

/** The cloud refuses the next CopySnapshot for its copy limit. */
const refuseNextCopy = () =>
  vi
    .spyOn(fakes.snapshots, "startCopy")
    .mockRejectedValueOnce(
      new DomainError(
        "CopyCapacityExceeded",
        "the destination region has as many copies as EC2 allows",
      ),
    );

const holders = async () => (await fakes.slots.view(pool)).holders.map((h) => h.jobId);

const limitOf = async () => (await fakes.slots.view(pool)).limit;

beforeEach(() => {
  fakes = stepFakes(settings({ copySlots: { default: 20, byRegion: { "ap-beijing": 4 } } }));
  fakes.snapshots.add(SOURCE, "snap-oi5spwt2");
});

describe("the places a pool may give", () => {
  it("are the cloud's 20 less the copies that are not snaprelay's", () => {
    expect([0, 5, 19].map((foreign) => placesLeft(20, foreign))).toEqual([20, 15, 1]);
  });

  it("are none when copies that are not snaprelay's take the cloud's whole limit", () => {
    expect([20, 23].map((foreign) => placesLeft(20, foreign))).toEqual([0, 0]);
  });

  it("are never more than the pool's configured slots", () => {
    expect([placesLeft(4, 0), placesLeft(4, 15), placesLeft(4, 17)]).toEqual([4, 4, 3]);
  });
});

describe("the limit after the cloud refuses a copy", () => {
  const refused = (foreign: number | undefined, othersHolding: number, current?: PoolLimit) =>
    limitAfterRefusal({ current, configured: 20, foreign, othersHolding, now: NOW });

  it("comes down to the places the copies that are not snaprelay's leave", () => {
    expect(refused(5, 19)).toEqual({
      places: 15,
      reason: "refused",
      foreignPending: 5,
      changedAt: NOW,
      checkedAt: NOW,
    });
  });

  it("is no more than the other copies holding a slot, when the cloud shows no copy of others", () => {
    expect(refused(0, 12).places).toBe(12);
  });

  it("is never below 1 while the cloud shows room for one", () => {
    expect([refused(19, 0).places, refused(0, 0).places, refused(undefined, 0).places]).toEqual([
      1, 1, 1,
    ]);
  });

  it("is 0 when the cloud shows its whole limit taken by copies that are not snaprelay's", () => {
    expect(refused(20, 3).places).toBe(0);
  });

  it("keeps its time of change when the places do not move", () => {
    const current: PoolLimit = {
      places: 15,
      reason: "refused",
      foreignPending: 5,
      changedAt: "2026-01-01T00:00:00.000Z",
      checkedAt: "2026-01-01T00:00:00.000Z",
    };
    expect(refused(5, 18, current)).toMatchObject({
      places: 15,
      changedAt: "2026-01-01T00:00:00.000Z",
      checkedAt: NOW,
    });
  });
});

describe("the limit after the cloud is looked at again", () => {
  const lowered = (fields: Partial<PoolLimit> = {}): PoolLimit => ({
    places: 15,
    reason: "refused",
    foreignPending: 5,
    changedAt: NOW,
    checkedAt: NOW,
    ...fields,
  });
  const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000).toISOString();

  it("rises as the copies that are not snaprelay's finish, up to the configured slots", () => {
    const current = lowered();
    const look = (foreign: number) =>
      limitAfterLook({ current, configured: 20, foreign, now: later(60) })?.places;
    expect([look(3), look(0)]).toEqual([17, 20]);
  });

  it("comes down further when more such copies show", () => {
    expect(
      limitAfterLook({ current: lowered(), configured: 20, foreign: 8, now: later(60) }),
    ).toMatchObject({ places: 12, reason: "foreign", foreignPending: 8, changedAt: later(60) });
  });

  it("is set by a look alone, before any refusal, when such copies show", () => {
    expect(limitAfterLook({ current: undefined, configured: 20, foreign: 5, now: NOW })).toEqual({
      places: 15,
      reason: "foreign",
      foreignPending: 5,
      changedAt: NOW,
      checkedAt: NOW,
    });
    expect(limitAfterLook({ current: undefined, configured: 20, foreign: 0, now: NOW })).toBe(
      undefined,
    );
  });

  it("keeps a refusal's limit that the cloud's listing did not explain, until it is old", () => {
    const current = lowered({ places: 12, foreignPending: 0 });
    const look = (seconds: number) =>
      limitAfterLook({ current, configured: 20, foreign: 0, now: later(seconds) });
    expect(look(60)).toMatchObject({ places: 12, changedAt: NOW, checkedAt: later(60) });
    expect(look(REFUSAL_KEPT_SECONDS)).toMatchObject({ places: 20, reason: "foreign" });
  });

  it("reads for an ops engineer as the places of the configured slots and why", () => {
    expect(describeLimit(20, lowered({ reason: "foreign" }))).toBe(
      `limit 15 of 20: 5 copies in this account are not snaprelay's (seen ${NOW})`,
    );
    expect(describeLimit(20, lowered())).toBe(
      `limit 15 of 20: the cloud refused a copy for its copy limit; 5 copies in this account are not snaprelay's (seen ${NOW})`,
    );
    expect(describeLimit(20, undefined)).toBe("limit 20 of 20");
  });
});

describe("a copy the cloud refuses for its copy limit", () => {
  /** 20 copies hold a slot, 5 of the cloud's places are another tool's; job-a is refused. */
  const refusedAmongTwenty = async () => {
    foreignCopies(5);
    const jobs = Array.from({ length: 20 }, (_, index) => `job-${String(index).padStart(2, "0")}`);
    for (const jobId of jobs) {
      seedJob(jobId);
      await acquireSlot(jobId, MUMBAI, fakes.deps);
      fakes.clock.advance(1);
    }
    seedJob("job-late");
    await acquireSlot("job-late", MUMBAI, fakes.deps);
    refuseNextCopy();
    const refusal = await startCopy("job-00", MUMBAI, fakes.deps).catch((error) => error);
    return { jobs, refusal };
  };

  it("brings the pool's limit down to the places the cloud leaves, and says why", async () => {
    // Act
    const { refusal } = await refusedAmongTwenty();

    // Assess
    expect(refusal).toMatchObject({ code: "CopyCapacityExceeded" });
    expect(await limitOf()).toEqual({
      places: 15,
      reason: "refused",
      foreignPending: 5,
      changedAt: NOW.replace(":00.000Z", ":20.000Z"),
      checkedAt: NOW.replace(":00.000Z", ":20.000Z"),
    });
  });

  it("gives its slot back and waits again first in the queue, before copies that came later", async () => {
    // Act
    await refusedAmongTwenty();

    // Assess
    expect(await holders()).not.toContain("job-00");
    expect((await fakes.slots.head(pool, 5)).map((q) => q.jobId)).toEqual(["job-00", "job-late"]);
  });

  it("is not given a slot the cloud has no place for, and waits by the queue's rule", async () => {
    // Prepare
    await refusedAmongTwenty();

    // Act
    const asked = await acquireSlot("job-00", MUMBAI, fakes.deps);

    // Assess: 19 copies hold a slot, 15 places: nothing to give
    expect(asked).toMatchObject({ acquired: false, position: 0 });
    expect(await holders()).not.toContain("job-00");
  });

  it("is given the first slot that frees under the new limit, and woken", async () => {
    // Prepare: 19 hold a slot; 15 places, so four more copies must end before one is free
    const { jobs } = await refusedAmongTwenty();
    await acquireSlot("job-00", MUMBAI, fakes.deps);
    await awaitSlot("job-00", MUMBAI, "token-00", fakes.deps);

    // Act
    for (const jobId of jobs.slice(1, 5)) {
      await releaseSlot({ accountId: ACCOUNT, jobId }, MUMBAI, fakes.deps);
    }
    const beforeLast = await holders();
    await releaseSlot({ accountId: ACCOUNT, jobId: jobs[5] ?? "" }, MUMBAI, fakes.deps);

    // Assess
    expect(beforeLast).not.toContain("job-00");
    expect(await holders()).toContain("job-00");
    expect(await holders()).toHaveLength(15);
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-00"]);
  });

  it("does not copy when its step runs again after it went back to the queue", async () => {
    // Prepare: nine copies gave their slots back, their hand-off not yet made
    const { jobs } = await refusedAmongTwenty();
    for (const jobId of jobs.slice(1, 10)) await fakes.slots.release(pool, jobId);
    const copiesBefore = fakes.snapshots.copiesStarted.length;

    // Act
    const retried = await startCopy("job-00", MUMBAI, fakes.deps).catch((error) => error);

    // Assess: nor does it lower the limit again, the cloud having refused nothing
    expect(retried).toMatchObject({ code: "CopyCapacityExceeded" });
    expect(fakes.snapshots.copiesStarted).toHaveLength(copiesBefore);
    expect((await fakes.slots.head(pool, 1)).map((q) => q.jobId)).toEqual(["job-00"]);
    expect((await limitOf())?.places).toBe(15);
  });

  it("keeps its place when the refusal is handled twice", async () => {
    // Prepare
    await refusedAmongTwenty();
    refuseNextCopy();

    // Act: a second step that held no claim meets the same refusal
    await startCopy("job-00", MUMBAI, fakes.deps).catch(() => undefined);

    // Assess
    expect((await fakes.slots.head(pool, 5)).map((q) => q.jobId)).toEqual(["job-00", "job-late"]);
    expect((await limitOf())?.places).toBe(15);
  });
});

describe("places given back as copies that are not snaprelay's finish", () => {
  /** The pool at 15 of 20 places, full, with job-w waiting for a slot. */
  const loweredAndFull = async () => {
    const foreign = foreignCopies(5);
    await fakes.slots.setLimit(
      pool,
      { places: 15, reason: "refused", foreignPending: 5, changedAt: NOW, checkedAt: NOW },
      undefined,
    );
    for (let index = 0; index < 15; index++) {
      seedJob(`job-${index}`);
      await acquireSlot(`job-${index}`, MUMBAI, fakes.deps);
    }
    seedJob("job-w");
    await acquireSlot("job-w", MUMBAI, fakes.deps);
    await awaitSlot("job-w", MUMBAI, "token-w", fakes.deps);
    return foreign;
  };

  const finish = (snapshotIds: string[]) => {
    for (const id of snapshotIds) fakes.snapshots.update(MUMBAI, id, { state: "completed" });
  };

  it("are given back by the sweeper's walk, and the waiting copy is granted one", async () => {
    // Prepare
    const foreign = await loweredAndFull();
    finish(foreign.map((view) => view.snapshotId).slice(0, 2));
    fakes.clock.advance(LIMIT_RECHECK_SECONDS);

    // Act
    await reclaimSlots(fakes.deps);

    // Assess
    expect(await limitOf()).toMatchObject({ places: 17, reason: "foreign", foreignPending: 3 });
    expect(await holders()).toContain("job-w");
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-w"]);
  });

  it("are all given back once none is left, and never more than the configured slots", async () => {
    // Prepare
    const foreign = await loweredAndFull();
    finish(foreign.map((view) => view.snapshotId));
    fakes.clock.advance(LIMIT_RECHECK_SECONDS);

    // Act
    await reclaimSlots(fakes.deps);
    fakes.clock.advance(LIMIT_RECHECK_SECONDS);
    await reclaimSlots(fakes.deps);

    // Assess
    expect((await limitOf())?.places).toBe(20);
    for (let index = 0; index < 10; index++) {
      seedJob(`job-more-${index}`);
      await acquireSlot(`job-more-${index}`, MUMBAI, fakes.deps);
    }
    expect(await holders()).toHaveLength(20);
  });

  it("are given back at a copy's end, looked at no more often than every 30 s", async () => {
    // Prepare
    const foreign = await loweredAndFull();
    finish(foreign.map((view) => view.snapshotId));
    const count = vi.spyOn(fakes.snapshots, "countForeignPending");

    // Act: one copy ends at once (the limit was just looked at), another 30 s later
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-0" }, MUMBAI, fakes.deps, {
      copyEnded: true,
    });
    const soon = await limitOf();
    fakes.clock.advance(LIMIT_RECHECK_SECONDS);
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-1" }, MUMBAI, fakes.deps, {
      copyEnded: true,
    });

    // Assess
    expect(soon?.places).toBe(15);
    expect(count).toHaveBeenCalledTimes(1);
    expect((await limitOf())?.places).toBe(20);
  });

  it("are seen by a waiting copy that asks again, when the pool has no copy of its own to end", async () => {
    // Prepare: others' copies take all 20 places; job-a was refused and waits
    const foreign = foreignCopies(20);
    seedJob("job-a");
    await acquireSlot("job-a", MUMBAI, fakes.deps);
    refuseNextCopy();
    await startCopy("job-a", MUMBAI, fakes.deps).catch(() => undefined);
    const waiting = await acquireSlot("job-a", MUMBAI, fakes.deps);
    finish(foreign.map((view) => view.snapshotId).slice(0, 4));
    fakes.clock.advance(LIMIT_RECHECK_SECONDS);

    // Act
    const askedAgain = await acquireSlot("job-a", MUMBAI, fakes.deps);

    // Assess
    expect(waiting).toMatchObject({ acquired: false });
    expect(askedAgain).toMatchObject({ acquired: true });
    expect((await limitOf())?.places).toBe(4);
  });

  it("are not counted for snaprelay's own copies, nor for snapshots being taken", async () => {
    // Prepare
    foreignCopies(2);
    fakes.snapshots.add(MUMBAI, "snap-ours", {
      state: "pending",
      volumeId: "vol-ffffffff",
      tags: { [TAG_JOB_ID]: "job-x" },
    });
    fakes.snapshots.add(MUMBAI, "snap-taken", { state: "pending", volumeId: "vol-0abc1234" });
    fakes.snapshots.add(MUMBAI, "snap-done", { state: "completed", volumeId: "vol-ffffffff" });

    // Act
    const counted = await fakes.snapshots.countForeignPending(ACCOUNT, MUMBAI);

    // Assess
    expect(counted).toBe(2);
  });

  it("queues every copy while the cloud's whole limit is taken by copies that are not snaprelay's", async () => {
    // Prepare
    foreignCopies(20);
    seedJob("job-a");
    seedJob("job-b");
    await acquireSlot("job-a", MUMBAI, fakes.deps);
    refuseNextCopy();
    await startCopy("job-a", MUMBAI, fakes.deps).catch(() => undefined);

    // Act
    const a = await acquireSlot("job-a", MUMBAI, fakes.deps);
    const b = await acquireSlot("job-b", MUMBAI, fakes.deps);

    // Assess
    expect((await limitOf())?.places).toBe(0);
    expect([a.acquired, b.acquired]).toEqual([false, false]);
    expect(await holders()).toEqual([]);
  });
});
