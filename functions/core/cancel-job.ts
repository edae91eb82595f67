// Cancelling a job: the job and its unfinished copies become CANCELLED (one conditional write,
// so no step can walk them back), the execution is stopped, and each copy's traces are cleared:
// its place in the queue, its slot (handed to the next copy), and its partial snapshot in the
// destination (deleting a pending copy stops it). A partial snapshot the cloud will not delete
// yet is recorded PENDING and the sweeper tries again, waiting longer each time, until it is
// deleted or, after CLEANUP_ATTEMPTS tries, left ABANDONED to the tenant with the command that
// deletes it. Safe to repeat: a second cancel answers the cancelled job and finishes any cleanup
// left whose next try is due.

import { releaseSlot } from "./copy-queue.js";
import { copyIdentityTags } from "./copy-tags.js";
import { DomainError, errorMessage } from "./errors.js";
import {
  type CopyCleanup,
  type CopyRecord,
  isFinishedCopy,
  isFinishedJob,
  type ReplicationJob,
} from "./job.js";
import type { CopyChange, Workflow } from "./ports.js";
import type { StepDeps } from "./step-deps.js";

export interface CancelDeps extends StepDeps {
  workflow: Workflow;
}

export interface CancelRequest {
  jobId: string;
  /** The account asking: only its own jobs can be cancelled. */
  accountId: string;
  reason?: string;
}

/** How long a partial snapshot the cloud would not delete waits for the sweeper's first retry. */
export const CLEANUP_RETRY_SECONDS = 60;
/** The longest wait between two tries: past it, doubling again would leave a fix unseen for long. */
export const CLEANUP_MAX_WAIT_SECONDS = 4 * 60 * 60;
/**
 * Tries before giving up: 14 tries waiting 1, 2, 4 … 128 minutes, then 4 hours, span about a day
 * (24 h 15 min). A delete the cloud refuses only while the copy is still being made succeeds
 * within hours; a refusal that lasts a day (the account removed snaprelay's role, say) needs the
 * tenant, who is better told than left a snapshot snaprelay keeps trying for ever. 14 deletes of
 * one snapshot cost the cloud's API nothing worth counting.
 */
export const CLEANUP_ATTEMPTS = 14;

/** How long after its `attempts`-th failed try a partial snapshot is tried again. */
export const cleanupRetrySeconds = (attempts: number): number =>
  Math.min(CLEANUP_MAX_WAIT_SECONDS, CLEANUP_RETRY_SECONDS * 2 ** Math.max(0, attempts - 1));

const notFound = (jobId: string) =>
  new DomainError("JobNotFound", `No replication job ${jobId} in this account.`);

const finished = (job: ReplicationJob) =>
  new DomainError(
    "JobFinished",
    `Job ${job.jobId} has already ended ${job.status}; only a job that is still running can be cancelled.`,
  );

/**
 * Copies that were under way when the job was cancelled and whose partial snapshot is not settled
 * yet (neither DELETED nor ABANDONED): they may hold a slot, a place, a snapshot.
 */
const interrupted = (job: ReplicationJob): CopyRecord[] =>
  job.copies.filter(
    (copy) =>
      copy.status === "CANCELLED" &&
      copy.cleanup?.state !== "DELETED" &&
      copy.cleanup?.state !== "ABANDONED",
  );

/** A cleanup not tried yet, or one whose next try has come (an older build's PENDING has no time). */
const isDue = (cleanup: CopyCleanup | null | undefined, now: Date): boolean =>
  cleanup?.state !== "PENDING" ||
  cleanup.nextAttemptAt === undefined ||
  Date.parse(cleanup.nextAttemptAt) <= now.getTime();

/** "3 minutes", "24 hours": how long a tenant reads snaprelay kept trying. */
const spokenDuration = (seconds: number): string => {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `${Math.round(minutes / 60)} hours`;
};

/**
 * What a failed delete leaves: a PENDING cleanup tried again after a longer wait, or, after the
 * last try, an ABANDONED one whose message tells the tenant (at 3 a.m., on the job) what to do.
 * `since`: when the first try was made (the cancellation).
 */
export const failedCleanup = (
  failure: { snapshotId: string; region: string; attempts: number; reason: string },
  since: string,
  now: Date,
): CopyCleanup => {
  const { snapshotId, region, attempts } = failure;
  // The reason ends a sentence of ours: its own full stop would double ours.
  const reason = failure.reason.slice(0, 500).replace(/[.\s]+$/, "");
  if (attempts >= CLEANUP_ATTEMPTS) {
    const tried = spokenDuration((now.getTime() - Date.parse(since)) / 1000);
    return {
      snapshotId,
      state: "ABANDONED",
      attempts,
      message: `snaprelay tried ${attempts} times over ${tried} to delete partial copy ${snapshotId} in ${region} and gave up: ${reason}. Delete it yourself: aws ec2 delete-snapshot --region ${region} --snapshot-id ${snapshotId}`,
    };
  }
  const nextAttemptAt = new Date(
    now.getTime() + cleanupRetrySeconds(attempts) * 1000,
  ).toISOString();
  return {
    snapshotId,
    state: "PENDING",
    attempts,
    nextAttemptAt,
    message: `The cloud would not delete it yet (${reason}); try ${attempts} of ${CLEANUP_ATTEMPTS} failed, the next is at ${nextAttemptAt}.`,
  };
};

/**
 * Deletes the copy's partial snapshot, found by its recorded id or, for a copy whose start was
 * under way, by the tags it was made with. Answers what became of it (undefined: there was none).
 */
const deletePartial = async (
  job: ReplicationJob,
  copy: CopyRecord,
  deps: StepDeps,
  now: Date,
): Promise<CopyCleanup | undefined> => {
  const snapshotId =
    copy.destinationSnapshotId ??
    copy.cleanup?.snapshotId ??
    (await deps.snapshots.findCopy(job.accountId, copy.destinationRegion, copyIdentityTags(job)))
      ?.snapshotId;
  if (!snapshotId) return undefined;
  // The tries so far count only for the same snapshot.
  const tried = copy.cleanup?.snapshotId === snapshotId ? (copy.cleanup.attempts ?? 0) : 0;
  const attempts = tried + 1;
  try {
    await deps.snapshots.delete(job.accountId, copy.destinationRegion, snapshotId);
    return { snapshotId, state: "DELETED", attempts };
  } catch (error) {
    return failedCleanup(
      { snapshotId, region: copy.destinationRegion, attempts, reason: errorMessage(error) },
      job.cancellation?.at ?? job.updatedAt,
      now,
    );
  }
};

/** When the sweeper must next look at the job: the earliest retry of a cleanup still PENDING. */
const nextRetry = (copies: readonly CopyRecord[], now: Date): string | undefined => {
  const retries = copies
    .filter((copy) => copy.cleanup?.state === "PENDING")
    .map(
      (copy) =>
        copy.cleanup?.nextAttemptAt ??
        new Date(now.getTime() + CLEANUP_RETRY_SECONDS * 1000).toISOString(),
    );
  return retries.sort()[0];
};

/**
 * Clears what the job's interrupted copies left: queue places, slots, partial snapshots. Records
 * each partial snapshot's fate on its copy; a PENDING one keeps the job in the sweeper's queue
 * until its next try. A copy whose next try has not come is left alone, whoever asks.
 */
export const cleanUpCancelled = async (
  job: ReplicationJob,
  deps: StepDeps,
): Promise<ReplicationJob> => {
  const now = deps.clock.now();
  const changes: Record<string, CopyChange> = {};
  for (const copy of interrupted(job)) {
    if (!isDue(copy.cleanup, now)) continue;
    await releaseSlot(job, copy.destinationRegion, deps);
    const cleanup = await deletePartial(job, copy, deps, now);
    if (cleanup) changes[copy.destinationRegion] = { cleanup };
  }
  const after = job.copies.map((copy) => ({
    ...copy,
    cleanup: changes[copy.destinationRegion]?.cleanup ?? copy.cleanup,
  }));
  const nextSweepAt = nextRetry(after, now);
  return deps.jobs.apply(
    job.jobId,
    nextSweepAt ? { copies: changes, nextSweepAt } : { copies: changes, sweepDone: true },
    now.toISOString(),
  );
};

/** Marks the job and its unfinished copies CANCELLED; a copy that ends meanwhile is read again. */
const markCancelled = async (
  job: ReplicationJob,
  request: CancelRequest,
  deps: CancelDeps,
): Promise<ReplicationJob> => {
  let current = job;
  for (let attempt = 0; ; attempt++) {
    if (current.status === "CANCELLED") return current;
    if (isFinishedJob(current.status)) throw finished(current);
    const now = deps.clock.now().toISOString();
    const copies: Record<string, CopyChange> = {};
    for (const copy of current.copies) {
      if (!isFinishedCopy(copy.status)) copies[copy.destinationRegion] = { status: "CANCELLED" };
    }
    try {
      return await deps.jobs.apply(
        current.jobId,
        {
          status: "CANCELLED",
          copies,
          cancellation: {
            by: request.accountId,
            at: now,
            ...(request.reason ? { reason: request.reason } : {}),
          },
          // The sweeper finishes the cleanup should this request die half-way.
          nextSweepAt: new Date(Date.parse(now) + CLEANUP_RETRY_SECONDS * 1000).toISOString(),
        },
        now,
      );
    } catch (error) {
      if (attempt >= 2) throw error;
      // The job or a copy moved between the read and the write: read it again.
      current = (await deps.jobs.get(current.jobId)) ?? current;
    }
  }
};

export const cancelJob = async (
  request: CancelRequest,
  deps: CancelDeps,
): Promise<ReplicationJob> => {
  const job = await deps.jobs.get(request.jobId);
  // Another account's job is as absent as a job that never was.
  if (!job || job.accountId !== request.accountId) throw notFound(request.jobId);
  const cancelled = await markCancelled(job, request, deps);
  if (cancelled.executionArn) {
    await deps.workflow.stop(
      cancelled.executionArn,
      `Job ${cancelled.jobId} was cancelled by account ${cancelled.cancellation?.by ?? request.accountId}.`,
    );
  }
  return cleanUpCancelled(cancelled, deps);
};
