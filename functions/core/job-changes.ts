// When a refused change to a job is a retried step rather than a conflict: everything it asks
// for is already there. Every JobStore uses this one rule.
import type { ReplicationJob } from "./job.js";
import type { JobChange } from "./ports.js";

export const isAlreadyApplied = (job: ReplicationJob, change: JobChange): boolean =>
  (change.status === undefined || job.status === change.status) &&
  (change.executionArn === undefined || job.executionArn === change.executionArn) &&
  Object.entries(change.copies ?? {}).every(([region, copyChange]) => {
    const copy = job.copies.find((c) => c.destinationRegion === region);
    if (!copy) return false;
    // A late progress report on a copy that has moved on is stale, not an error.
    return copyChange.status === undefined || copy.status === copyChange.status;
  });
