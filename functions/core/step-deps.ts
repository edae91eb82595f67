// What the state machine's steps need: the ports, and the settings they read.
import type { Clock, JobStore, SnapshotProvider } from "./ports.js";
import type { ReplicationPolicy } from "./rules.js";

export interface StepSettings {
  policy: ReplicationPolicy;
  pollMinSeconds: number;
  pollMaxSeconds: number;
  /** How long a StartCopy's claim on a destination holds before another attempt may take it. */
  copyStartLeaseSeconds: number;
}

export interface StepDeps {
  jobs: JobStore;
  snapshots: SnapshotProvider;
  clock: Clock;
  settings: StepSettings;
  random?: () => number;
}
