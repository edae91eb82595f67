// Accounts sharing the sweeper, set up through the JobStore port so that one scenario runs on the
// in-memory store (the unit suite) and on DynamoDB Local (the integration suite). The cloud and
// the workflow are the unit suite's fakes in both.
import { cancelJob } from "../../functions/core/cancel-job.js";
import type { ReplicationJob } from "../../functions/core/job.js";
import type { JobStore } from "../../functions/core/ports.js";
import type { SweepDeps } from "../../functions/core/sweep-jobs.js";
import { aCopy, aJob, executionArnOf, type Fakes } from "../unit/fakes.js";

/** The account with a backlog. */
export const BUSY = "222233334444";
/** The account with one job, stuck behind BUSY's backlog in a queue shared oldest first. */
export const QUIET = "555566667777";

/** The sweeper as the schedule runs it: a batch of 200. */
export const SCHEDULED_SWEEP = {
  startGraceSeconds: 30,
  checkSeconds: 900,
  giveUpSeconds: 3600,
  batchSize: 200,
};

/** The sweep's ports: `jobs` (in memory or on DynamoDB), the rest the fakes'. */
export const sweepDepsOver = (fakes: Fakes, jobs: JobStore): SweepDeps => ({
  ...fakes.deps,
  jobs,
  workflow: fakes.workflow,
  sweep: SCHEDULED_SWEEP,
});

const secondsFrom = (at: Date, seconds: number) =>
  new Date(at.getTime() + seconds * 1000).toISOString();

/** Creates the jobs, 25 at a time (a store's writes need not wait for one another). */
const createAll = async (jobs: JobStore, all: readonly ReplicationJob[]) => {
  for (let index = 0; index < all.length; index += 25) {
    await Promise.all(all.slice(index, index + 25).map((job) => jobs.create(job)));
  }
};

/**
 * BUSY has `inFlight` running jobs, each due for its check, and `failingCleanups` jobs cancelled
 * mid-copy whose partial copies the cloud will not delete (the account removed snaprelay's role),
 * due for their next try; QUIET has one job whose execution never started, made after all of
 * them. The clock is moved on to when all of it is due. Answers QUIET's job's id.
 */
export const busyNeighbour = async (
  deps: SweepDeps,
  fakes: Fakes,
  counts = { inFlight: 500, failingCleanups: 20 },
): Promise<string> => {
  const start = fakes.clock.now();
  const running = (jobId: string, createdAt: string, snapshotId: string) =>
    aJob({
      jobId,
      accountId: BUSY,
      status: "RUNNING",
      executionArn: executionArnOf(jobId),
      createdAt,
      updatedAt: createdAt,
      copies: [
        aCopy("ap-mumbai", {
          status: "COPYING",
          destinationSnapshotId: snapshotId,
          startedAt: createdAt,
        }),
      ],
    });
  const inFlight = Array.from({ length: counts.inFlight }, (_, index) =>
    running(
      `busy-${String(index).padStart(4, "0")}`,
      secondsFrom(start, -3600 + index / 10),
      `snap-b${String(index).padStart(7, "0")}`,
    ),
  );
  const cancelled = Array.from({ length: counts.failingCleanups }, (_, index) =>
    running(
      `busy-cancelled-${String(index).padStart(3, "0")}`,
      secondsFrom(start, -1800),
      `snap-c${String(index).padStart(7, "0")}`,
    ),
  );
  await createAll(deps.jobs, [...inFlight, ...cancelled]);
  for (const job of [...inFlight, ...cancelled]) {
    fakes.workflow.executions.set(executionArnOf(job.jobId), { status: "RUNNING" });
  }
  fakes.snapshots.refusedAccounts.add(BUSY);
  for (const job of cancelled) {
    await cancelJob({ jobId: job.jobId, accountId: BUSY }, deps);
  }
  const quiet = aJob({
    jobId: "quiet-0001",
    accountId: QUIET,
    createdAt: secondsFrom(start, 30),
    updatedAt: secondsFrom(start, 30),
  });
  await deps.jobs.create(quiet);
  // Past QUIET's grace and the cleanups' first retry: every job above is due.
  fakes.clock.advance(120);
  return quiet.jobId;
};

/** `accounts` accounts with one job each whose execution never started, all due. Answers their ids. */
export const oneJobInEachOf = async (
  deps: SweepDeps,
  fakes: Fakes,
  accounts: number,
): Promise<string[]> => {
  const createdAt = secondsFrom(fakes.clock.now(), -60);
  const all = Array.from({ length: accounts }, (_, index) =>
    aJob({
      jobId: `lone-${String(index).padStart(4, "0")}`,
      accountId: String(100_000_000_000 + index),
      createdAt,
      updatedAt: createdAt,
    }),
  );
  await createAll(deps.jobs, all);
  return all.map((job) => job.jobId);
};
