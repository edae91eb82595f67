// CopySnapshot, sent to the destination region (the signing region): the copy appears there at
// once as pending and SnapshotCopies carries it to completed or error. PresignedUrl,
// DestinationRegion, Encrypted and KmsKeyId, which clients add on their own, are ignored.
import { COPY_VOLUME_ID, type Snapshot } from "../model.js";
import { incorrectState, snapshotNotFound } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { describedAs } from "./description.js";
import { tagSet } from "./present.js";
import { tagsFromSpecifications } from "./tags.js";

export const copySnapshot: Operation = {
  changesState: true,
  run({ region, params, store, copies, accountId }) {
    const sourceRegion = params.required("SourceRegion");
    const sourceSnapshotId = params.required("SourceSnapshotId");
    // What EC2 writes when the caller gives no description [unverified against AWS].
    const description = describedAs(params, `[Copied ${sourceSnapshotId} from ${sourceRegion}]`);
    const tags = tagsFromSpecifications(params, "snapshot");
    const source = store.peekRegion(sourceRegion)?.snapshots.get(sourceSnapshotId);
    if (!source) throw snapshotNotFound([sourceSnapshotId], sourceRegion);
    if (source.state !== "completed") {
      throw incorrectState(
        `Snapshot '${sourceSnapshotId}' in ${sourceRegion} is ${source.state}; only a completed snapshot can be copied.`,
      );
    }

    const destination: Snapshot = {
      snapshotId: store.newSnapshotId(),
      volumeId: COPY_VOLUME_ID,
      state: "pending",
      progress: 0,
      startTime: new Date().toISOString(),
      ownerId: accountId,
      volumeSize: source.volumeSize,
      description,
      tags,
    };
    copies.begin({ sourceRegion, source, destinationRegion: region, destination });
    return { snapshotId: destination.snapshotId, tagSet: tagSet(tags) };
  },
};
