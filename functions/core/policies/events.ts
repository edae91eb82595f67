// The recovery-point events an alarm matches: a target's newest DR copy grew older than its
// policy's RPO, and a later copy brought it back within it.
export interface RecoveryPointEvent {
  accountId: string;
  policyId: string;
  policyName: string;
  volumeId: string;
  destinationRegion: string;
  rpoMinutes: number;
  /** The newest copied source snapshot, if the volume has a copy there at all. */
  sourceSnapshotId: string | null;
  sourceTime: string | null;
}

export interface PolicyEvents {
  breached(event: RecoveryPointEvent & { ageMinutes: number | null; breachedSince: string }): void;
  recovered(event: RecoveryPointEvent & { breachedSince: string }): void;
}

export const silentEvents: PolicyEvents = { breached: () => {}, recovered: () => {} };
