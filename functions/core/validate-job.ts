// The Validate step: the seed's rules again (a scheduled job never passed the API), then the
// cloud's word on the source snapshot. A broken rule rejects the job and says why.

import { assertAllowlisted } from "./access.js";
import { userTagsOf } from "./copy-tags.js";
import { DomainError, isRejection } from "./errors.js";
import { isFinishedCopy, type ReplicationJob } from "./job.js";
import { loadJob } from "./load-job.js";
import type { CopyChange } from "./ports.js";
import { parseReplicationRequest } from "./request.js";
import { checkReplicationRequest } from "./rules.js";
import type { StepDeps } from "./step-deps.js";

export type ValidationOutcome =
  | { accepted: true; destinationRegions: string[] }
  | { accepted: false; error: { code: string; message: string } };

/** Checks the source snapshot can be copied; answers its volume's size. */
const checkSourceSnapshot = async (deps: StepDeps, job: ReplicationJob): Promise<number> => {
  const { accountId, sourceRegion, snapshotId } = job;
  const snapshot = await deps.snapshots.describe(accountId, sourceRegion, snapshotId);
  if (!snapshot) {
    throw new DomainError(
      "SnapshotNotFound",
      `Snapshot ${snapshotId} does not exist in ${sourceRegion}; check the snapshot id and the source region.`,
    );
  }
  if (snapshot.state !== "completed") {
    throw new DomainError(
      "SnapshotNotReady",
      `Snapshot ${snapshotId} in ${sourceRegion} is ${snapshot.state} (${snapshot.progress}%); only a completed snapshot can be copied.`,
    );
  }
  return snapshot.volumeSizeGiB;
};

/** Rule 5: each destination must have room for one more snapshot, copies in flight included. */
const checkQuota = async (deps: StepDeps, job: ReplicationJob): Promise<void> => {
  const quota = deps.settings.snapshotQuotaPerRegion;
  for (const { destinationRegion } of job.copies) {
    const [held, queued] = await Promise.all([
      deps.snapshots.countOwned(job.accountId, destinationRegion),
      deps.jobs.countQueuedCopies(job.accountId, destinationRegion, job.jobId),
    ]);
    if (held + queued + 1 > quota) {
      throw new DomainError(
        "QuotaExceeded",
        `${destinationRegion} holds ${held} snapshots and ${queued} more are queued to copy there; the quota is ${quota} snapshots per region, so this copy would exceed it. Delete old snapshots there or choose another region.`,
      );
    }
  }
};

export const validateJob = async (jobId: string, deps: StepDeps): Promise<ValidationOutcome> => {
  const now = () => deps.clock.now().toISOString();
  let job = await loadJob(deps.jobs, jobId);
  if (job.status === "RUNNING") {
    // A retry after the job was accepted, or an execution taking over from one that ended: the
    // copies still to finish (on a retry, all of them, as the first attempt answered).
    const unfinished = job.copies.filter((copy) => !isFinishedCopy(copy.status));
    return { accepted: true, destinationRegions: unfinished.map((c) => c.destinationRegion) };
  }
  if (job.status === "REJECTED" && job.error) return { accepted: false, error: job.error };
  job = await deps.jobs.apply(jobId, { status: "VALIDATING" }, now());

  let sizeGiB: number;
  try {
    // The allowlist can change between the request and the run (an account leaves the beta).
    await assertAllowlisted(job.accountId, deps.allowlist);
    checkReplicationRequest(
      parseReplicationRequest({
        snapshotId: job.snapshotId,
        sourceRegion: job.sourceRegion,
        destinationRegions: job.copies.map((c) => c.destinationRegion),
        name: job.name,
        tags: userTagsOf(job.tags),
      }),
      deps.settings,
    );
    sizeGiB = await checkSourceSnapshot(deps, job);
    await checkQuota(deps, job);
  } catch (error) {
    if (!isRejection(error)) throw error;
    const rejection = { code: error.code, message: error.message };
    // None of its copies will start: say so on each, not only on the job.
    const cancelled: Record<string, CopyChange> = Object.fromEntries(
      job.copies.map((copy) => [copy.destinationRegion, { status: "CANCELLED" }]),
    );
    await deps.jobs.apply(
      jobId,
      { status: "REJECTED", error: rejection, copies: cancelled },
      now(),
    );
    deps.metrics.rejected(rejection.code);
    return { accepted: false, error: rejection };
  }

  const queued: Record<string, CopyChange> = Object.fromEntries(
    job.copies.map((copy) => [copy.destinationRegion, { status: "QUEUED", sizeGiB }]),
  );
  await deps.jobs.apply(jobId, { status: "RUNNING", copies: queued }, now());
  return { accepted: true, destinationRegions: job.copies.map((c) => c.destinationRegion) };
};
