// DescribeVolumes: the region's volumes, by id and filters, paged.
import type { Volume } from "../model.js";
import { volumeNotFound } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { type FilterFields, matcherFromFilters } from "./filters.js";
import { paginate } from "./pagination.js";
import { volumeMembers } from "./present.js";

const VOLUME_FILTERS: FilterFields<Volume> = {
  "volume-id": (volume) => [volume.volumeId],
  status: (volume) => [volume.state],
  size: (volume) => [String(volume.size)],
  "snapshot-id": (volume) => (volume.snapshotId ? [volume.snapshotId] : []),
  "availability-zone": (volume) => [volume.availabilityZone],
  "volume-type": (volume) => [volume.volumeType],
  "create-time": (volume) => [volume.createTime],
  encrypted: () => ["false"],
};

export const describeVolumes: Operation = {
  changesState: false,
  run({ region, params, store }) {
    const volumes = store.peekRegion(region)?.volumes ?? new Map<string, Volume>();
    const ids = params.list("VolumeId");
    const missing = ids.filter((id) => !volumes.has(id));
    if (missing.length > 0) throw volumeNotFound(missing);
    const matches = matcherFromFilters(params, VOLUME_FILTERS);
    const candidates =
      ids.length > 0 ? ids.flatMap((id) => volumes.get(id) ?? []) : [...volumes.values()];
    const page = paginate(
      [...new Set(candidates)].filter(matches),
      (volume) => `${volume.createTime}|${volume.volumeId}`,
      params,
      { min: 5, max: 1000 },
    );
    return { volumeSet: page.items.map(volumeMembers), nextToken: page.nextToken };
  },
};
