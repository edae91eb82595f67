// What the state machine's steps need: the ports, and the settings they read.
import type { Allowlist } from "./access.js";
import type { Config, CopySlotLimits } from "./config.js";
import type {
  Clock,
  CopySlots,
  CopyWaits,
  JobStore,
  Metrics,
  PolicyStore,
  SnapshotProvider,
  Workflow,
} from "./ports.js";

/** The settings the steps read: a part of the configuration, handed over as it is. */
export type StepSettings = Pick<
  Config,
  | "supportedRegions"
  | "pollMinSeconds"
  | "pollMaxSeconds"
  | "assumedCopyMiBPerSecond"
  | "copyStartLeaseSeconds"
  | "snapshotQuotaPerRegion"
  | "copyStallSeconds"
  | "copySlots"
>;

export const slotLimitOf = (limits: CopySlotLimits, region: string): number =>
  limits.byRegion[region] ?? limits.default;

export interface StepDeps {
  jobs: JobStore;
  snapshots: SnapshotProvider;
  slots: CopySlots;
  /** Where a copy's wait for its end meets the copy's event. */
  copyWaits: CopyWaits;
  /** Wakes copies waiting for a slot, and ends copies' waits for their end. */
  workflow: Pick<Workflow, "wake" | "fail">;
  clock: Clock;
  settings: StepSettings;
  /** Who may replicate now: the seed and every approved account whose role is connected. */
  allowlist: Allowlist;
  /** Copies started, completed and failed, rejections: counted as they happen. */
  metrics: Metrics;
  /** DR policies: their recovery points and the copies their retention deletes. */
  policies: PolicyStore;
  random?: () => number;
}
