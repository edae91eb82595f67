// The Finalize steps: a copy the cloud finished is marked COMPLETED and its slot goes to the next
// copy waiting; once every destination is done, the job takes its outcome (COMPLETED, PARTIAL or
// FAILED). Both then delete any second copy a lost CopySnapshot answer left (second-copies.ts).
import { releaseSlot } from "./copy-queue.js";
import { errorMessage } from "./errors.js";
import { type CopyRecord, outcomeOf, type ReplicationJob } from "./job.js";
import { loadCopy, loadJob } from "./load-job.js";
import { removeSecondCopies, type SecondCopySweep } from "./second-copies.js";
import { startOnHandOff } from "./start-copy.js";
import type { StepDeps } from "./step-deps.js";

const GIB = 1024 ** 3;

/**
 * Looks for the copy's second copies. This is housekeeping: whatever goes wrong here must not
 * fail a copy that completed nor the job's outcome (the Finalize steps' Catch would record them
 * FAILED, and their Retry does not cover throttling), so a throttled look is reported like any
 * other failure. The job's Finalize step looks again.
 */
const sweepSecondCopies = async (
  job: ReplicationJob,
  copy: CopyRecord,
  deps: StepDeps,
): Promise<SecondCopySweep> => {
  try {
    return await removeSecondCopies(job, copy, deps);
  } catch (error) {
    return {
      destinationRegion: copy.destinationRegion,
      deleted: [],
      problems: [{ message: `Second copies were not looked for: ${errorMessage(error)}` }],
    };
  }
};

/** A look that found nothing to delete and met no trouble is left out of a step's output. */
const worthReporting = (sweep: SecondCopySweep): boolean =>
  sweep.deleted.length > 0 || sweep.problems.length > 0;

export const finalizeCopy = async (
  jobId: string,
  destinationRegion: string,
  deps: StepDeps,
): Promise<{
  destinationRegion: string;
  status: "COMPLETED";
  destinationSnapshotId: string | null;
  /** Second copies deleted (or that could not be), when there were any: the execution shows them. */
  secondCopies?: Pick<SecondCopySweep, "deleted" | "problems">;
}> => {
  const { job, copy } = await loadCopy(deps.jobs, jobId, destinationRegion);
  const now = deps.clock.now().toISOString();
  await deps.jobs.apply(
    jobId,
    { copies: { [destinationRegion]: { status: "COMPLETED", progress: 100, completedAt: now } } },
    now,
  );
  // A retried step finds the copy completed already: it was counted the first time.
  if (copy.status !== "COMPLETED") {
    deps.metrics.copyCompleted(destinationRegion, {
      bytes: (copy.sizeGiB ?? 0) * GIB,
      seconds: copy.startedAt
        ? Math.max(0, (Date.parse(now) - Date.parse(copy.startedAt)) / 1000)
        : 0,
    });
  }
  await releaseSlot(job, destinationRegion, deps, {
    copyEnded: true,
    startGranted: startOnHandOff(destinationRegion, deps),
  });
  const sweep = await sweepSecondCopies(job, copy, deps);
  return {
    destinationRegion,
    status: "COMPLETED",
    destinationSnapshotId: copy.destinationSnapshotId,
    ...(worthReporting(sweep)
      ? { secondCopies: { deleted: sweep.deleted, problems: sweep.problems } }
      : {}),
  };
};

/**
 * Gives the job its outcome, then looks at every copy's destination for second copies: a failed
 * copy's (no FinalizeCopy looked), and a completed one's again (its first look may have been
 * throttled). What it deletes is not in the step's output (see `finalizeCopy`'s).
 */
export const finalizeJob = async (jobId: string, deps: StepDeps): Promise<ReplicationJob> => {
  const job = await loadJob(deps.jobs, jobId);
  const finished = await deps.jobs.apply(
    jobId,
    { status: outcomeOf(job.copies) },
    deps.clock.now().toISOString(),
  );
  for (const copy of finished.copies) await sweepSecondCopies(finished, copy, deps);
  return finished;
};
