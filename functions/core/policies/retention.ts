// After a policy's job: each completed copy becomes its volume's recovery point in that
// destination, and the policy's older copies of the volume there are pruned by its retention. Only
// snapshots tagged with this policy and volume are ever considered; the newest is always kept; a
// copy that a running job reads or writes is spared. Each deletion is recorded before and after it
// is made, so a retried step repeats it harmlessly and the record never claims more than was done.
import { TAG_POLICY_ID, TAG_SOURCE_TIME, TAG_VOLUME_ID } from "../copy-tags.js";
import { errorMessage, isDomainError } from "../errors.js";
import type { ReplicationJob } from "../job.js";
import { loadJob } from "../load-job.js";
import { type PolicyEvents, silentEvents } from "./events.js";
import type { DrPolicy } from "./policy.js";
import type { Deletion } from "./records.js";
import { recordRecoveryPoint } from "./recovery-point.js";
import { planRetention } from "./retention-plan.js";
import type { PolicyDeps } from "./run-policy.js";

/** What retention reads and deletes with: no workflow to start. */
export type RetentionDeps = Pick<PolicyDeps, "policies" | "jobs" | "snapshots" | "clock">;

export interface RetentionOutcome {
  jobId: string;
  policyId: string | null;
  recorded: string[];
  deleted: string[];
  /** Copies the cloud refused to delete (recorded as FAILED; tried again next time). */
  failed: string[];
  spared: string[];
}

const prune = async (
  policy: DrPolicy,
  job: ReplicationJob,
  volumeId: string,
  region: string,
  deps: RetentionDeps,
  outcome: RetentionOutcome,
): Promise<void> => {
  const copies = (
    await deps.snapshots.findTagged(job.accountId, region, {
      [TAG_POLICY_ID]: [policy.policyId],
      [TAG_VOLUME_ID]: [volumeId],
    })
  ).filter((copy) => copy.state === "completed");
  const now = deps.clock.now();
  // Copies are ordered by their source's time: a copy of an older snapshot that finished late is
  // still the older copy.
  const retained = copies.map((copy) => ({
    snapshotId: copy.snapshotId,
    time: copy.tags[TAG_SOURCE_TIME] ?? copy.startTime,
  }));
  const candidates = planRetention(retained, policy.retention, now).delete;
  const inUse = new Set<string>();
  for (const candidate of candidates) {
    const readers = await deps.jobs.activeJobsFor(job.accountId, region, candidate.snapshotId);
    if (readers.length > 0) inUse.add(candidate.snapshotId);
  }
  const plan = planRetention(retained, policy.retention, now, inUse);
  outcome.spared.push(...plan.spared.map((copy) => copy.snapshotId));
  for (const copy of plan.delete) {
    const deletion: Deletion = {
      policyId: policy.policyId,
      volumeId,
      destinationRegion: region,
      snapshotId: copy.snapshotId,
      copyTime: copy.time,
      reason: copy.reason,
      jobId: job.jobId,
      status: "DELETING",
      at: now.toISOString(),
    };
    await deps.policies.saveDeletion(deletion);
    try {
      await deps.snapshots.delete(job.accountId, region, copy.snapshotId);
    } catch (error) {
      // One copy the cloud will not delete now (in use, say) does not keep the others: it is
      // recorded, and the next retention of the volume tries it again.
      if (isDomainError(error, "AccountAccessDenied")) throw error;
      await deps.policies.saveDeletion({
        ...deletion,
        status: "FAILED",
        at: deps.clock.now().toISOString(),
        error: errorMessage(error),
      });
      outcome.failed.push(copy.snapshotId);
      continue;
    }
    await deps.policies.saveDeletion({
      ...deletion,
      status: "DELETED",
      at: deps.clock.now().toISOString(),
    });
    outcome.deleted.push(copy.snapshotId);
  }
};

/** The Retention step of a policy's job; a job from the API has nothing to do here. */
export const applyRetention = async (
  jobId: string,
  deps: RetentionDeps,
  events: PolicyEvents = silentEvents,
): Promise<RetentionOutcome> => {
  const job = await loadJob(deps.jobs, jobId);
  const policyId = job.trigger.type === "schedule" ? job.trigger.policyId : null;
  const outcome: RetentionOutcome = {
    jobId,
    policyId,
    recorded: [],
    deleted: [],
    failed: [],
    spared: [],
  };
  const volumeId = job.tags[TAG_VOLUME_ID];
  if (!policyId || !volumeId) return outcome;
  // A policy deleted since: its copies stay, and no rule is left to prune them by.
  const policy = await deps.policies.get(policyId);
  if (!policy) return outcome;
  for (const copy of job.copies) {
    if (copy.status !== "COMPLETED") continue;
    await recordRecoveryPoint(
      policy,
      { volumeId, destinationRegion: copy.destinationRegion },
      {
        sourceSnapshotId: job.snapshotId,
        sourceTime: job.tags[TAG_SOURCE_TIME] ?? job.createdAt,
        copySnapshotId: copy.destinationSnapshotId,
        jobId: job.jobId,
        copiedAt: copy.completedAt ?? deps.clock.now().toISOString(),
      },
      deps,
      events,
    );
    outcome.recorded.push(copy.destinationRegion);
    await prune(policy, job, volumeId, copy.destinationRegion, deps, outcome);
  }
  return outcome;
};
