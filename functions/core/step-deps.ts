// What the state machine's steps need: the ports, and the settings they read.
import type { Clock, JobStore, SnapshotProvider } from "./ports.js";
import type { ReplicationPolicy } from "./rules.js";

export interface StepSettings {
  policy: ReplicationPolicy;
  pollMinSeconds: number;
  pollMaxSeconds: number;
  /** How long a StartCopy's claim on a destination holds before another attempt may take it. */
  copyStartLeaseSeconds: number;
  /** Snapshots an account may hold in one region, copies in flight included. */
  snapshotQuotaPerRegion: number;
  /** A copy whose progress has not moved for this long is failed as stalled. */
  copyStallSeconds: number;
}

export interface StepDeps {
  jobs: JobStore;
  snapshots: SnapshotProvider;
  clock: Clock;
  settings: StepSettings;
  random?: () => number;
}
