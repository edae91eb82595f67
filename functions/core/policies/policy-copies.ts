// The copies a policy's jobs make, as snaprelay records them the moment its own CopySnapshot call
// (or the retry that finds that call's copy) gives the copy's id. Retention reads these records,
// never the copies' tags: a tenant can write any tag, but not snaprelay's records.
import { TAG_SOURCE_TIME, TAG_VOLUME_ID } from "../copy-tags.js";
import type { ReplicationJob } from "../job.js";
import type { PolicyStore } from "../ports.js";
import type { PolicyCopy } from "./records.js";

/** The record of a copy `job` made in `destinationRegion`; undefined for a job of no policy. */
export const policyCopyOf = (
  job: ReplicationJob,
  destinationRegion: string,
  snapshotId: string,
  startedAt: string,
): PolicyCopy | undefined => {
  // A policy's job carries its volume and its source's time from the policy's own run (the
  // source region's answer), not from anything a caller wrote.
  const volumeId = job.tags[TAG_VOLUME_ID];
  if (job.trigger.type !== "schedule" || !volumeId) return undefined;
  return {
    policyId: job.trigger.policyId,
    volumeId,
    destinationRegion,
    snapshotId,
    sourceSnapshotId: job.snapshotId,
    sourceTime: job.tags[TAG_SOURCE_TIME] ?? job.createdAt,
    jobId: job.jobId,
    startedAt,
  };
};

/** Records the copy if `job` is a policy's; safe to repeat. */
export const recordPolicyCopy = async (
  job: ReplicationJob,
  destinationRegion: string,
  snapshotId: string,
  startedAt: string,
  policies: Pick<PolicyStore, "recordPolicyCopy">,
): Promise<void> => {
  const made = policyCopyOf(job, destinationRegion, snapshotId, startedAt);
  if (made) await policies.recordPolicyCopy(made);
};
