// The PollCopy step: how the copy is doing, recorded on the job, and when to look again.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { pollCopy } from "../../functions/core/poll-copy.js";
import { ACCOUNT, aRunningJob, copyTo, type Fakes, stepFakes, stored, T0 } from "./fakes.js";

let fakes: Fakes;

beforeEach(() => {
  fakes = stepFakes();
  fakes.jobs.seed(
    aRunningJob({
      status: "COPYING",
      progress: 10,
      destinationSnapshotId: "snap-copy0001",
      startedAt: T0.toISOString(),
    }),
  );
  fakes.snapshots.add("ap-mumbai", "snap-copy0001", { state: "pending", progress: 50 });
  fakes.clock.advance(100);
});

describe("polling a copy in progress", () => {
  it("records the progress the cloud reports", async () => {
    // Act
    await pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(copyTo(job, "ap-mumbai")).toMatchObject({ status: "COPYING", progress: 50 });
    expect(job.updatedAt).toBe("2026-11-25T02:01:40.000Z");
  });

  it("waits until a twentieth past the earliest end its progress allows: 50% after 100 s waits 106 s more", async () => {
    // Act
    const progress = await pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(progress).toEqual({ state: "pending", progress: 50, waitSeconds: 106, polls: 1 });
  });

  it("counts its polls, and each after the second lengthens the shortest next wait", async () => {
    // Act
    const progress = await pollCopy("job-1", "ap-mumbai", fakes.deps, 4);

    // Assess: the fifth poll waits at least 15 s × 2³
    expect(progress).toMatchObject({ polls: 5, waitSeconds: 120 });
  });

  it("writes nothing when the progress has not changed", async () => {
    // Prepare
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", { progress: 10 });
    const apply = vi.spyOn(fakes.jobs, "apply");

    // Act
    const progress = await pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(progress.progress).toBe(10);
    expect(apply).not.toHaveBeenCalled();
  });

  it("measures the copy's speed from the snapshot's start time when the job has none", async () => {
    // Prepare
    fakes.jobs.seed(
      aRunningJob({
        status: "COPYING",
        destinationSnapshotId: "snap-copy0001",
        startedAt: null,
      }),
    );
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", {
      startTime: new Date(T0.getTime() - 100_000).toISOString(),
    });

    // Act
    const progress = await pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess: 50% after 200 s, so the end is at 392 s at the earliest, and a twentieth more
    expect(progress.waitSeconds).toBe(212);
  });
});

describe("polling a finished copy", () => {
  it("says completed when the cloud finished the copy, leaving the record to Finalize", async () => {
    // Prepare
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", { state: "completed", progress: 100 });

    // Act
    const progress = await pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(progress).toEqual({ state: "completed", progress: 100, waitSeconds: 0, polls: 1 });
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai").status).toBe("COPYING");
  });

  it("says completed for a copy the job already shows COMPLETED, without asking the cloud", async () => {
    // Prepare
    fakes.jobs.seed(
      aRunningJob({ status: "COMPLETED", progress: 100, destinationSnapshotId: "snap-copy0001" }),
    );
    const describe = vi.spyOn(fakes.snapshots, "describe");

    // Act
    const progress = await pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(progress.state).toBe("completed");
    expect(describe).not.toHaveBeenCalled();
  });
});

describe("polling a copy that went wrong", () => {
  it("throws CopyFailed with the cloud's message when the copy is in error", async () => {
    // Prepare
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", {
      state: "error",
      stateMessage: "The source snapshot's data could not be read",
    });

    // Act
    const polling = pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    await expect(polling).rejects.toMatchObject({
      code: "CopyFailed",
      name: "CopyFailed",
      message:
        "Copy snap-copy0001 in ap-mumbai failed: The source snapshot's data could not be read.",
    });
  });

  it("says the cloud gave no reason when the error carries no message", async () => {
    // Prepare
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", { state: "error" });

    // Act
    const polling = pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    await expect(polling).rejects.toMatchObject({
      code: "CopyFailed",
      message: expect.stringContaining("the cloud gave no reason"),
    });
  });

  it("throws CopyFailed when the copy was deleted while copying", async () => {
    // Prepare
    await fakes.snapshots.delete(ACCOUNT, "ap-mumbai", "snap-copy0001");

    // Act
    const polling = pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    await expect(polling).rejects.toMatchObject({
      code: "CopyFailed",
      message: "Copy snap-copy0001 no longer exists in ap-mumbai; it was deleted while copying.",
    });
  });

  it("refuses to poll a copy that has not started", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());

    // Act
    const polling = pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    await expect(polling).rejects.toMatchObject({
      code: "IllegalTransition",
      message: expect.stringContaining("is QUEUED; only a started copy can be polled"),
    });
  });
});
