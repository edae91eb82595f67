// The recovery point of a volume in a destination: how old the newest copy's source is, against
// the policy's target.
import type { VolumeTarget } from "./records.js";

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
