// After a policy's job: each completed copy becomes its volume's recovery point in that
// destination, and the policy's older copies of the volume there are pruned by its retention. Only
// the copies snaprelay recorded from its own CopySnapshot calls for this policy and volume are
// ever considered (never a snapshot by its tags); the newest is always kept; a copy that a
// running job reads or writes is spared. Each deletion is recorded before and after it
// is made, so a retried step repeats it harmlessly and the record never claims more than was done.
import { TAG_SOURCE_TIME, TAG_VOLUME_ID } from "../copy-tags.js";
import { errorMessage, isDomainError } from "../errors.js";
import type { ReplicationJob } from "../job.js";
import { loadJob } from "../load-job.js";
import { type PolicyEvents, silentEvents } from "./events.js";
import type { DrPolicy } from "./policy.js";
import { recordPolicyCopy } from "./policy-copies.js";
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

/** A recorded copy the cloud no longer shows is forgotten once it is this old. */
const FORGET_MISSING_AFTER_MS = 86_400_000;

const prune = async (
  policy: DrPolicy,
  job: ReplicationJob,
  volumeId: string,
  region: string,
  deps: RetentionDeps,
  outcome: RetentionOutcome,
): Promise<void> => {
  const target = { policyId: policy.policyId, volumeId, destinationRegion: region };
  const recorded = await deps.policies.policyCopies(target);
  const present = new Map(
    (
      await deps.snapshots.findByIds(
        job.accountId,
        region,
        recorded.map((copy) => copy.snapshotId),
      )
    ).map((snapshot) => [snapshot.snapshotId, snapshot]),
  );
  const now = deps.clock.now();
  // A copy someone deleted by hand is gone: its record goes too, once it is surely not a copy
  // the region has not shown yet.
  for (const copy of recorded) {
    if (present.has(copy.snapshotId)) continue;
    if (now.getTime() - Date.parse(copy.startedAt) > FORGET_MISSING_AFTER_MS) {
      await deps.policies.forgetPolicyCopy(copy);
    }
  }
  // Only completed copies count (a copy in flight never pushes a good one out), ordered by their
  // source's time as recorded when snaprelay made them: a copy of an older snapshot that
  // finished late is still the older copy, whatever its tags say now.
  const retained = recorded
    .filter((copy) => present.get(copy.snapshotId)?.state === "completed")
    .map((copy) => ({ snapshotId: copy.snapshotId, time: copy.sourceTime }));
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
    await deps.policies.forgetPolicyCopy({ ...target, snapshotId: copy.snapshotId });
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
    // StartCopy recorded it already; a job started before copies were recorded is caught here.
    if (copy.destinationSnapshotId) {
      await recordPolicyCopy(
        job,
        copy.destinationRegion,
        copy.destinationSnapshotId,
        copy.startedAt ?? job.createdAt,
        deps.policies,
      );
    }
    await prune(policy, job, volumeId, copy.destinationRegion, deps, outcome);
  }
  return outcome;
};
