// The tags every copy carries, so a copy can always be traced back to its job and source,
// and a retried StartCopy can find a copy it already started.
import type { ReplicationJob } from "./job.js";

export const TAG_JOB_ID = "snaprelay:job-id";
export const TAG_SOURCE_SNAPSHOT = "snaprelay:source-snapshot-id";
export const TAG_SOURCE_REGION = "snaprelay:source-region";

/** The tags that identify the copy of `job` (to find it again); a subset of `copyTags`. */
export const copyIdentityTags = (job: ReplicationJob): Record<string, string> => ({
  [TAG_JOB_ID]: job.jobId,
  [TAG_SOURCE_SNAPSHOT]: job.snapshotId,
  [TAG_SOURCE_REGION]: job.sourceRegion,
});

export const copyTags = (job: ReplicationJob): Record<string, string> => ({
  ...job.tags,
  Name: job.name,
  ...copyIdentityTags(job),
});
