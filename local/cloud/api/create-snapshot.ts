// CreateSnapshot: a snapshot of a volume in the same region, pending until SnapshotCreation
// completes it.
import type { Snapshot } from "../model.js";
import { volumeNotFound } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { describedAs } from "./description.js";
import { snapshotMembers } from "./present.js";
import { tagsFromSpecifications } from "./tags.js";

export const createSnapshot: Operation = {
  changesState: true,
  run({ region, params, store, creation, accountId }) {
    const volumeId = params.required("VolumeId");
    const description = describedAs(params, "");
    const tags = tagsFromSpecifications(params, "snapshot");
    const volume = store.peekRegion(region)?.volumes.get(volumeId);
    if (!volume) throw volumeNotFound([volumeId]);

    const snapshot: Snapshot = {
      snapshotId: store.newSnapshotId(),
      volumeId,
      state: "pending",
      progress: 0,
      startTime: new Date().toISOString(),
      ownerId: accountId,
      volumeSize: volume.size,
      description,
      tags,
    };
    store.region(region).snapshots.set(snapshot.snapshotId, snapshot);
    creation.begin(region, snapshot.snapshotId);
    return snapshotMembers(snapshot);
  },
};
