// The recovery point of a volume in a destination: how old the newest copy's source is, against
// the policy's target.
import type { Clock, PolicyStore } from "../ports.js";
import type { PolicyEvents } from "./events.js";
import type { DrPolicy } from "./policy.js";
import type { RecoveryPoint, VolumeTarget } from "./records.js";

export type RpoStatus = "OK" | "BREACHED";

export interface RecoveryPointView {
  volumeId: string;
  destinationRegion: string;
  status: RpoStatus;
  /** Minutes since the newest copy's source snapshot was taken; null before the first copy. */
  ageMinutes: number | null;
  sourceSnapshotId: string | null;
  sourceTime: string | null;
  copySnapshotId: string | null;
  /** The policy's latest job for this volume and destination. */
  latestJobId: string | null;
}

const MINUTE_MS = 60_000;

/**
 * OK while the newest copy's source is younger than the target. Before the first copy a volume is
 * OK for one RPO from when the policy first selected it, BREACHED after.
 */
export const recoveryPointOf = (
  target: VolumeTarget,
  rpoMinutes: number,
  now: Date,
): RecoveryPointView => {
  const point = target.recoveryPoint;
  const since = point ? point.sourceTime : target.createdAt;
  const age = (now.getTime() - Date.parse(since)) / MINUTE_MS;
  return {
    volumeId: target.volumeId,
    destinationRegion: target.destinationRegion,
    status: age > rpoMinutes ? "BREACHED" : "OK",
    ageMinutes: point ? Math.max(0, Math.round(age)) : null,
    sourceSnapshotId: point?.sourceSnapshotId ?? null,
    sourceTime: point?.sourceTime ?? null,
    copySnapshotId: point?.copySnapshotId ?? null,
    latestJobId: target.activeJobId,
  };
};

/** When a target whose newest source is from `since` breaches a target of `rpoMinutes`. */
export const breachTime = (since: string, rpoMinutes: number): string =>
  new Date(Date.parse(since) + rpoMinutes * MINUTE_MS).toISOString();

/**
 * Makes a completed copy the recovery point of its volume in its region (if its source is newer
 * than the one recorded), and reports the end of a breach it brings.
 */
export const recordRecoveryPoint = async (
  policy: DrPolicy,
  target: Pick<VolumeTarget, "volumeId" | "destinationRegion">,
  point: RecoveryPoint,
  deps: { policies: PolicyStore; clock: Clock },
  events: PolicyEvents,
): Promise<void> => {
  const ref = { policyId: policy.policyId, ...target };
  const now = deps.clock.now();
  const breachAt = breachTime(point.sourceTime, policy.rpoMinutes);
  const before = await deps.policies.recordCopy(ref, point, breachAt, now.toISOString());
  const newer = !before?.recoveryPoint || before.recoveryPoint.sourceTime < point.sourceTime;
  if (newer && before?.breachedSince && Date.parse(breachAt) > now.getTime()) {
    events.recovered({
      ...ref,
      policyName: policy.name,
      accountId: policy.accountId,
      rpoMinutes: policy.rpoMinutes,
      sourceSnapshotId: point.sourceSnapshotId,
      sourceTime: point.sourceTime,
      breachedSince: before.breachedSince,
    });
  }
};

/** After a policy's RPO changed: each target not in breach is checked at its new breach time. */
export const rescheduleBreachChecks = async (
  policy: DrPolicy,
  policies: PolicyStore,
): Promise<void> => {
  for (const target of await policies.targets(policy.policyId)) {
    if (target.breachedSince !== null) continue;
    const since = target.recoveryPoint?.sourceTime ?? target.createdAt;
    await policies.rescheduleBreach(target, breachTime(since, policy.rpoMinutes));
  }
};
