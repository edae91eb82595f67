// What the admin surface reports: per-region counts and what happened since this server started,
// for each account and summed over the whole cloud, and the local STS's AssumeRole calls.
import type { BlockStore } from "./block-store.js";
import type { CopyEventCounts } from "./copy-events.js";
import { type CopyCounters, noCopies, type SnapshotCopies } from "./snapshot-copies.js";
import type { CloudStore } from "./store.js";

export interface RegionStats {
  snapshots: number;
  volumes: number;
  pendingCopies: number;
  /**
   * The most copies pending into the region at once since this server started; summed over the
   * cloud, the most of any one account (the limit on pending copies is per account).
   */
  mostPendingCopies: number;
  /** Block files in the region's store (each distinct content once; never-written blocks have none). */
  blocks: number;
}

export interface Traffic {
  /** EC2 API calls (STS calls are counted under `sts`). */
  requests: number;
  throttledRequests: number;
}

export interface AccountStats {
  regions: Record<string, RegionStats>;
  /** Copies started, completed, failed and cancelled, and bytes they sent, since this server started. */
  copies: CopyCounters;
}

export interface StsStats {
  /** AssumeRole calls since this server started, granted or refused. */
  assumeRoleCalls: number;
  /** The same, by the account of the role asked for (calls with a malformed RoleArn have none). */
  assumeRoleCallsByAccount: Record<string, number>;
  /**
   * The role session names AssumeRole granted, by account, oldest first (the latest 1,000): what a
   * tenant's CloudTrail would show as the sessions that acted in it.
   */
  sessionNamesByAccount: Record<string, string[]>;
}

export interface LocalCloudStats extends Traffic, AccountStats {
  /** Each account the cloud has opened (found in the data dir or met since the start). */
  accounts: Record<string, AccountStats>;
  sts: StsStats;
  /** The copy events sent, dropped on purpose and not delivered, since this server started. */
  events: CopyEventCounts;
}

export function accountStats(
  store: CloudStore,
  blocks: BlockStore,
  copies: SnapshotCopies,
): AccountStats {
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
  return { regions, copies: { ...copies.counters } };
}

export function cloudStats(
  accounts: Record<string, AccountStats>,
  traffic: Traffic,
  sts: StsStats,
  events: CopyEventCounts,
): LocalCloudStats {
  const regions: Record<string, RegionStats> = {};
  const copies = noCopies();
  for (const account of Object.values(accounts)) {
    for (const [name, region] of Object.entries(account.regions)) {
      const total = regions[name];
      regions[name] = total
        ? {
            snapshots: total.snapshots + region.snapshots,
            volumes: total.volumes + region.volumes,
            pendingCopies: total.pendingCopies + region.pendingCopies,
            mostPendingCopies: Math.max(total.mostPendingCopies, region.mostPendingCopies),
            blocks: total.blocks + region.blocks,
          }
        : { ...region };
    }
    for (const counter of Object.keys(copies) as (keyof CopyCounters)[]) {
      copies[counter] += account.copies[counter];
    }
  }
  return { regions, copies, accounts, sts, events, ...traffic };
}
