// What the admin surface reports: per-region counts and what happened since this server started.
import type { CopyCounters, SnapshotCopies } from "./snapshot-copies.js";
import type { CloudStore } from "./store.js";

export interface RegionStats {
  snapshots: number;
  volumes: number;
  pendingCopies: number;
}

export interface Traffic {
  requests: number;
  throttledRequests: number;
}

export interface LocalCloudStats extends Traffic {
  regions: Record<string, RegionStats>;
  /** Copies started, completed, failed and cancelled by this server since it started. */
  copies: CopyCounters;
}

export function collectStats(
  store: CloudStore,
  copies: SnapshotCopies,
  traffic: Traffic,
): LocalCloudStats {
  const regions: Record<string, RegionStats> = {};
  for (const [name, world] of store.regions()) {
    regions[name] = {
      snapshots: world.snapshots.size,
      volumes: world.volumes.size,
      pendingCopies: copies.pendingInto(name).length,
    };
  }
  return { regions, copies: { ...copies.counters }, ...traffic };
}
