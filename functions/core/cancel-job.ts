// Cancelling a job: the job and its unfinished copies become CANCELLED (one conditional write,
// so no step can walk them back), the execution is stopped, and each copy's traces are cleared:
// its place in the queue, its slot (handed to the next copy), and its partial snapshot in the
// destination (deleting a pending copy stops it). A partial snapshot the cloud will not delete
// yet is recorded PENDING and the sweeper deletes it as soon as it can. Safe to repeat: a second
// cancel answers the cancelled job and finishes any cleanup left.

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

/** How long a partial snapshot the cloud would not delete waits for the sweeper's next try. */
export const CLEANUP_RETRY_SECONDS = 60;

const notFound = (jobId: string) =>
  new DomainError("JobNotFound", `No replication job ${jobId} in this account.`);

const finished = (job: ReplicationJob) =>
  new DomainError(
    "JobFinished",
    `Job ${job.jobId} has already ended ${job.status}; only a job that is still running can be cancelled.`,
  );

/** Copies that were under way when the job was cancelled: they may hold a slot, a place, a snapshot. */
const interrupted = (job: ReplicationJob): CopyRecord[] =>
  job.copies.filter((copy) => copy.status === "CANCELLED" && copy.cleanup?.state !== "DELETED");

/**
 * Deletes the copy's partial snapshot, found by its recorded id or, for a copy whose start was
 * under way, by the tags it was made with. Answers what became of it (undefined: there was none).
 */
const deletePartial = async (
  job: ReplicationJob,
  copy: CopyRecord,
  deps: StepDeps,
): Promise<CopyCleanup | undefined> => {
  const snapshotId =
    copy.destinationSnapshotId ??
    copy.cleanup?.snapshotId ??
    (await deps.snapshots.findCopy(job.accountId, copy.destinationRegion, copyIdentityTags(job)))
      ?.snapshotId;
  if (!snapshotId) return undefined;
  try {
    await deps.snapshots.delete(job.accountId, copy.destinationRegion, snapshotId);
    return { snapshotId, state: "DELETED" };
  } catch (error) {
    return {
      snapshotId,
      state: "PENDING",
      message: `The cloud would not delete it yet (${errorMessage(error)}); it is deleted as soon as the cloud allows.`,
    };
  }
};

/**
 * Clears what the job's interrupted copies left: queue places, slots, partial snapshots. Records
 * each partial snapshot's fate on its copy; a PENDING one keeps the job in the sweeper's queue.
 */
export const cleanUpCancelled = async (
  job: ReplicationJob,
  deps: StepDeps,
): Promise<ReplicationJob> => {
  const changes: Record<string, CopyChange> = {};
  for (const copy of interrupted(job)) {
    await releaseSlot(job, copy.destinationRegion, deps);
    const cleanup = await deletePartial(job, copy, deps);
    if (cleanup) changes[copy.destinationRegion] = { cleanup };
  }
  const now = deps.clock.now();
  const pending = Object.values(changes).some((change) => change.cleanup?.state === "PENDING");
  return deps.jobs.apply(
    job.jobId,
    pending
      ? {
          copies: changes,
          nextSweepAt: new Date(now.getTime() + CLEANUP_RETRY_SECONDS * 1000).toISOString(),
        }
      : { copies: changes, sweepDone: true },
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
