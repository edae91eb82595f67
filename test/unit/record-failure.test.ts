// The Fail step: a failure is recorded with its reason, and a half-made copy is removed.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DomainError } from "../../functions/core/errors.js";
import { recordCopyFailure, recordJobFailure } from "../../functions/core/record-failure.js";
import {
  ACCOUNT,
  aCopy,
  aJob,
  aRunningJob,
  copyTo,
  type Fakes,
  stepFakes,
  stored,
} from "./fakes.js";

const failure = {
  code: "CopyFailed",
  message: "Copy snap-copy0001 in ap-mumbai failed: bad block.",
};

let fakes: Fakes;

beforeEach(() => {
  fakes = stepFakes();
});

describe("recording a copy's failure", () => {
  beforeEach(() => {
    fakes.jobs.seed(aRunningJob({ status: "COPYING", destinationSnapshotId: "snap-copy0001" }));
    fakes.snapshots.add("ap-mumbai", "snap-copy0001", { state: "pending", progress: 40 });
  });

  it("deletes the unfinished destination snapshot and says so in the copy's error", async () => {
    // Act
    const result = await recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);

    // Assess
    const error = {
      code: "CopyFailed",
      message: `${failure.message} The unfinished copy snap-copy0001 was deleted.`,
    };
    expect(result).toEqual({ destinationRegion: "ap-mumbai", status: "FAILED", error });
    expect(fakes.snapshots.deleted).toEqual(["snap-copy0001"]);
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai")).toMatchObject({
      status: "FAILED",
      error,
    });
  });

  it("keeps a destination snapshot that completed, and says so", async () => {
    // Prepare
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", { state: "completed", progress: 100 });

    // Act
    const result = await recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);

    // Assess
    expect(result.error.message).toBe(
      `${failure.message} The copy snap-copy0001 completed and was kept.`,
    );
    expect(fakes.snapshots.deleted).toEqual([]);
    expect(await fakes.snapshots.describe(ACCOUNT, "ap-mumbai", "snap-copy0001")).toBeDefined();
  });

  it("records the failure as it came for a copy that never started", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());
    const deleteSnapshot = vi.spyOn(fakes.snapshots, "delete");

    // Act
    const result = await recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);

    // Assess
    expect(result.error).toEqual(failure);
    expect(deleteSnapshot).not.toHaveBeenCalled();
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai").status).toBe("FAILED");
  });

  it("records the failure as it came when the destination snapshot is already gone", async () => {
    // Prepare
    await fakes.snapshots.delete(ACCOUNT, "ap-mumbai", "snap-copy0001");

    // Act
    const result = await recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);

    // Assess
    expect(result.error).toEqual(failure);
  });

  it("still fails the copy when snaprelay may no longer enter the account, and says what remains", async () => {
    // Prepare: the tenant revoked snaprelay's role during the copy
    fakes.snapshots.refusedAccounts.add(ACCOUNT);

    // Act
    const result = await recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error.message).toContain(
      "The unfinished copy snap-copy0001 could not be deleted (snaprelay cannot act in account",
    );
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai").status).toBe("FAILED");
  });

  it("still fails the copy when the snapshot cannot be deleted, and says it remains", async () => {
    // Prepare
    fakes.snapshots.failNextDeleteWith = new Error("InvalidSnapshot.InUse");

    // Act
    const result = await recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);

    // Assess
    expect(result.error.message).toBe(
      `${failure.message} The unfinished copy snap-copy0001 could not be deleted (InvalidSnapshot.InUse) and remains in ap-mumbai; delete it by hand.`,
    );
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai").status).toBe("FAILED");
  });

  it("throws a throttled cloud's error so the step is retried, leaving the copy as it was", async () => {
    // Prepare
    vi.spyOn(fakes.snapshots, "describe").mockRejectedValueOnce(
      new DomainError("CloudThrottled", "EC2 throttled the request."),
    );

    // Act
    const recording = recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);

    // Assess
    await expect(recording).rejects.toMatchObject({ code: "CloudThrottled" });
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai").status).toBe("COPYING");
  });

  it("returns the recorded error on a second call, without cleaning up again", async () => {
    // Prepare
    const first = await recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);
    const describe = vi.spyOn(fakes.snapshots, "describe");

    // Act
    const second = await recordCopyFailure(
      "job-1",
      "ap-mumbai",
      { code: "States.Timeout", message: "later" },
      fakes.deps,
    );

    // Assess
    expect(second).toEqual(first);
    expect(describe).not.toHaveBeenCalled();
  });
});

describe("recording a job's failure", () => {
  it("fails the job with the cause, and every copy still under way with it", async () => {
    // Prepare
    fakes.jobs.seed(
      aJob({
        status: "RUNNING",
        copies: [
          aCopy("ap-mumbai", { status: "COMPLETED", destinationSnapshotId: "snap-done0001" }),
          aCopy("ap-beijing", { status: "COPYING", destinationSnapshotId: "snap-copy0002" }),
          aCopy("ap-chengdu", { status: "QUEUED" }),
        ],
      }),
    );
    fakes.snapshots.add("ap-mumbai", "snap-done0001");
    fakes.snapshots.add("ap-beijing", "snap-copy0002", { state: "pending", progress: 20 });
    const cause = { code: "States.Timeout", message: "The Map state timed out." };

    // Act
    const result = await recordJobFailure("job-1", cause, fakes.deps);

    // Assess
    expect(result).toEqual({ status: "FAILED", error: cause });
    const job = await stored(fakes.jobs);
    expect(job).toMatchObject({ status: "FAILED", error: cause });
    expect(copyTo(job, "ap-mumbai")).toMatchObject({ status: "COMPLETED", error: null });
    expect(copyTo(job, "ap-beijing")).toMatchObject({
      status: "FAILED",
      error: {
        code: "States.Timeout",
        message:
          "The job failed: The Map state timed out. The unfinished copy snap-copy0002 was deleted.",
      },
    });
    expect(copyTo(job, "ap-chengdu")).toMatchObject({
      status: "FAILED",
      error: { code: "States.Timeout", message: "The job failed: The Map state timed out." },
    });
    expect(fakes.snapshots.deleted).toEqual(["snap-copy0002"]);
  });

  it("fails a job whose validation died, with its copies", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ status: "VALIDATING" }));
    const cause = { code: "Lambda.Unknown", message: "The Lambda function crashed." };

    // Act
    await recordJobFailure("job-1", cause, fakes.deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(job.status).toBe("FAILED");
    expect(job.copies.map((copy) => copy.status)).toEqual(["FAILED", "FAILED"]);
  });

  it.each(["COMPLETED", "REJECTED", "CANCELLED"] as const)(
    "leaves a %s job alone and reports it as it is",
    async (status) => {
      // Prepare
      const error = status === "REJECTED" ? { code: "SnapshotNotFound", message: "gone" } : null;
      fakes.jobs.seed(aJob({ status, error }));
      const before = await stored(fakes.jobs);

      // Act
      const result = await recordJobFailure(
        "job-1",
        { code: "States.Runtime", message: "late failure" },
        fakes.deps,
      );

      // Assess
      expect(result).toEqual({ status, error });
      expect(await stored(fakes.jobs)).toEqual(before);
      expect(fakes.snapshots.deleted).toEqual([]);
    },
  );

  it("throws JobNotFound for a job that does not exist", async () => {
    // Act
    const recording = recordJobFailure("job-404", failure, fakes.deps);

    // Assess
    await expect(recording).rejects.toMatchObject({ code: "JobNotFound" });
  });
});
