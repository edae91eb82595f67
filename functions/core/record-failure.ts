// The Fail step: records why a copy or a whole job failed, and removes a destination snapshot
// the failed copy left half-made, so a failure leaves nothing behind but its explanation.
import { releaseSlot } from "./copy-queue.js";
import { errorMessage, isDomainError } from "./errors.js";
import { isFinishedCopy, isFinishedJob, type JobError } from "./job.js";
import { loadJob } from "./load-job.js";
import type { CopyChange } from "./ports.js";
import { removeSecondCopiesOfJob } from "./second-copies.js";
import type { StepDeps } from "./step-deps.js";

/** Deletes an unfinished destination snapshot; says what happened, for the copy's error. */
const removeHalfMadeCopy = async (
  deps: StepDeps,
  accountId: string,
  region: string,
  snapshotId: string | null,
): Promise<string> => {
  if (!snapshotId) return "";
  try {
    const snapshot = await deps.snapshots.describe(accountId, region, snapshotId);
    if (!snapshot) return "";
    if (snapshot.state === "completed") return ` The copy ${snapshotId} completed and was kept.`;
    await deps.snapshots.delete(accountId, region, snapshotId);
    return ` The unfinished copy ${snapshotId} was deleted.`;
  } catch (error) {
    // Throttling passes: the step is retried. Anything else (the account's role revoked, say)
    // must not stop the failure from being recorded: the message says what is left.
    if (isDomainError(error, "CloudThrottled")) throw error;
    return ` The unfinished copy ${snapshotId} could not be deleted (${errorMessage(error)}) and remains in ${region}; delete it by hand.`;
  }
};

export const recordCopyFailure = async (
  jobId: string,
  destinationRegion: string,
  failure: JobError,
  deps: StepDeps,
): Promise<{ destinationRegion: string; status: "FAILED"; error: JobError }> => {
  const job = await loadJob(deps.jobs, jobId);
  const copy = job.copies.find((c) => c.destinationRegion === destinationRegion);
  if (copy?.status === "FAILED" && copy.error) {
    // A retried step: the slot may not have been given back the first time.
    await releaseSlot(job, destinationRegion, deps);
    return { destinationRegion, status: "FAILED", error: copy.error };
  }
  const cleanup = await removeHalfMadeCopy(
    deps,
    job.accountId,
    destinationRegion,
    copy?.destinationSnapshotId ?? null,
  );
  const error = { code: failure.code, message: `${failure.message}${cleanup}` };
  await deps.jobs.apply(
    jobId,
    { copies: { [destinationRegion]: { status: "FAILED", error } } },
    deps.clock.now().toISOString(),
  );
  deps.metrics.copyFailed(destinationRegion, failure.code);
  await releaseSlot(job, destinationRegion, deps);
  return { destinationRegion, status: "FAILED", error };
};

/**
 * A copy the cloud is still making when recovery gives its job up is left to finish, never
 * deleted: it may be hours in, and it is the tenant's to keep or delete (its tags name the job).
 */
const leftToFinish = (region: string, snapshotId: string | null, jobId: string): string =>
  snapshotId
    ? ` The copy ${snapshotId} was still under way in ${region} and was left to finish; it is tagged with job ${jobId}: delete it if it is not wanted.`
    : "";

/**
 * Marks the job FAILED, and every copy still under way with it. A finished job is left as is.
 * The job's own failure removes half-made copies; recovery's (`keepCopiesUnderWay`, when the
 * sweeper gives up on a job whose executions kept ending) never deletes a copy in progress.
 */
export const recordJobFailure = async (
  jobId: string,
  failure: JobError,
  deps: StepDeps,
  options: { keepCopiesUnderWay?: boolean } = {},
): Promise<{ status: string; error: JobError | null }> => {
  const job = await loadJob(deps.jobs, jobId);
  if (isFinishedJob(job.status)) {
    // A retried step (throttled while looking for second copies, say) looks again.
    if (job.status === "FAILED") await removeSecondCopiesOfJob(job, deps);
    return { status: job.status, error: job.error };
  }
  const copies: Record<string, CopyChange> = {};
  for (const copy of job.copies) {
    if (isFinishedCopy(copy.status)) continue;
    const cleanup = options.keepCopiesUnderWay
      ? leftToFinish(copy.destinationRegion, copy.destinationSnapshotId, jobId)
      : await removeHalfMadeCopy(
          deps,
          job.accountId,
          copy.destinationRegion,
          copy.destinationSnapshotId,
        );
    copies[copy.destinationRegion] = {
      status: "FAILED",
      error: { code: failure.code, message: `The job failed: ${failure.message}${cleanup}` },
    };
  }
  const failed = await deps.jobs.apply(
    jobId,
    { status: "FAILED", error: failure, copies },
    deps.clock.now().toISOString(),
  );
  for (const copy of job.copies) await releaseSlot(job, copy.destinationRegion, deps);
  // A copy made twice (a lost CopySnapshot answer) leaves its unrecorded twin: deleted here, as
  // FinalizeJob does for a job that ends normally. Throttling passes (the step is retried).
  await removeSecondCopiesOfJob(failed, deps);
  return { status: failed.status, error: failed.error };
};
