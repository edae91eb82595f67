// Each account copies only its own snapshots: another account's snapshot is as absent as one
// that never was, an account snaprelay cannot reach is told so, and limits count per account.
import { beforeEach, describe, expect, it } from "vitest";
import { describeSnapshot } from "../../functions/core/describe-snapshot.js";
import { SnapshotReadCache } from "../../functions/core/live-progress.js";
import { validateJob } from "../../functions/core/validate-job.js";
import { ACCOUNT, aCopy, aJob, type Fakes, settings, stepFakes, stored } from "./fakes.js";

const NEIGHBOUR = "444455556666";

let fakes: Fakes;

beforeEach(() => {
  fakes = stepFakes(settings({ snapshotQuotaPerRegion: 2 }));
  fakes.snapshots.add("ap-shanghai", "snap-neighbour1", {}, NEIGHBOUR);
  fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2");
});

describe("another account's snapshot", () => {
  it("is not found in the snapshot view, exactly as a missing one", async () => {
    // Act
    const viewing = describeSnapshot(ACCOUNT, "ap-shanghai", "snap-neighbour1", {
      ...fakes.deps,
      reads: new SnapshotReadCache(fakes.snapshots),
    });

    // Assess
    await expect(viewing).rejects.toMatchObject({
      code: "SnapshotNotFound",
      message: "Snapshot snap-neighbour1 does not exist in ap-shanghai.",
    });
  });

  it("rejects a job for it with SnapshotNotFound, and copies nothing", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ snapshotId: "snap-neighbour1" }));

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome).toMatchObject({ accepted: false, error: { code: "SnapshotNotFound" } });
    expect((await stored(fakes.jobs)).status).toBe("REJECTED");
    expect(fakes.snapshots.copiesStarted).toEqual([]);
  });
});

describe("an account snaprelay cannot reach", () => {
  it("rejects the job with AccountAccessDenied, its copies cancelled, nothing started", async () => {
    // Prepare
    fakes.jobs.seed(aJob());
    fakes.snapshots.refusedAccounts.add(ACCOUNT);

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(outcome).toMatchObject({ accepted: false, error: { code: "AccountAccessDenied" } });
    expect(job.status).toBe("REJECTED");
    expect(job.copies.map((copy) => copy.status)).toEqual(["CANCELLED", "CANCELLED"]);
    expect(fakes.snapshots.copiesStarted).toEqual([]);
  });
});

describe("the snapshot quota", () => {
  it("counts only the job's own account: a neighbour's full region does not refuse it", async () => {
    // Prepare: the neighbour holds the quota of 2 in ap-mumbai, and queues more
    fakes.snapshots.add("ap-mumbai", "snap-nb000001", {}, NEIGHBOUR);
    fakes.snapshots.add("ap-mumbai", "snap-nb000002", {}, NEIGHBOUR);
    fakes.jobs.seed(
      aJob({
        jobId: "job-neighbour",
        accountId: NEIGHBOUR,
        status: "RUNNING",
        copies: [aCopy("ap-mumbai", { status: "QUEUED" })],
      }),
    );
    fakes.jobs.seed(aJob({ copies: [aCopy("ap-mumbai")] }));

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome).toEqual({ accepted: true, destinationRegions: ["ap-mumbai"] });
  });

  it("still refuses the account that fills it", async () => {
    // Prepare
    fakes.snapshots.add("ap-mumbai", "snap-mine0001");
    fakes.snapshots.add("ap-mumbai", "snap-mine0002");
    fakes.jobs.seed(aJob({ copies: [aCopy("ap-mumbai")] }));

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome).toMatchObject({ accepted: false, error: { code: "QuotaExceeded" } });
  });
});
