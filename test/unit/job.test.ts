// The job's and the copies' transition tables, and the outcome finished copies give a job.
import { describe, expect, it } from "vitest";
import {
  COPY_STATUSES,
  type CopyStatus,
  canMoveCopy,
  canMoveJob,
  copyStatusesLeadingTo,
  FINISHED_JOB_STATUSES,
  findCopy,
  isFinishedCopy,
  isFinishedJob,
  JOB_STATUSES,
  type JobStatus,
  jobStatusesLeadingTo,
  outcomeOf,
} from "../../functions/core/job.js";
import { aCopy, aJob } from "./fakes.js";

const FINISHED_JOB: readonly JobStatus[] = [
  "COMPLETED",
  "PARTIAL",
  "FAILED",
  "CANCELLED",
  "REJECTED",
];
const FINISHED_COPY: readonly CopyStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];

const copies = (...statuses: CopyStatus[]) =>
  statuses.map((status, index) => aCopy(`ap-region${index}`, { status }));

describe("the job's transitions", () => {
  it("lets a job run its course: PENDING, VALIDATING, RUNNING, then an outcome", () => {
    // Act
    const steps = [
      canMoveJob("PENDING", "VALIDATING"),
      canMoveJob("VALIDATING", "RUNNING"),
      canMoveJob("RUNNING", "COMPLETED"),
      canMoveJob("RUNNING", "PARTIAL"),
      canMoveJob("RUNNING", "FAILED"),
    ];

    // Assess
    expect(steps).toEqual([true, true, true, true, true]);
  });

  it("rejects a job only while it is being validated", () => {
    // Act
    const from = jobStatusesLeadingTo("REJECTED");

    // Assess
    expect(from).toEqual(["VALIDATING"]);
  });

  it("reaches RUNNING only from VALIDATING", () => {
    // Act
    const from = jobStatusesLeadingTo("RUNNING");

    // Assess
    expect(from).toEqual(["VALIDATING"]);
  });

  it("fails or cancels a job from any status that is not finished", () => {
    // Act
    const toFailed = jobStatusesLeadingTo("FAILED");
    const toCancelled = jobStatusesLeadingTo("CANCELLED");

    // Assess
    expect(toFailed).toEqual(["PENDING", "VALIDATING", "RUNNING"]);
    expect(toCancelled).toEqual(["PENDING", "VALIDATING", "RUNNING"]);
  });

  it("gives a job a copy outcome only once it runs", () => {
    // Act
    const from = [jobStatusesLeadingTo("COMPLETED"), jobStatusesLeadingTo("PARTIAL")];

    // Assess
    expect(from).toEqual([["RUNNING"], ["RUNNING"]]);
  });

  it("never moves a job back to PENDING", () => {
    // Act
    const from = jobStatusesLeadingTo("PENDING");

    // Assess
    expect(from).toEqual([]);
  });

  it("refuses shortcuts and steps back", () => {
    // Act
    const moves = [
      canMoveJob("PENDING", "RUNNING"),
      canMoveJob("VALIDATING", "COMPLETED"),
      canMoveJob("RUNNING", "VALIDATING"),
      canMoveJob("RUNNING", "REJECTED"),
      canMoveJob("RUNNING", "RUNNING"),
    ];

    // Assess
    expect(moves).toEqual([false, false, false, false, false]);
  });

  it.each(JOB_STATUSES)("calls %s finished exactly when nothing may follow it", (status) => {
    // Act
    const finished = isFinishedJob(status);
    const next = JOB_STATUSES.filter((to) => canMoveJob(status, to));

    // Assess
    expect(finished).toBe(FINISHED_JOB.includes(status));
    expect(finished).toBe(next.length === 0);
  });

  it("exports the finished statuses for clients, in the order JOB_STATUSES gives them", () => {
    // Assess
    expect(FINISHED_JOB_STATUSES).toEqual(FINISHED_JOB);
  });

  it("calls a status it does not know unfinished, as a client reading the API may pass one", () => {
    // Act
    const finished = ["DONE", "completed", ""].map(isFinishedJob);

    // Assess
    expect(finished).toEqual([false, false, false]);
  });

  it("agrees with itself: jobStatusesLeadingTo lists exactly the moves canMoveJob allows", () => {
    // Act
    const mismatches = JOB_STATUSES.flatMap((to) =>
      JOB_STATUSES.filter(
        (from) => canMoveJob(from, to) !== jobStatusesLeadingTo(to).includes(from),
      ).map((from) => `${from}->${to}`),
    );

    // Assess
    expect(mismatches).toEqual([]);
  });
});

describe("a copy's transitions", () => {
  it("starts copying only from QUEUED", () => {
    // Act
    const from = copyStatusesLeadingTo("COPYING");

    // Assess
    expect(from).toEqual(["QUEUED"]);
  });

  it("completes only a copy that is copying", () => {
    // Act
    const from = copyStatusesLeadingTo("COMPLETED");

    // Assess
    expect(from).toEqual(["COPYING"]);
  });

  it("queues only a PENDING copy", () => {
    // Act
    const from = copyStatusesLeadingTo("QUEUED");

    // Assess
    expect(from).toEqual(["PENDING"]);
  });

  it("fails or cancels a copy from any status that is not finished", () => {
    // Act
    const toFailed = copyStatusesLeadingTo("FAILED");
    const toCancelled = copyStatusesLeadingTo("CANCELLED");

    // Assess
    expect(toFailed).toEqual(["PENDING", "QUEUED", "COPYING"]);
    expect(toCancelled).toEqual(["PENDING", "QUEUED", "COPYING"]);
  });

  it.each(COPY_STATUSES)("calls %s finished exactly when nothing may follow it", (status) => {
    // Act
    const finished = isFinishedCopy(status);
    const next = COPY_STATUSES.filter((to) => canMoveCopy(status, to));

    // Assess
    expect(finished).toBe(FINISHED_COPY.includes(status));
    expect(finished).toBe(next.length === 0);
  });

  it("agrees with itself: copyStatusesLeadingTo lists exactly the moves canMoveCopy allows", () => {
    // Act
    const mismatches = COPY_STATUSES.flatMap((to) =>
      COPY_STATUSES.filter(
        (from) => canMoveCopy(from, to) !== copyStatusesLeadingTo(to).includes(from),
      ).map((from) => `${from}->${to}`),
    );

    // Assess
    expect(mismatches).toEqual([]);
  });
});

describe("a job's outcome", () => {
  it("is COMPLETED when every copy completed", () => {
    // Act
    const outcome = outcomeOf(copies("COMPLETED", "COMPLETED"));

    // Assess
    expect(outcome).toBe("COMPLETED");
  });

  it("is PARTIAL when some copies completed and some failed", () => {
    // Act
    const outcome = outcomeOf(copies("COMPLETED", "FAILED", "COMPLETED"));

    // Assess
    expect(outcome).toBe("PARTIAL");
  });

  it("is FAILED when no copy completed", () => {
    // Act
    const outcome = outcomeOf(copies("FAILED", "CANCELLED"));

    // Assess
    expect(outcome).toBe("FAILED");
  });

  it("counts a cancelled copy as one that did not complete", () => {
    // Act
    const outcome = outcomeOf(copies("COMPLETED", "CANCELLED"));

    // Assess
    expect(outcome).toBe("PARTIAL");
  });

  it("is FAILED for a job with no copies at all", () => {
    // Act
    const outcome = outcomeOf([]);

    // Assess
    expect(outcome).toBe("FAILED");
  });
});

describe("finding a job's copy", () => {
  it("finds the copy to a destination, and nothing for a region the job does not copy to", () => {
    // Prepare
    const job = aJob();

    // Act
    const found = findCopy(job, "ap-beijing");
    const missing = findCopy(job, "ap-chengdu");

    // Assess
    expect(found?.destinationRegion).toBe("ap-beijing");
    expect(missing).toBeUndefined();
  });
});
