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

/** On the copies a DR policy makes: the policy, the source volume and its snapshot's time. */
export const TAG_POLICY_ID = "snaprelay:policy-id";
export const TAG_VOLUME_ID = "snaprelay:volume-id";
export const TAG_SOURCE_TIME = "snaprelay:source-time";

const SERVICE_TAG_PREFIX = "snaprelay:";

/** The tags a caller gave, without those snaprelay set itself (a policy's job carries some). */
export const userTagsOf = (tags: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(tags).filter(([key]) => !key.startsWith(SERVICE_TAG_PREFIX)));
