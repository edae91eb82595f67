// The copy queue: a copy holds one of its region's slots while it runs, waits oldest first when
// none is free, and is handed a slot and woken when a copy ends. No overtaking, no leaks.
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  acquireSlot,
  awaitSlot,
  passOn,
  queuePosition,
  queueWaitSeconds,
  REWAKE_AFTER_SECONDS,
  reclaimSlots,
  releaseSlot,
  WAIT_FAR_BACK_SECONDS,
  WAIT_LONGEST_SECONDS,
  WAIT_NEAR_HEAD_SECONDS,
} from "../../functions/core/copy-queue.js";
import { finalizeCopy } from "../../functions/core/finalize.js";
import { recordCopyFailure } from "../../functions/core/record-failure.js";
import {
  ACCOUNT,
  aCopy,
  aJob,
  aQueuedJob,
  type Fakes,
  settings,
  stepFakes,
  stored,
  T0,
} from "./fakes.js";

const MUMBAI = "ap-mumbai";
const pool = { accountId: ACCOUNT, region: MUMBAI };

let fakes: Fakes;

/** A RUNNING job with one QUEUED copy to ap-mumbai, created `second`s after T0. */
const seedJob = (jobId: string, second = 0, accountId = ACCOUNT) =>
  fakes.jobs.seed(
    aQueuedJob(jobId, {
      accountId,
      createdAt: new Date(T0.getTime() + second * 1000).toISOString(),
    }),
  );

beforeEach(() => {
  fakes = stepFakes(settings({ copySlots: { default: 2, byRegion: { "ap-beijing": 5 } } }));
});

describe("taking a slot", () => {
  it("gives a newcomer a free slot when nobody waits", async () => {
    // Prepare
    seedJob("job-a");

    // Act
    const outcome = await acquireSlot("job-a", MUMBAI, fakes.deps);

    // Assess
    expect(outcome).toMatchObject({ acquired: true });
    expect(await fakes.slots.holds(pool, "job-a")).toBe(true);
  });

  it("queues copies once the region's slots are taken, each told its place", async () => {
    // Prepare
    for (const jobId of ["job-a", "job-b", "job-c", "job-d"]) seedJob(jobId);
    await acquireSlot("job-a", MUMBAI, fakes.deps);
    await acquireSlot("job-b", MUMBAI, fakes.deps);

    // Act
    const third = await acquireSlot("job-c", MUMBAI, fakes.deps);
    fakes.clock.advance(1);
    const fourth = await acquireSlot("job-d", MUMBAI, fakes.deps);

    // Assess
    expect(third).toMatchObject({ acquired: false, position: 0, queuedAt: T0.toISOString() });
    expect(fourth).toMatchObject({ acquired: false, position: 1 });
    expect((await fakes.slots.view(pool)).holders.map((h) => h.jobId)).toEqual(["job-a", "job-b"]);
  });

  it("holds one slot however often a copy asks, and keeps a waiting copy's place", async () => {
    // Prepare
    for (const jobId of ["job-a", "job-b", "job-c"]) seedJob(jobId);
    await acquireSlot("job-a", MUMBAI, fakes.deps);
    await acquireSlot("job-b", MUMBAI, fakes.deps);
    await acquireSlot("job-c", MUMBAI, fakes.deps);
    fakes.clock.advance(30);

    // Act
    const again = await acquireSlot("job-a", MUMBAI, fakes.deps);
    const stillWaiting = await acquireSlot("job-c", MUMBAI, fakes.deps);

    // Assess
    expect(again).toMatchObject({ acquired: true });
    expect(stillWaiting).toMatchObject({ acquired: false, position: 0 });
    expect((await fakes.slots.view(pool)).holders).toHaveLength(2);
    expect((await fakes.slots.queued(pool, "job-c"))?.queuedAt).toBe(T0.toISOString());
  });

  it("lets no newcomer overtake a waiting copy: a free slot goes to the oldest waiter", async () => {
    // Prepare: job-c waits (its token recorded), then a slot frees without being handed on
    for (const jobId of ["job-a", "job-b", "job-c", "job-new"]) seedJob(jobId);
    await acquireSlot("job-a", MUMBAI, fakes.deps);
    await acquireSlot("job-b", MUMBAI, fakes.deps);
    await acquireSlot("job-c", MUMBAI, fakes.deps);
    await awaitSlot("job-c", MUMBAI, "token-c", fakes.deps);
    await fakes.slots.release(pool, "job-a");

    // Act
    const newcomer = await acquireSlot("job-new", MUMBAI, fakes.deps);

    // Assess
    expect(newcomer).toMatchObject({ acquired: false, position: 0 });
    expect(await fakes.slots.holds(pool, "job-c")).toBe(true);
    expect(fakes.workflow.woken).toEqual([
      { token: "token-c", output: { acquired: true, grantedAt: T0.toISOString() } },
    ]);
  });

  it("passes over no waiter whose wait begins again as its slot is handed out", async () => {
    // Prepare: job-c and job-d wait; job-c's token changes under the first grant
    for (const jobId of ["job-a", "job-b", "job-c", "job-d"]) seedJob(jobId);
    for (const jobId of ["job-a", "job-b", "job-c", "job-d"]) {
      await acquireSlot(jobId, MUMBAI, fakes.deps);
    }
    await awaitSlot("job-c", MUMBAI, "token-c", fakes.deps);
    await awaitSlot("job-d", MUMBAI, "token-d", fakes.deps);
    fakes.slots.staleOnce.add("job-c");

    // Act
    await releaseSlot(await stored(fakes.jobs, "job-a"), MUMBAI, fakes.deps);

    // Assess
    expect(await fakes.slots.holds(pool, "job-c")).toBe(true);
    expect(await fakes.slots.holds(pool, "job-d")).toBe(false);
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-c"]);
  });

  it("counts each region by its own limit", async () => {
    // Prepare
    for (let index = 0; index < 5; index++) {
      fakes.jobs.seed(
        aJob({
          jobId: `job-${index}`,
          status: "RUNNING",
          copies: [aCopy("ap-beijing", { status: "QUEUED" })],
        }),
      );
    }

    // Act
    const outcomes = await Promise.all(
      [0, 1, 2, 3, 4].map((index) => acquireSlot(`job-${index}`, "ap-beijing", fakes.deps)),
    );

    // Assess
    expect(outcomes.every((outcome) => outcome.acquired)).toBe(true);
  });

  it("counts each account apart: one account's full region does not queue another's copy", async () => {
    // Prepare
    for (const jobId of ["job-a", "job-b"]) seedJob(jobId);
    seedJob("job-neighbour", 0, "444455556666");
    await acquireSlot("job-a", MUMBAI, fakes.deps);
    await acquireSlot("job-b", MUMBAI, fakes.deps);

    // Act
    const neighbour = await acquireSlot("job-neighbour", MUMBAI, fakes.deps);

    // Assess
    expect(neighbour).toMatchObject({ acquired: true });
  });

  it("needs no slot for a copy that already started (a resumed run)", async () => {
    // Prepare
    fakes.jobs.seed(
      aJob({
        jobId: "job-a",
        status: "RUNNING",
        copies: [aCopy(MUMBAI, { status: "COPYING", destinationSnapshotId: "snap-copy0001" })],
      }),
    );

    // Act
    const outcome = await acquireSlot("job-a", MUMBAI, fakes.deps);

    // Assess
    expect(outcome).toMatchObject({ acquired: true });
    expect((await fakes.slots.view(pool)).holders).toEqual([]);
  });
});

describe("how long a waiting copy waits before it asks again", () => {
  it("is five minutes near the head of a queue whose pace is not known yet", () => {
    expect(queueWaitSeconds({ position: 3, nearHead: 40, slots: 20, holdSeconds: undefined })).toBe(
      WAIT_NEAR_HEAD_SECONDS,
    );
  });

  it("grows with the time already waited while the queue's pace is not known: 19 asks in 52 hours", () => {
    // Simulate a copy at the head behind copies that have not ended, asking whenever its wait runs out.
    let waited = 0;
    let asks = 0;
    while (waited < 52 * 3_600) {
      waited += queueWaitSeconds({
        position: 0,
        nearHead: 40,
        slots: 20,
        holdSeconds: undefined,
        waitedSeconds: waited,
      });
      asks += 1;
    }
    expect(asks).toBe(19);
    // Whole seconds, as a Task's TimeoutSecondsPath must be, however long it waited.
    expect(
      queueWaitSeconds({
        position: 0,
        nearHead: 40,
        slots: 20,
        holdSeconds: undefined,
        waitedSeconds: 1_234.567,
      }),
    ).toBe(1_235);
    // Once a copy of the pool has ended, its pace decides, as before.
    expect(
      queueWaitSeconds({
        position: 0,
        nearHead: 40,
        slots: 20,
        holdSeconds: 600,
        waitedSeconds: 10_000,
      }),
    ).toBe(WAIT_NEAR_HEAD_SECONDS);
  });

  it("is four hours far back in a queue of short copies", () => {
    expect(queueWaitSeconds({ position: 40, nearHead: 40, slots: 20, holdSeconds: 60 })).toBe(
      WAIT_FAR_BACK_SECONDS,
    );
  });

  it("is as long as the queue takes to bring it to the head, behind day-long copies", () => {
    // 20 slots each freed once a day: the 11th in line is reached in about 11/20 of a day
    expect(queueWaitSeconds({ position: 10, nearHead: 40, slots: 20, holdSeconds: 86_400 })).toBe(
      47_520,
    );
  });

  it("is never longer than a week", () => {
    expect(queueWaitSeconds({ position: 40, nearHead: 40, slots: 1, holdSeconds: 86_400 })).toBe(
      WAIT_LONGEST_SECONDS,
    );
  });

  it("follows the pace the pool's finished copies showed", async () => {
    // Prepare: two slots; job-a's copy ran 3,000 s, job-b holds the other slot, job-c and job-d wait
    for (const [index, jobId] of ["job-a", "job-b", "job-c", "job-d"].entries()) {
      seedJob(jobId, index);
      await acquireSlot(jobId, MUMBAI, fakes.deps);
    }
    fakes.clock.advance(3000);
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps, {
      copyEnded: true,
    });
    seedJob("job-e", 5);

    // Act
    const outcome = await acquireSlot("job-e", MUMBAI, fakes.deps);

    // Assess: job-d is first in line, job-e second: (1 + 1) × 3,000 s ÷ 2 slots
    expect(outcome).toMatchObject({ acquired: false, position: 1, waitSeconds: 3000 });
  });
});

describe("giving a slot back", () => {
  beforeEach(async () => {
    for (const [index, jobId] of ["job-a", "job-b", "job-c", "job-d"].entries()) {
      seedJob(jobId, index);
      fakes.clock.advance(1);
      await acquireSlot(jobId, MUMBAI, fakes.deps);
    }
    await awaitSlot("job-c", MUMBAI, "token-c", fakes.deps);
    await awaitSlot("job-d", MUMBAI, "token-d", fakes.deps);
  });

  it("hands it to the oldest waiting copy and wakes that copy alone", async () => {
    // Act
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);

    // Assess
    expect(fakes.workflow.woken.map((wake) => wake.token)).toEqual(["token-c"]);
    expect((await fakes.slots.view(pool)).holders.map((h) => h.jobId).sort()).toEqual([
      "job-b",
      "job-c",
    ]);
    expect(await queuePosition(await stored(fakes.jobs, "job-d"), MUMBAI, fakes.deps)).toBe(0);
  });

  it("wakes the next copy after one read of the pool and one of the queue's head", async () => {
    // Prepare: every call to the store, in order, until the wake-up
    const calls: string[] = [];
    for (const method of ["leave", "release", "standing", "head", "grant", "queued"] as const) {
      const original = fakes.slots[method].bind(fakes.slots) as (...args: unknown[]) => unknown;
      vi.spyOn(fakes.slots, method).mockImplementation((async (...args: unknown[]) => {
        calls.push(method);
        return original(...args);
      }) as never);
    }
    const wake = fakes.workflow.wake.bind(fakes.workflow);
    vi.spyOn(fakes.workflow, "wake").mockImplementation(async (token, output) => {
      calls.push("wake");
      return wake(token, output);
    });

    // Act
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);

    // Assess: the slot and any place go back together, then the head is granted as it was read
    expect(calls.slice(0, calls.indexOf("wake") + 1)).toEqual([
      "leave",
      "release",
      "standing",
      "head",
      "grant",
      "wake",
    ]);
  });

  it("reads a waiting copy's entry again when its wait began again after the head was read", async () => {
    // Prepare: job-c's token changes between the read of the head and its grant
    const head = fakes.slots.head.bind(fakes.slots);
    vi.spyOn(fakes.slots, "head").mockImplementationOnce(async (at, count) => {
      const listed = await head(at, count);
      await fakes.slots.setWakeToken(pool, "job-c", "token-c2");
      return listed;
    });

    // Act
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);

    // Assess
    expect(fakes.workflow.woken.map((wake) => wake.token)).toEqual(["token-c2"]);
    expect(await fakes.slots.holds(pool, "job-c")).toBe(true);
  });

  it("frees one slot however often it is given back", async () => {
    // Act
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);

    // Assess
    expect(fakes.workflow.woken.map((wake) => wake.token)).toEqual(["token-c"]);
    expect((await fakes.slots.view(pool)).queueLength).toBe(1);
  });

  it("is what finishing a copy does", async () => {
    // Prepare
    await fakes.jobs.apply(
      "job-a",
      { copies: { [MUMBAI]: { status: "COPYING", destinationSnapshotId: "snap-copy0001" } } },
      T0.toISOString(),
    );

    // Act
    await finalizeCopy("job-a", MUMBAI, fakes.deps);

    // Assess
    expect(await fakes.slots.holds(pool, "job-a")).toBe(false);
    expect(fakes.workflow.woken.map((wake) => wake.token)).toEqual(["token-c"]);
  });

  it("is what a failed copy does, and a failed waiting copy leaves the queue", async () => {
    // Act
    await recordCopyFailure("job-a", MUMBAI, { code: "CopyFailed", message: "x" }, fakes.deps);
    await recordCopyFailure("job-d", MUMBAI, { code: "CopyFailed", message: "x" }, fakes.deps);

    // Assess
    expect(await fakes.slots.holds(pool, "job-a")).toBe(false);
    expect(await fakes.slots.queued(pool, "job-d")).toBeUndefined();
    expect((await fakes.slots.view(pool)).queueLength).toBe(0);
  });

  it("keeps the slot of a copy whose wait already ended: it finds the slot when it asks again", async () => {
    // Prepare
    fakes.workflow.goneTokens.add("token-c");

    // Act
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);
    const askedAgain = await acquireSlot("job-c", MUMBAI, fakes.deps);

    // Assess
    expect(askedAgain).toMatchObject({ acquired: true });
    expect(await fakes.slots.queued(pool, "job-d")).toBeDefined();
  });
});

describe("handing a slot on", () => {
  it("never fails the step that gives a slot back, even when the wake-up does not go through", async () => {
    // Prepare
    for (const jobId of ["job-a", "job-b", "job-c"]) seedJob(jobId);
    for (const jobId of ["job-a", "job-b", "job-c"]) await acquireSlot(jobId, MUMBAI, fakes.deps);
    await awaitSlot("job-c", MUMBAI, "token-c", fakes.deps);
    fakes.workflow.wake = async () => {
      throw new Error("ThrottlingException: Rate exceeded");
    };

    // Act
    const releasing = releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);

    // Assess: the slot went to job-c; its own wait's timeout or the sweeper wakes it
    await expect(releasing).resolves.toBeUndefined();
    expect(await fakes.slots.heldSince(pool, "job-c")).toBeDefined();
  });

  it("hands free slots on even when a retried step finds nothing left to give back", async () => {
    // Prepare: the first attempt freed job-a's slot, then died before handing it on
    for (const jobId of ["job-a", "job-b", "job-c"]) seedJob(jobId);
    for (const jobId of ["job-a", "job-b", "job-c"]) await acquireSlot(jobId, MUMBAI, fakes.deps);
    await awaitSlot("job-c", MUMBAI, "token-c", fakes.deps);
    await fakes.slots.release(pool, "job-a");

    // Act
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);

    // Assess
    expect(fakes.workflow.woken.map((wake) => wake.token)).toEqual(["token-c"]);
  });
});

describe("a wake-up", () => {
  it("reaches a copy granted a slot before it recorded its token, as soon as the token comes", async () => {
    // Prepare: job-c is queued, then granted a slot before its wait task recorded a token
    for (const jobId of ["job-a", "job-b", "job-c"]) seedJob(jobId);
    for (const jobId of ["job-a", "job-b", "job-c"]) await acquireSlot(jobId, MUMBAI, fakes.deps);
    await fakes.slots.release(pool, "job-a");
    await passOn(pool, fakes.deps);

    // Act
    const answer = await awaitSlot("job-c", MUMBAI, "token-c", fakes.deps);

    // Assess
    expect(answer).toEqual({ waiting: false });
    expect(fakes.workflow.woken).toEqual([
      { token: "token-c", output: expect.objectContaining({ acquired: true }) },
    ]);
  });
});

describe("the sweeper's reclaim", () => {
  it("takes back the slot of a copy whose job ended without giving it, and hands it on", async () => {
    // Prepare: job-a's execution was stopped while it held a slot; the sweeper failed the job
    for (const jobId of ["job-a", "job-b", "job-c"]) seedJob(jobId);
    for (const jobId of ["job-a", "job-b", "job-c"]) await acquireSlot(jobId, MUMBAI, fakes.deps);
    await awaitSlot("job-c", MUMBAI, "token-c", fakes.deps);
    await fakes.jobs.apply("job-a", { status: "FAILED" }, T0.toISOString());

    // Act
    const report = await reclaimSlots(fakes.deps);

    // Assess
    expect(report.released).toEqual([{ pool, jobId: "job-a" }]);
    expect(report.granted).toEqual([{ pool, jobId: "job-c" }]);
    expect(fakes.workflow.woken.map((wake) => wake.token)).toEqual(["token-c"]);
  });

  it("drops waiting copies of jobs that ended, and leaves live ones alone", async () => {
    // Prepare
    for (const jobId of ["job-a", "job-b", "job-c", "job-d"]) seedJob(jobId);
    for (const jobId of ["job-a", "job-b", "job-c", "job-d"]) {
      await acquireSlot(jobId, MUMBAI, fakes.deps);
    }
    await fakes.jobs.apply("job-c", { status: "FAILED" }, T0.toISOString());

    // Act
    const report = await reclaimSlots(fakes.deps);

    // Assess
    expect(report.released).toEqual([]);
    expect(report.dropped).toEqual([{ pool, jobId: "job-c" }]);
    expect((await fakes.slots.head(pool, 10)).map((waiting) => waiting.jobId)).toEqual(["job-d"]);
  });

  it("wakes again a copy given its slot from the queue a minute ago that has not started", async () => {
    // Prepare: job-c was handed job-a's slot, but its wake-up did not go through
    for (const jobId of ["job-a", "job-b", "job-c"]) seedJob(jobId);
    for (const jobId of ["job-a", "job-b", "job-c"]) await acquireSlot(jobId, MUMBAI, fakes.deps);
    await awaitSlot("job-c", MUMBAI, "token-c", fakes.deps);
    const wake = fakes.workflow.wake.bind(fakes.workflow);
    fakes.workflow.wake = async () => {
      throw new Error("ThrottlingException: Rate exceeded");
    };
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);
    fakes.workflow.wake = wake;
    fakes.clock.advance(REWAKE_AFTER_SECONDS);

    // Act
    const report = await reclaimSlots(fakes.deps);

    // Assess
    expect(report.rewoken).toEqual([{ pool, jobId: "job-c" }]);
    expect(fakes.workflow.woken).toEqual([
      { token: "token-c", output: { acquired: true, grantedAt: T0.toISOString() } },
    ]);
  });

  it("leaves alone a copy given its slot moments ago, or one that has started", async () => {
    // Prepare: job-c was handed a slot just now; job-d was handed one long ago and started
    for (const jobId of ["job-a", "job-b", "job-c", "job-d"]) seedJob(jobId);
    for (const jobId of ["job-a", "job-b", "job-c", "job-d"]) {
      await acquireSlot(jobId, MUMBAI, fakes.deps);
    }
    await awaitSlot("job-c", MUMBAI, "token-c", fakes.deps);
    await awaitSlot("job-d", MUMBAI, "token-d", fakes.deps);
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-a" }, MUMBAI, fakes.deps);
    fakes.clock.advance(REWAKE_AFTER_SECONDS);
    await fakes.jobs.apply(
      "job-c",
      { copies: { [MUMBAI]: { status: "COPYING", destinationSnapshotId: "snap-copy0003" } } },
      fakes.clock.now().toISOString(),
    );
    await releaseSlot({ accountId: ACCOUNT, jobId: "job-b" }, MUMBAI, fakes.deps);
    const wokenBefore = fakes.workflow.woken.length;

    // Act
    const report = await reclaimSlots(fakes.deps);

    // Assess: job-c started; job-d was handed its slot this very moment
    expect(report.rewoken).toEqual([]);
    expect(fakes.workflow.woken).toHaveLength(wokenBefore);
  });
});
