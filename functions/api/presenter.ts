// What the API shows of a job: the contract's fields in the contract's order, and nothing that
// only the service needs (the owning account is implied by the caller). Its type is the OpenAPI
// document's Job schema, so the two cannot drift apart.
import type { ReplicationJob } from "../core/job.js";
import type { LiveCopy } from "../core/live-progress.js";
import type { JobBody } from "./openapi/schemas.js";

/**
 * `queuePositions`: for copies waiting for a slot, how many copies wait before each (by region);
 * shown with a single job, left out of listings (counting a queue costs a read of it). `live`:
 * the progress and ETA of copies in flight, as the cloud shows them now (a single job too).
 */
export const presentJob = (
  job: ReplicationJob,
  queuePositions?: Record<string, number>,
  live: Record<string, LiveCopy> = {},
): JobBody => ({
  jobId: job.jobId,
  status: job.status,
  snapshotId: job.snapshotId,
  sourceRegion: job.sourceRegion,
  name: job.name,
  tags: job.tags,
  trigger: job.trigger,
  createdAt: job.createdAt,
  updatedAt: job.updatedAt,
  executionArn: job.executionArn,
  copies: job.copies.map((copy) => ({
    destinationRegion: copy.destinationRegion,
    name: job.name,
    status: copy.status,
    ...(queuePositions ? { queuePosition: queuePositions[copy.destinationRegion] ?? null } : {}),
    progress: live[copy.destinationRegion]?.progress ?? copy.progress,
    etaSeconds: live[copy.destinationRegion]?.etaSeconds ?? null,
    destinationSnapshotId: copy.destinationSnapshotId,
    error: copy.error,
    startedAt: copy.startedAt,
    completedAt: copy.completedAt,
    progressAt: copy.progressAt,
    // A cancelled copy's partial snapshot: DELETED, PENDING until the cloud lets it go (with its
    // tries so far and the next), or ABANDONED to the tenant after the last try.
    ...(copy.cleanup ? { cleanup: copy.cleanup } : {}),
  })),
  error: job.error,
  ...(job.cancellation ? { cancellation: job.cancellation } : {}),
});
