// What the admin surface reports: per-region counts and what happened since this server started,
// for each account and summed over the whole cloud, and the local STS's AssumeRole calls.
import type { BlockStore } from "./block-store.js";
import type { CopyEventCounts } from "./copy-events.js";
import {
  type CopyCounters,
  type CopyRefusals,
  type DeletedCopies,
  noCopies,
  type SnapshotCopies,
} from "./snapshot-copies.js";
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
  /**
   * CopySnapshot calls refused since this server started, by destination region and error code
   * (ResourceLimitExceeded, RequestLimitExceeded, ...); summed over the cloud, every account's.
   */
  copyRefusals: CopyRefusals;
  /** Snapshots made by CopySnapshot deleted since this server started, by region and state. */
  deletedCopies: DeletedCopies;
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
  return {
    regions,
    copies: { ...copies.counters },
    copyRefusals: structuredClone(copies.refusals),
    deletedCopies: structuredClone(copies.deletions),
  };
}

export function cloudStats(
  accounts: Record<string, AccountStats>,
  traffic: Traffic,
  sts: StsStats,
  events: CopyEventCounts,
): LocalCloudStats {
  const regions: Record<string, RegionStats> = {};
  const copies = noCopies();
  const copyRefusals: CopyRefusals = {};
  const deletedCopies: DeletedCopies = {};
  for (const account of Object.values(accounts)) {
    for (const [name, byCode] of Object.entries(account.copyRefusals)) {
      const total = copyRefusals[name] ?? {};
      for (const [code, count] of Object.entries(byCode)) total[code] = (total[code] ?? 0) + count;
      copyRefusals[name] = total;
    }
    for (const [name, byState] of Object.entries(account.deletedCopies)) {
      const total = deletedCopies[name] ?? { pending: 0, completed: 0, error: 0 };
      total.pending += byState.pending;
      total.completed += byState.completed;
      total.error += byState.error;
      deletedCopies[name] = total;
    }
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
  return { regions, copies, copyRefusals, deletedCopies, accounts, sts, events, ...traffic };
}
