// Cancelling a job: it ends CANCELLED with who cancelled it, its execution stops, and nothing of
// it stays behind: no place in a queue, no slot, no partial snapshot (or one recorded PENDING and
// deleted by the sweeper once the cloud allows, trying less often each time, and after its last
// try left ABANDONED to the tenant with the command that deletes it). A finished job cannot be
// cancelled.
import { beforeEach, describe, expect, it } from "vitest";
import { CLEANUP_ATTEMPTS, cancelJob, cleanUpCancelled } from "../../functions/core/cancel-job.js";
import { acquireSlot, awaitSlot } from "../../functions/core/copy-queue.js";
import { startCopy } from "../../functions/core/start-copy.js";
import { type SweepReport, sweepJobs } from "../../functions/core/sweep-jobs.js";
import {
  ACCOUNT,
  aCopy,
  aJob,
  aQueuedJob,
  executionArnOf,
  type Fakes,
  settings,
  stepFakes,
  stored,
  T0,
} from "./fakes.js";

const MUMBAI = "ap-mumbai";
const pool = { accountId: ACCOUNT, region: MUMBAI };
let fakes: Fakes;
const deps = () => ({ ...fakes.deps, workflow: fakes.workflow });
const SWEEP = { startGraceSeconds: 0, checkSeconds: 900, giveUpSeconds: 3600, batchSize: 10 };
const sweep = () => sweepJobs({ ...deps(), sweep: SWEEP });

/** A RUNNING job with one copy to ap-mumbai, not started yet. */
const seedJob = (jobId: string) => fakes.jobs.seed(aQueuedJob(jobId));

beforeEach(async () => {
  // One slot in ap-mumbai: job-1's copy runs in it, job-2's copy waits for it.
  fakes = stepFakes(settings({ copySlots: { default: 1, byRegion: {} } }));
  fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2");
  seedJob("job-1");
  seedJob("job-2");
  for (const jobId of ["job-1", "job-2"]) {
    await fakes.workflow.start(jobId, { jobId });
    await acquireSlot(jobId, MUMBAI, fakes.deps);
  }
  await startCopy("job-1", MUMBAI, fakes.deps);
  await awaitSlot("job-2", MUMBAI, "slot-token-2", fakes.deps);
});

describe("cancelling a job whose copy waits in the queue", () => {
  it("ends it CANCELLED, says who cancelled it, and stops its execution", async () => {
    // Act
    const job = await cancelJob(
      { jobId: "job-2", accountId: ACCOUNT, reason: "wrong snapshot" },
      deps(),
    );

    // Assess
    expect(job.status).toBe("CANCELLED");
    expect(job.copies[0]?.status).toBe("CANCELLED");
    expect(job.cancellation).toEqual({
      by: ACCOUNT,
      at: T0.toISOString(),
      reason: "wrong snapshot",
    });
    expect(fakes.workflow.stopped.map((s) => s.executionArn)).toEqual([executionArnOf("job-2")]);
  });

  it("takes the copy out of the queue and leaves the running copy its slot", async () => {
    // Act
    await cancelJob({ jobId: "job-2", accountId: ACCOUNT }, deps());

    // Assess
    expect(await fakes.slots.queued(pool, "job-2")).toBeUndefined();
    expect((await fakes.slots.view(pool)).holders.map((h) => h.jobId)).toEqual(["job-1"]);
    expect(fakes.snapshots.deleted).toEqual([]);
  });
});

describe("cancelling a job whose copy is under way", () => {
  it("deletes the partial snapshot in the destination and records it DELETED", async () => {
    // Act
    const job = await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());

    // Assess
    expect(fakes.snapshots.deleted).toEqual(["snap-copy0001"]);
    expect(job.copies[0]?.cleanup).toEqual({
      snapshotId: "snap-copy0001",
      state: "DELETED",
      attempts: 1,
    });
  });

  it("hands its slot to the next waiting copy, which is woken", async () => {
    // Act
    await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());

    // Assess
    expect(await fakes.slots.holds(pool, "job-1")).toBe(false);
    expect(await fakes.slots.holds(pool, "job-2")).toBe(true);
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["slot-token-2"]);
  });

  it("records a snapshot the cloud will not delete yet as PENDING, and the sweeper deletes it", async () => {
    // Prepare
    fakes.snapshots.failNextDeleteWith = new Error("IncorrectState: the snapshot is busy");
    const job = await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());
    fakes.clock.advance(120);

    // Act
    const report = await sweep();

    // Assess
    expect(job.copies[0]?.cleanup).toMatchObject({ snapshotId: "snap-copy0001", state: "PENDING" });
    expect(job.copies[0]?.cleanup?.message).toContain("the snapshot is busy");
    expect(report.actions.cleaned).toEqual(["job-1"]);
    expect((await stored(fakes.jobs, "job-1")).copies[0]?.cleanup?.state).toBe("DELETED");
    expect(fakes.snapshots.deleted).toEqual(["snap-copy0001"]);
  });
});

describe("a copy whose start was under way when its job was cancelled", () => {
  it("is deleted by the step that made it", async () => {
    // Prepare: job-2 got its slot, and its job is cancelled as StartCopy calls CopySnapshot
    await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());
    const original = fakes.snapshots.startCopy.bind(fakes.snapshots);
    fakes.snapshots.startCopy = async (request) => {
      const snapshotId = await original(request);
      await cancelJob({ jobId: "job-2", accountId: ACCOUNT }, deps());
      return snapshotId;
    };

    // Act
    const attempt = startCopy("job-2", MUMBAI, fakes.deps);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: "IllegalTransition" });
    expect(await fakes.snapshots.describe(ACCOUNT, MUMBAI, "snap-copy0002")).toBeUndefined();
    expect(fakes.snapshots.deleted).toContain("snap-copy0002");
    expect((await stored(fakes.jobs, "job-2")).copies[0]?.cleanup).toEqual({
      snapshotId: "snap-copy0002",
      state: "DELETED",
      attempts: 1,
    });
  });
});

describe("cancelling", () => {
  it("a second time answers the cancelled job as it is", async () => {
    // Prepare
    const first = await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());

    // Act
    const second = await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());

    // Assess
    expect(second.status).toBe("CANCELLED");
    expect(second.cancellation).toEqual(first.cancellation);
    expect(fakes.snapshots.deleted).toEqual(["snap-copy0001"]);
  });

  it("a job that has ended is refused with JobFinished, and the job is left as it was", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ jobId: "job-done", status: "COMPLETED" }));

    // Act
    const attempt = cancelJob({ jobId: "job-done", accountId: ACCOUNT }, deps());

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: "JobFinished",
      message: expect.stringContaining("already ended COMPLETED"),
    });
    expect((await stored(fakes.jobs, "job-done")).status).toBe("COMPLETED");
  });

  it("another account's job is not found, and nothing changes", async () => {
    // Act
    const attempt = cancelJob({ jobId: "job-1", accountId: "999988887777" }, deps());

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: "JobNotFound" });
    expect((await stored(fakes.jobs, "job-1")).status).toBe("RUNNING");
    expect(fakes.workflow.stopped).toEqual([]);
  });
});

describe("a partial snapshot the cloud keeps refusing to delete", () => {
  /** Sweeps once a minute for up to two days, noting the minutes at which a delete was tried. */
  const sweepEveryMinute = async () => {
    const triedAt: number[] = [];
    const reports: SweepReport[] = [];
    let attempts = 1;
    for (let minute = 1; minute <= 2 * 24 * 60; minute++) {
      fakes.clock.advance(60);
      reports.push(await sweep());
      const cleanup = (await stored(fakes.jobs, "job-1")).copies[0]?.cleanup;
      if ((cleanup?.attempts ?? 0) > attempts) triedAt.push(minute);
      attempts = cleanup?.attempts ?? 0;
    }
    return { triedAt, reports };
  };

  it("is tried again after 1, 2, 4 … minutes, at most 4 hours apart, and never sooner", async () => {
    // Prepare: snaprelay's role in the account was removed
    fakes.snapshots.refusedAccounts.add(ACCOUNT);
    await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());

    // Act
    const { triedAt } = await sweepEveryMinute();

    // Assess
    const gaps = triedAt.map((minute, index) => minute - (triedAt[index - 1] ?? 0));
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 240, 240, 240, 240, 240]);
  });

  it("is given up after its last try, telling the tenant how to delete it, and leaves the sweeper's queue", async () => {
    // Prepare
    fakes.snapshots.refusedAccounts.add(ACCOUNT);
    await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());

    // Act
    const { reports } = await sweepEveryMinute();

    // Assess
    const cleanup = (await stored(fakes.jobs, "job-1")).copies[0]?.cleanup;
    expect(cleanup).toEqual({
      snapshotId: "snap-copy0001",
      state: "ABANDONED",
      attempts: CLEANUP_ATTEMPTS,
      message:
        "snaprelay tried 14 times over 24 hours to delete partial copy snap-copy0001 in ap-mumbai and gave up: snaprelay cannot act in account 111122223333: assuming its role was refused. Delete it yourself: aws ec2 delete-snapshot --region ap-mumbai --snapshot-id snap-copy0001",
    });
    expect(reports.flatMap((report) => report.actions.abandoned ?? [])).toEqual(["job-1"]);
    expect(reports.at(-1)?.looked).toBe(0);
  });

  it("records its tries and when the next is due while it waits", async () => {
    // Prepare
    fakes.snapshots.refusedAccounts.add(ACCOUNT);

    // Act
    const job = await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());

    // Assess
    expect(job.copies[0]?.cleanup).toMatchObject({
      state: "PENDING",
      attempts: 1,
      nextAttemptAt: new Date(T0.getTime() + 60_000).toISOString(),
      message: expect.stringContaining("try 1 of 14 failed"),
    });
  });

  it("is deleted at a later try once the cloud allows it, its tries counted", async () => {
    // Prepare: three tries refused (at 0, 1 and 3 minutes), then the role is back
    fakes.snapshots.refusedAccounts.add(ACCOUNT);
    await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());
    for (const minutes of [1, 2]) {
      fakes.clock.advance(minutes * 60);
      await sweep();
    }
    fakes.snapshots.refusedAccounts.delete(ACCOUNT);
    fakes.clock.advance(4 * 60);

    // Act
    const report = await sweep();

    // Assess
    expect(report.actions.cleaned).toEqual(["job-1"]);
    expect((await stored(fakes.jobs, "job-1")).copies[0]?.cleanup).toEqual({
      snapshotId: "snap-copy0001",
      state: "DELETED",
      attempts: 4,
    });
  });

  it("is not tried again before its next try is due, even by a second cancel", async () => {
    // Prepare
    fakes.snapshots.refusedAccounts.add(ACCOUNT);
    await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());
    fakes.snapshots.refusedAccounts.delete(ACCOUNT);
    fakes.clock.advance(30);

    // Act
    const again = await cancelJob({ jobId: "job-1", accountId: ACCOUNT }, deps());

    // Assess
    expect(again.copies[0]?.cleanup).toMatchObject({ state: "PENDING", attempts: 1 });
    expect(fakes.snapshots.deleted).toEqual([]);
  });

  it("recorded PENDING by an older build, with no tries counted, is tried at once", async () => {
    // Prepare
    fakes.snapshots.add(MUMBAI, "snap-0ld00001", { state: "pending" });
    const older = aJob({
      jobId: "job-older",
      status: "CANCELLED",
      copies: [
        aCopy(MUMBAI, {
          status: "CANCELLED",
          destinationSnapshotId: "snap-0ld00001",
          cleanup: { snapshotId: "snap-0ld00001", state: "PENDING", message: "busy" },
        }),
      ],
    });
    fakes.jobs.seed(older);

    // Act
    const after = await cleanUpCancelled(older, deps());

    // Assess
    expect(after.copies[0]?.cleanup).toEqual({
      snapshotId: "snap-0ld00001",
      state: "DELETED",
      attempts: 1,
    });
  });
});
