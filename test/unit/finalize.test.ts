// The Finalize steps: a finished copy is marked COMPLETED; the job takes its outcome.
import { beforeEach, describe, expect, it } from "vitest";
import { acquireSlot, awaitSlot } from "../../functions/core/copy-queue.js";
import { finalizeCopy, finalizeJob } from "../../functions/core/finalize.js";
import type { CopyStatus, ReplicationJob } from "../../functions/core/job.js";
import {
  ACCOUNT,
  aCopy,
  aJob,
  aQueuedJob,
  aRunningJob,
  copyTo,
  type Fakes,
  settings,
  stepFakes,
  stored,
  T0,
} from "./fakes.js";

let fakes: Fakes;

beforeEach(() => {
  fakes = stepFakes();
});

const runningWith = (...statuses: CopyStatus[]) =>
  aJob({
    status: "RUNNING",
    copies: statuses.map((status, index) =>
      aCopy(["ap-mumbai", "ap-beijing", "ap-chengdu"][index] ?? `ap-region${index}`, { status }),
    ),
  });

describe("finalizing a copy", () => {
  beforeEach(() => {
    fakes.jobs.seed(
      aRunningJob({ status: "COPYING", progress: 80, destinationSnapshotId: "snap-copy0001" }),
    );
    fakes.clock.advance(300);
  });

  it("marks the copy COMPLETED at 100% with the time it completed", async () => {
    // Act
    await finalizeCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai")).toMatchObject({
      status: "COMPLETED",
      progress: 100,
      completedAt: "2026-11-25T02:05:00.000Z",
    });
  });

  it("returns the destination and its new snapshot", async () => {
    // Act
    const result = await finalizeCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(result).toEqual({
      destinationRegion: "ap-mumbai",
      status: "COMPLETED",
      destinationSnapshotId: "snap-copy0001",
    });
  });

  it("is harmless when run twice", async () => {
    // Prepare
    const first = await finalizeCopy("job-1", "ap-mumbai", fakes.deps);

    // Act
    const second = await finalizeCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(second).toEqual(first);
  });

  it("starts the copy it hands its slot to, before waking it (its event was lost)", async () => {
    // Prepare: one slot in ap-mumbai, held by job-1's copy; job-2's copy waits for it.
    fakes = stepFakes(settings({ copySlots: { default: 1, byRegion: {} } }));
    fakes.jobs.seed(
      aRunningJob({ status: "COPYING", progress: 80, destinationSnapshotId: "snap-copy0001" }),
    );
    fakes.jobs.seed(aQueuedJob("job-2"));
    fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2");
    const pool = { accountId: ACCOUNT, region: "ap-mumbai" };
    await fakes.slots.take(pool, "job-1", 1, T0.toISOString());
    await acquireSlot("job-2", "ap-mumbai", fakes.deps);
    await awaitSlot("job-2", "ap-mumbai", "slot-token-2", fakes.deps);

    // Act
    await finalizeCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(copyTo((await fakes.jobs.get("job-2")) as ReplicationJob, "ap-mumbai")).toMatchObject({
      status: "COPYING",
      destinationSnapshotId: expect.stringMatching(/^snap-copy/),
    });
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["slot-token-2"]);
  });

  it("refuses to complete a copy that already failed", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob({ status: "FAILED", destinationSnapshotId: "snap-copy0001" }));

    // Act
    const finalizing = finalizeCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    await expect(finalizing).rejects.toMatchObject({ code: "IllegalTransition" });
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai").status).toBe("FAILED");
  });
});

describe("finalizing a job", () => {
  it.each([
    [["COMPLETED", "COMPLETED"], "COMPLETED"],
    [["COMPLETED", "FAILED"], "PARTIAL"],
    [["FAILED", "FAILED"], "FAILED"],
  ] as const)("gives a job whose copies are %j the outcome %s", async (statuses, outcome) => {
    // Prepare
    fakes.jobs.seed(runningWith(...statuses));

    // Act
    const job = await finalizeJob("job-1", fakes.deps);

    // Assess
    expect(job.status).toBe(outcome);
    expect((await stored(fakes.jobs)).status).toBe(outcome);
  });

  it("is harmless when run twice", async () => {
    // Prepare
    fakes.jobs.seed(runningWith("COMPLETED", "FAILED"));
    await finalizeJob("job-1", fakes.deps);

    // Act
    const again = await finalizeJob("job-1", fakes.deps);

    // Assess
    expect(again.status).toBe("PARTIAL");
  });

  it("does not overturn a job that was cancelled meanwhile", async () => {
    // Prepare
    fakes.jobs.seed({ ...runningWith("COMPLETED", "CANCELLED"), status: "CANCELLED" });

    // Act
    const finalizing = finalizeJob("job-1", fakes.deps);

    // Assess
    await expect(finalizing).rejects.toMatchObject({ code: "IllegalTransition" });
    expect((await stored(fakes.jobs)).status).toBe("CANCELLED");
  });

  it("throws JobNotFound for a job that does not exist", async () => {
    // Act
    const finalizing = finalizeJob("job-404", fakes.deps);

    // Assess
    await expect(finalizing).rejects.toMatchObject({ code: "JobNotFound" });
  });
});
