// DeleteSnapshot: refused while a copy reads from the snapshot; deleting a copy that is still
// pending cancels that copy.
import { WireError } from "../../wire-error.js";
import { snapshotNotFound } from "../wire/errors.js";
import type { Operation } from "./context.js";

export const deleteSnapshot: Operation = {
  changesState: true,
  run({ region, params, store, copies, creation }) {
    const snapshotId = params.required("SnapshotId");
    const world = store.peekRegion(region);
    if (!world?.snapshots.has(snapshotId)) throw snapshotNotFound([snapshotId]);
    const readers = copies.pendingFrom(region, snapshotId);
    if (readers.length > 0) {
      const targets = readers
        .map((copy) => `${copy.destinationSnapshotId} in ${copy.destinationRegion}`)
        .join(", ");
      throw new WireError(
        "InvalidSnapshot.InUse",
        `The snapshot ${snapshotId} is in use: it is the source of ${readers.length === 1 ? "a pending copy" : `${readers.length} pending copies`} (${targets}). Delete it once the copy has completed, or delete the copy to cancel it.`,
      );
    }
    copies.cancel(snapshotId);
    creation.cancel(snapshotId);
    world.snapshots.delete(snapshotId);
    // Its blocks stay in the region's store: other snapshots may share them (no garbage collection).
    store.deleteManifest(region, snapshotId);
    return { return: true };
  },
};
