// Reads a state file written before volumes held blocks (version 1): every volume and snapshot in
// it was empty, so each becomes all zeros, and a copy in flight restarts its send from where it was.
import { z } from "zod";
import { emptyVolumeBlocks } from "./block-map.js";
import { GIB } from "./model.js";
import { CloudStore } from "./store.js";

const tagSchema = z.object({ key: z.string(), value: z.string() });

const stateFileV1Schema = z.object({
  version: z.literal(1),
  regions: z.record(
    z.string(),
    z.object({
      snapshots: z.array(
        z.object({
          snapshotId: z.string(),
          volumeId: z.string(),
          state: z.enum(["pending", "completed", "error"]),
          progress: z.number(),
          startTime: z.string(),
          completionTime: z.string().optional(),
          stateMessage: z.string().optional(),
          ownerId: z.string(),
          volumeSize: z.number(),
          description: z.string(),
          tags: z.array(tagSchema),
        }),
      ),
      volumes: z.array(
        z.object({
          volumeId: z.string(),
          size: z.number(),
          snapshotId: z.string().optional(),
          availabilityZone: z.string(),
          state: z.literal("available"),
          createTime: z.string(),
          volumeType: z.string(),
          iops: z.number().optional(),
          throughput: z.number().optional(),
          tags: z.array(tagSchema),
        }),
      ),
      volumeClientTokens: z.array(
        z.object({ token: z.string(), volumeId: z.string(), fingerprint: z.string() }),
      ),
    }),
  ),
  copies: z.array(
    z.object({
      destinationRegion: z.string(),
      destinationSnapshotId: z.string(),
      sourceRegion: z.string(),
      sourceSnapshotId: z.string(),
      totalBytes: z.number(),
      copiedBytes: z.number(),
      failAtBytes: z.number().optional(),
    }),
  ),
});

/** The store a version 1 file describes, or undefined if `json` is not one (throws if damaged). */
export function upgradeFromV1(json: unknown, blockSizeBytes: number): CloudStore | undefined {
  if (typeof json !== "object" || json === null || !("version" in json) || json.version !== 1) {
    return undefined;
  }
  const content = stateFileV1Schema.parse(json);
  const store = new CloudStore(blockSizeBytes);
  const blocksOf = (sizeBytes: number) => Math.ceil(sizeBytes / blockSizeBytes);
  for (const copy of content.copies) {
    const blockCount = blocksOf(copy.totalBytes);
    store.copies.set(copy.destinationSnapshotId, {
      destinationRegion: copy.destinationRegion,
      destinationSnapshotId: copy.destinationSnapshotId,
      sourceRegion: copy.sourceRegion,
      sourceSnapshotId: copy.sourceSnapshotId,
      totalBytes: blockCount * blockSizeBytes,
      // Version 1 held no blocks anywhere, so every block is still to send.
      sendRanges: [[0, blockCount]],
      nextBlock: Math.min(blockCount, Math.floor(copy.copiedBytes / blockSizeBytes)),
      failAtBlock:
        copy.failAtBytes === undefined
          ? undefined
          : Math.min(blockCount - 1, Math.floor(copy.failAtBytes / blockSizeBytes)),
    });
  }
  for (const [name, saved] of Object.entries(content.regions)) {
    const world = store.region(name);
    for (const token of saved.volumeClientTokens) world.volumeClientTokens.set(token.token, token);
    for (const volume of saved.volumes) {
      const sizeBytes = volume.size * GIB;
      world.volumes.set(volume.volumeId, { ...volume, sizeBytes });
      store.setVolumeBlocks(
        name,
        volume.volumeId,
        emptyVolumeBlocks(blockSizeBytes, blocksOf(sizeBytes)),
      );
    }
    for (const snapshot of saved.snapshots) {
      world.snapshots.set(snapshot.snapshotId, snapshot);
      if (store.copies.has(snapshot.snapshotId) || snapshot.state === "error") continue;
      const blockCount = blocksOf(snapshot.volumeSize * GIB);
      store.setManifest(name, snapshot.snapshotId, { blockSizeBytes, blockCount, blocks: [] });
    }
  }
  return store;
}
