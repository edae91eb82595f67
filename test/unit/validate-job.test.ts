// The Validate step: the seed's rules again, then the source snapshot; a broken rule rejects
// the job and says why, and a retried step answers as the first one did.

import { beforeEach, describe, expect, it, vi } from "vitest";
import { seededAllowlist } from "../../functions/core/access.js";
import { DomainError } from "../../functions/core/errors.js";
import { validateJob } from "../../functions/core/validate-job.js";
import { aJob, type Fakes, settings, stepFakes, stored } from "./fakes.js";

let fakes: Fakes;

beforeEach(() => {
  fakes = stepFakes();
  fakes.jobs.seed(aJob());
  fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2");
});

describe("validating a job", () => {
  it("accepts a job whose source snapshot is completed, with its destinations in order", async () => {
    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome).toEqual({ accepted: true, destinationRegions: ["ap-mumbai", "ap-beijing"] });
  });

  it("moves an accepted job to RUNNING with every copy QUEUED", async () => {
    // Prepare
    fakes.clock.advance(5);

    // Act
    await validateJob("job-1", fakes.deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(job.status).toBe("RUNNING");
    expect(job.copies.map((copy) => copy.status)).toEqual(["QUEUED", "QUEUED"]);
    expect(job.updatedAt).toBe("2026-11-25T02:00:05.000Z");
    expect(job.error).toBeNull();
  });

  it("answers a second validate after acceptance the same, changing nothing", async () => {
    // Prepare
    const first = await validateJob("job-1", fakes.deps);
    const before = await stored(fakes.jobs);
    fakes.clock.advance(60);
    const describe = vi.spyOn(fakes.snapshots, "describe");

    // Act
    const second = await validateJob("job-1", fakes.deps);

    // Assess
    expect(second).toEqual(first);
    expect(await stored(fakes.jobs)).toEqual(before);
    expect(describe).not.toHaveBeenCalled();
  });

  it("finishes a validation that died half-way, from VALIDATING", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ status: "VALIDATING" }));

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome.accepted).toBe(true);
    expect((await stored(fakes.jobs)).status).toBe("RUNNING");
  });

  it("throws JobNotFound for a job that does not exist", async () => {
    // Act
    const validating = validateJob("job-404", fakes.deps);

    // Assess
    await expect(validating).rejects.toMatchObject({
      code: "JobNotFound",
      message: "Job job-404 does not exist.",
    });
  });

  it("refuses to validate a cancelled job, and leaves it cancelled", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ status: "CANCELLED" }));

    // Act
    const validating = validateJob("job-1", fakes.deps);

    // Assess
    await expect(validating).rejects.toMatchObject({ code: "IllegalTransition" });
    expect((await stored(fakes.jobs)).status).toBe("CANCELLED");
  });
});

describe("a rejected job", () => {
  it("is rejected with SnapshotNotFound when the source snapshot does not exist", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ snapshotId: "snap-gone0001" }));

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    const error = {
      code: "SnapshotNotFound",
      message:
        "Snapshot snap-gone0001 does not exist in ap-shanghai; check the snapshot id and the source region.",
    };
    expect(outcome).toEqual({ accepted: false, error });
    const job = await stored(fakes.jobs);
    expect(job.status).toBe("REJECTED");
    expect(job.error).toEqual(error);
  });

  it("is rejected with SnapshotNotReady, with the state and progress, while the snapshot is pending", async () => {
    // Prepare
    fakes.snapshots.update("ap-shanghai", "snap-oi5spwt2", { state: "pending", progress: 40 });

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome).toEqual({
      accepted: false,
      error: {
        code: "SnapshotNotReady",
        message: expect.stringContaining(
          "is pending (40%); only a completed snapshot can be copied",
        ),
      },
    });
    expect(await stored(fakes.jobs)).toMatchObject({
      status: "REJECTED",
      error: { code: "SnapshotNotReady" },
    });
  });

  it("is rejected with UnsupportedRegion when a destination is no longer supported", async () => {
    // Prepare
    fakes.deps.settings = settings({ supportedRegions: ["ap-shanghai", "ap-mumbai"] });

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome).toEqual({
      accepted: false,
      error: {
        code: "UnsupportedRegion",
        message: expect.stringContaining("Destination region ap-beijing"),
      },
    });
    expect(await stored(fakes.jobs)).toMatchObject({
      status: "REJECTED",
      error: { code: "UnsupportedRegion" },
    });
  });

  it("is rejected with NotAllowlisted when its account left the allowlist", async () => {
    // Prepare
    fakes.deps.allowlist = seededAllowlist([]);

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome).toMatchObject({ accepted: false, error: { code: "NotAllowlisted" } });
    expect((await stored(fakes.jobs)).status).toBe("REJECTED");
  });

  it("cancels its copies: none was queued, none will start", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ snapshotId: "snap-gone0001" }));

    // Act
    await validateJob("job-1", fakes.deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(job.copies.map((copy) => copy.status)).toEqual(["CANCELLED", "CANCELLED"]);
  });

  it("answers a second validate with the same rejection, without asking the cloud again", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ snapshotId: "snap-gone0001" }));
    const first = await validateJob("job-1", fakes.deps);
    fakes.snapshots.add("ap-shanghai", "snap-gone0001");
    const describe = vi.spyOn(fakes.snapshots, "describe");

    // Act
    const second = await validateJob("job-1", fakes.deps);

    // Assess
    expect(second).toEqual(first);
    expect(describe).not.toHaveBeenCalled();
  });

  it("accepts a job whose default name came from the longest snapshot id", async () => {
    // Prepare
    const snapshotId = `snap-${"b".repeat(17)}`;
    fakes.jobs.seed(aJob({ snapshotId, name: `Copied ${snapshotId} from ap-shanghai` }));
    fakes.snapshots.add("ap-shanghai", snapshotId);

    // Act
    const outcome = await validateJob("job-1", fakes.deps);

    // Assess
    expect(outcome.accepted).toBe(true);
  });
});

describe("a cloud error while validating", () => {
  it("is thrown for the state machine to retry, and leaves the job VALIDATING", async () => {
    // Prepare
    vi.spyOn(fakes.snapshots, "describe").mockRejectedValueOnce(
      new DomainError("CloudThrottled", "EC2 throttled the request."),
    );

    // Act
    const validating = validateJob("job-1", fakes.deps);

    // Assess
    await expect(validating).rejects.toMatchObject({ code: "CloudThrottled" });
    expect((await stored(fakes.jobs)).status).toBe("VALIDATING");
  });

  it("does not stop the retry from accepting the job", async () => {
    // Prepare
    vi.spyOn(fakes.snapshots, "describe").mockRejectedValueOnce(
      new DomainError("CloudThrottled", "EC2 throttled the request."),
    );
    await validateJob("job-1", fakes.deps).catch(() => undefined);

    // Act
    const retry = await validateJob("job-1", fakes.deps);

    // Assess
    expect(retry.accepted).toBe(true);
    expect((await stored(fakes.jobs)).status).toBe("RUNNING");
  });
});
