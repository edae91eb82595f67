// What the state machine's steps need: the ports, and the settings they read.
import type { Allowlist } from "./access.js";
import type {
  Clock,
  CopySlots,
  CopyWaits,
  JobStore,
  Metrics,
  SnapshotProvider,
  Workflow,
} from "./ports.js";
import type { ReplicationPolicy } from "./rules.js";

export interface StepSettings {
  policy: ReplicationPolicy;
  /** The shortest and the longest wait for a copy's end before a safety poll looks at it. */
  pollMinSeconds: number;
  pollMaxSeconds: number;
  /** The copy rate assumed for a copy's first wait, before its own rate is seen. */
  assumedCopyMiBPerSecond: number;
  /** How long a StartCopy's claim on a destination holds before another attempt may take it. */
  copyStartLeaseSeconds: number;
  /** Snapshots an account may hold in one region, copies in flight included. */
  snapshotQuotaPerRegion: number;
  /** A copy whose progress has not moved for this long is failed as stalled. */
  copyStallSeconds: number;
  /** Copies in flight at once per account and destination region (EC2 allows 20). */
  copySlots: CopySlotLimits;
}

/** The slot limit of every region, and of the regions set apart. */
export interface CopySlotLimits {
  default: number;
  byRegion: Record<string, number>;
}

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
  /** Who may replicate now: the seed and every approved account. */
  allowlist: Allowlist;
  /** Copies started, completed and failed, rejections: counted as they happen. */
  metrics: Metrics;
  random?: () => number;
}
