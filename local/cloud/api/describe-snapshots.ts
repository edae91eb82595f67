// DescribeSnapshots: the region's snapshots, by id, owner and filters, paged in creation order.
import type { Snapshot } from "../model.js";
import { snapshotNotFound } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { type FilterFields, matcherFromFilters } from "./filters.js";
import { paginate } from "./pagination.js";
import { snapshotMembers } from "./present.js";

const SNAPSHOT_FILTERS: FilterFields<Snapshot> = {
  "snapshot-id": (snapshot) => [snapshot.snapshotId],
  status: (snapshot) => [snapshot.state],
  "volume-id": (snapshot) => [snapshot.volumeId],
  description: (snapshot) => [snapshot.description],
  "owner-id": (snapshot) => [snapshot.ownerId],
  progress: (snapshot) => [`${snapshot.progress}%`],
  "start-time": (snapshot) => [snapshot.startTime],
  "volume-size": (snapshot) => [String(snapshot.volumeSize)],
  encrypted: () => ["false"],
  "storage-tier": () => ["standard"],
  // Every snapshot here belongs to the account, none to an alias such as "amazon".
  "owner-alias": () => [],
};

export const describeSnapshots: Operation = {
  changesState: false,
  run({ region, params, store, accountId }) {
    const snapshots = store.peekRegion(region)?.snapshots ?? new Map<string, Snapshot>();
    const ids = params.list("SnapshotId");
    const missing = ids.filter((id) => !snapshots.has(id));
    if (missing.length > 0) throw snapshotNotFound(missing);
    const owners = params.list("Owner");
    const ownedAsAsked = (snapshot: Snapshot) =>
      owners.length === 0 ||
      owners.some((owner) => snapshot.ownerId === (owner === "self" ? accountId : owner));
    const matches = matcherFromFilters(params, SNAPSHOT_FILTERS);
    const candidates =
      ids.length > 0 ? ids.flatMap((id) => snapshots.get(id) ?? []) : [...snapshots.values()];
    const page = paginate(
      [...new Set(candidates)].filter((snapshot) => ownedAsAsked(snapshot) && matches(snapshot)),
      (snapshot) => `${snapshot.startTime}|${snapshot.snapshotId}`,
      params,
      { min: 5, max: 1000 },
    );
    return { snapshotSet: page.items.map(snapshotMembers), nextToken: page.nextToken };
  },
};
