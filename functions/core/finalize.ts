// The Finalize steps: a copy the cloud finished is marked COMPLETED and its slot goes to the next
// copy waiting; once every destination is done, the job takes its outcome (COMPLETED, PARTIAL or
// FAILED).
import { releaseSlot } from "./copy-queue.js";
import { outcomeOf, type ReplicationJob } from "./job.js";
import { loadCopy, loadJob } from "./load-job.js";
import type { StepDeps } from "./step-deps.js";

const GIB = 1024 ** 3;

export const finalizeCopy = async (
  jobId: string,
  destinationRegion: string,
  deps: StepDeps,
): Promise<{
  destinationRegion: string;
  status: "COMPLETED";
  destinationSnapshotId: string | null;
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
  await releaseSlot(job, destinationRegion, deps);
  return {
    destinationRegion,
    status: "COMPLETED",
    destinationSnapshotId: copy.destinationSnapshotId,
  };
};

export const finalizeJob = async (jobId: string, deps: StepDeps): Promise<ReplicationJob> => {
  const job = await loadJob(deps.jobs, jobId);
  return deps.jobs.apply(jobId, { status: outcomeOf(job.copies) }, deps.clock.now().toISOString());
};
