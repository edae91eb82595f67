// CreateSnapshot: a snapshot of a volume in the same region. Its blocks are the volume's at the
// moment of the call (later writes do not reach it); pending until SnapshotCreation completes it.
import { freeze } from "../block-map.js";
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
    const blocks = store.volumeBlocks(region, volumeId);
    if (!volume || !blocks) throw volumeNotFound([volumeId]);

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
    // The blocks themselves are already in the region's store: freezing the map captures them.
    store.setManifest(region, snapshot.snapshotId, freeze(blocks));
    creation.begin(region, snapshot.snapshotId);
    return snapshotMembers(snapshot);
  },
};
