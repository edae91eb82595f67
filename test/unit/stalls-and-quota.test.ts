// Rule 5 (the destination's snapshot quota, copies in flight included) and the stalled-copy
// guard: both are decided by the steps, against the cloud's and the store's counts.
import { beforeEach, describe, expect, it } from "vitest";
import { pollCopy } from "../../functions/core/poll-copy.js";
import { validateJob } from "../../functions/core/validate-job.js";
import { aCopy, aJob, aRunningJob, type Fakes, settings, stepFakes, stored, T0 } from "./fakes.js";

describe("the destination's snapshot quota", () => {
  let fakes: Fakes;

  beforeEach(() => {
    fakes = stepFakes(settings({ snapshotQuotaPerRegion: 3 }));
    fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2");
    fakes.jobs.seed(aJob({ copies: [aCopy("ap-mumbai")] }));
  });

  it("accepts a copy that fits under the quota", async () => {
    // Prepare
    fakes.snapshots.add("ap-mumbai", "snap-old00001");
    fakes.snapshots.add("ap-mumbai", "snap-old00002");

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome.accepted).toBe(true);
  });

  it("rejects a copy that would exceed it, counting copies still queued by other jobs", async () => {
    // Prepare
    fakes.snapshots.add("ap-mumbai", "snap-old00001");
    fakes.jobs.seed(
      aJob({
        jobId: "job-0",
        status: "RUNNING",
        copies: [aCopy("ap-mumbai", { status: "QUEUED" })],
      }),
    );
    fakes.jobs.seed(
      aJob({
        jobId: "job-00",
        status: "RUNNING",
        copies: [aCopy("ap-mumbai", { status: "QUEUED" })],
      }),
    );

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome).toMatchObject({ accepted: false, error: { code: "QuotaExceeded" } });
    const job = await stored(fakes.jobs);
    expect(job.status).toBe("REJECTED");
    expect(job.error?.message).toContain(
      "ap-mumbai holds 1 snapshots and 2 more are queued to copy there; the quota is 3 snapshots per region",
    );
  });

  it("does not count a finished job's copies", async () => {
    // Prepare
    fakes.snapshots.add("ap-mumbai", "snap-old00001");
    fakes.jobs.seed(
      aJob({
        jobId: "job-0",
        status: "FAILED",
        copies: [aCopy("ap-mumbai", { status: "QUEUED" })],
      }),
    );

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome.accepted).toBe(true);
  });
});

describe("a copy that stops moving", () => {
  let fakes: Fakes;

  beforeEach(() => {
    fakes = stepFakes(settings({ copyStallSeconds: 600 }));
    fakes.jobs.seed(
      aRunningJob({
        status: "COPYING",
        progress: 40,
        destinationSnapshotId: "snap-copy0001",
        startedAt: T0.toISOString(),
        progressAt: T0.toISOString(),
      }),
    );
    fakes.snapshots.add("ap-mumbai", "snap-copy0001", { state: "pending", progress: 40 });
  });

  it("is still waited for within the allowed time", async () => {
    // Prepare
    fakes.clock.advance(599);

    // Act
    const progress = await pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(progress.state).toBe("pending");
  });

  it("fails as CopyStalled once it has stood still longer than allowed", async () => {
    // Prepare
    fakes.clock.advance(601);

    // Act
    const polling = pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    await expect(polling).rejects.toMatchObject({
      code: "CopyStalled",
      message: expect.stringContaining(
        "has stayed at 40% for 601 s, longer than the 600 s allowed",
      ),
    });
  });

  it("restarts the count whenever progress moves", async () => {
    // Prepare
    fakes.clock.advance(500);
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", { progress: 41 });
    await pollCopy("job-1", "ap-mumbai", fakes.deps);
    fakes.clock.advance(500);

    // Act
    const progress = await pollCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(progress).toMatchObject({ state: "pending", progress: 41 });
  });
});
