// The StartCopy step. Safe to run twice: a copy already recorded, or already made and tagged
// in the destination, is returned instead of starting another; two attempts at once are kept
// apart by a conditional claim in the job store.
import { actingFor } from "./acting-for.js";
import { cleanUpCancelled } from "./cancel-job.js";
import { poolOf, refusedForCapacity, type StartGranted } from "./copy-queue.js";
import { copyIdentityTags, copyTags } from "./copy-tags.js";
import { DomainError, isDomainError } from "./errors.js";
import type { ReplicationJob } from "./job.js";
import { loadCopy } from "./load-job.js";
import { recordPolicyCopy } from "./policies/policy-copies.js";
import { nextWait } from "./poll-copy.js";
import { CLOCK_SKEW_MS } from "./second-copies.js";
import type { StepDeps } from "./step-deps.js";

export interface CopyStarted {
  destinationSnapshotId: string;
  /** How long the first wait for the copy's end may last before a safety poll. */
  waitSeconds: number;
  /** Safety polls made so far: none. */
  polls: 0;
}

export const startCopy = async (
  jobId: string,
  destinationRegion: string,
  deps: StepDeps,
): Promise<CopyStarted> => {
  const { job, copy } = await loadCopy(deps.jobs, jobId, destinationRegion);
  const started = (id: string): CopyStarted => ({
    destinationSnapshotId: id,
    waitSeconds: nextWait(copy, 0, 0, 0, deps),
    polls: 0,
  });
  if (copy.destinationSnapshotId) return started(copy.destinationSnapshotId);
  if (copy.status !== "QUEUED") {
    throw new DomainError(
      "IllegalTransition",
      `The copy of job ${jobId} to ${destinationRegion} is ${copy.status}; only a QUEUED copy can start.`,
    );
  }

  const now = deps.clock.now();
  const claim = await deps.jobs.claimCopyStart(
    jobId,
    destinationRegion,
    now,
    deps.settings.copyStartLeaseSeconds,
  );
  if (!claim) {
    // Another attempt holds the claim and may be starting the copy right now: let the state
    // machine retry later, by when it has recorded the copy or its claim has lapsed.
    throw new DomainError(
      "CopyStartInProgress",
      `The copy of job ${jobId} to ${destinationRegion} is being started by another attempt.`,
    );
  }

  let destinationSnapshotId: string;
  /** CopySnapshot was called: a refusal for capacity is the cloud's answer to it. */
  let askedTheCloud = false;
  try {
    // A previous attempt may have started the copy and died before recording it, or sent the copy
    // back to the queue: both are looked for, side by side, before CopySnapshot. The first claim
    // ever made on this copy has no previous attempt, and looks for neither (one DescribeSnapshots
    // less on the path of every copy: the EC2 API's request rate is shared by the whole account).
    const [found, backInQueue] =
      claim === "first"
        ? [undefined, undefined]
        : await Promise.all([
            deps.snapshots.findCopy(job.accountId, destinationRegion, copyIdentityTags(job)),
            waitsInQueueWithoutSlot(job, destinationRegion, deps),
          ]);
    // Tags can be written by anyone in the account: only a snapshot begun after the job was
    // made (give or take the clocks' skew) can be the copy it started.
    const existing =
      found && Date.parse(found.startTime) >= Date.parse(job.createdAt) - CLOCK_SKEW_MS
        ? found
        : undefined;
    if (!existing) {
      if (backInQueue) throw backInQueue;
      askedTheCloud = true;
    }
    destinationSnapshotId =
      existing?.snapshotId ??
      (await deps.snapshots.startCopy({
        accountId: job.accountId,
        sourceRegion: job.sourceRegion,
        sourceSnapshotId: job.snapshotId,
        destinationRegion,
        description: job.name,
        tags: copyTags(job),
      }));
  } catch (error) {
    // The cloud refused (throttled, destination full): no copy was made, so free the claim and
    // let the state machine's retry start it without waiting out the lease.
    await deps.jobs.releaseCopyStart(jobId, destinationRegion, now).catch(() => {});
    // Full: the pool has fewer places than it gave. The copy gives its slot back and waits at its
    // place in the queue; the state machine takes it back to AcquireSlot.
    if (askedTheCloud && isDomainError(error, "CopyCapacityExceeded")) {
      await refusedForCapacity(job, destinationRegion, deps);
    }
    throw error;
  }

  try {
    // Recorded before anything else: retention deletes only the copies recorded here.
    await recordPolicyCopy(
      job,
      destinationRegion,
      destinationSnapshotId,
      now.toISOString(),
      deps.policies,
    );
    await deps.jobs.apply(
      jobId,
      {
        copies: {
          [destinationRegion]: {
            status: "COPYING",
            destinationSnapshotId,
            startedAt: now.toISOString(),
          },
        },
      },
      deps.clock.now().toISOString(),
    );
  } catch (error) {
    await discardIfCancelled(jobId, destinationRegion, destinationSnapshotId, deps);
    throw error;
  }
  deps.metrics.copyStarted(
    destinationRegion,
    Math.max(0, (now.getTime() - Date.parse(job.createdAt)) / 1000),
  );
  return started(destinationSnapshotId);
};

/**
 * For the step that hands a freed slot on (a copy's end): the copy given the slot is started at
 * once, in the name of its own job, before its execution is woken; the woken StartCopy step then
 * finds it started. Whatever goes wrong here (the job was cancelled, the cloud refused, a store
 * was busy) is left to that step, which meets it again and answers it by its own rules: a copy
 * refused for capacity has already gone back to its place in the queue (`startCopy` did it).
 */
export const startOnHandOff =
  (destinationRegion: string, deps: StepDeps): StartGranted =>
  (jobId) =>
    actingFor(jobId, () => startCopy(jobId, destinationRegion, deps)).then(
      () => undefined,
      () => undefined,
    );

/**
 * A copy the cloud refused went back to the queue; if the step that did so died before the state
 * machine heard of it, its retry lands here, holding no slot: it must not copy, but wait again.
 * Answers the error to throw in that case, undefined otherwise.
 */
const waitsInQueueWithoutSlot = async (
  job: ReplicationJob,
  destinationRegion: string,
  deps: StepDeps,
): Promise<DomainError | undefined> => {
  const pool = poolOf(job, destinationRegion);
  const [queued, held] = await Promise.all([
    deps.slots.queued(pool, job.jobId),
    deps.slots.heldSince(pool, job.jobId),
  ]);
  if (!queued || held) return undefined;
  return new DomainError(
    "CopyCapacityExceeded",
    `The copy of job ${job.jobId} to ${destinationRegion} waits in the queue for a place the cloud can take; it holds no slot yet.`,
  );
};

/**
 * The job was cancelled while this copy was being started: the copy just made is nobody's, so it
 * is deleted (or left to the sweeper, recorded on the copy, if the cloud will not delete it yet).
 */
const discardIfCancelled = async (
  jobId: string,
  destinationRegion: string,
  snapshotId: string,
  deps: StepDeps,
): Promise<void> => {
  const { copy } = await loadCopy(deps.jobs, jobId, destinationRegion);
  if (copy.status !== "CANCELLED") return;
  const job = await deps.jobs.apply(
    jobId,
    { copies: { [destinationRegion]: { cleanup: { snapshotId, state: "PENDING" } } } },
    deps.clock.now().toISOString(),
  );
  await cleanUpCancelled(job, deps);
};
