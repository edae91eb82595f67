// What the admin surface reports: per-region counts and what happened since this server started.
import type { BlockStore } from "./block-store.js";
import type { CopyCounters, SnapshotCopies } from "./snapshot-copies.js";
import type { CloudStore } from "./store.js";

export interface RegionStats {
  snapshots: number;
  volumes: number;
  pendingCopies: number;
  /** The most copies pending into the region at once since this server started. */
  mostPendingCopies: number;
  /** Block files in the region's store (each distinct content once; never-written blocks have none). */
  blocks: number;
}

export interface Traffic {
  requests: number;
  throttledRequests: number;
}

export interface LocalCloudStats extends Traffic {
  regions: Record<string, RegionStats>;
  /** Copies started, completed, failed and cancelled, and bytes they sent, since this server started. */
  copies: CopyCounters;
}

export function collectStats(
  store: CloudStore,
  blocks: BlockStore,
  copies: SnapshotCopies,
  traffic: Traffic,
): LocalCloudStats {
  const regions: Record<string, RegionStats> = {};
  for (const [name, world] of store.regions()) {
    regions[name] = {
      snapshots: world.snapshots.size,
      volumes: world.volumes.size,
      pendingCopies: copies.pendingInto(name).length,
      mostPendingCopies: copies.mostPendingInto.get(name) ?? 0,
      blocks: blocks.count(name),
    };
  }
  return { regions, copies: { ...copies.counters }, ...traffic };
}
