// Block maps on disk, one JSON file each beside the account's block store: regions/<region>/
// snapshots/<id>.json (written once) and …/volumes/<id>.json. Kept out of the often rewritten state.json.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomically } from "./atomic-file.js";
import type { Manifest, VolumeBlocks } from "./block-map.js";
import { regionsDir } from "./block-store.js";
import type { BlockMapKey, CloudStore } from "./store.js";

const blockMapFileSchema = z.object({
  blockSizeBytes: z.number().int().positive(),
  blockCount: z.number().int().positive(),
  blocks: z.array(z.tuple([z.number().int().nonnegative(), z.string().regex(/^[0-9a-f]{64}$/)])),
});

type BlockMapFile = z.infer<typeof blockMapFileSchema>;

const blockMapPath = (accountDir: string, { region, kind, id }: BlockMapKey): string =>
  join(regionsDir(accountDir), region, kind === "snapshot" ? "snapshots" : "volumes", `${id}.json`);

/**
 * Writes the block maps changed since the last save. Returns the files of deleted snapshots, to be
 * removed only once state.json no longer names them: a crash in between leaves an unused file, never
 * a snapshot without its map.
 */
export async function saveChangedBlockMaps(
  accountDir: string,
  store: CloudStore,
): Promise<string[]> {
  const keys = store.takeChangedBlockMaps();
  const deleted: string[] = [];
  for (const [done, key] of keys.entries()) {
    const map =
      key.kind === "snapshot"
        ? store.manifest(key.region, key.id)
        : store.volumeBlocks(key.region, key.id);
    const file = blockMapPath(accountDir, key);
    if (!map) {
      deleted.push(file);
      continue;
    }
    try {
      await writeFileAtomically(file, JSON.stringify(fileFrom(map)));
    } catch (error) {
      store.keepChangedBlockMaps(keys.slice(done));
      throw error;
    }
  }
  return deleted;
}

export async function removeBlockMapFiles(files: readonly string[]): Promise<void> {
  for (const file of files) await rm(file, { force: true });
}

/** Reads the block map of every snapshot and volume in the store; a missing one stops the start. */
export async function loadBlockMaps(accountDir: string, store: CloudStore): Promise<void> {
  for (const [region, world] of store.regions()) {
    for (const snapshot of world.snapshots.values()) {
      const isUnfinishedCopy = store.copies.has(snapshot.snapshotId) || snapshot.state === "error";
      if (isUnfinishedCopy) continue;
      const content = await readBlockMap(accountDir, store, {
        region,
        kind: "snapshot",
        id: snapshot.snapshotId,
      });
      world.manifests.set(snapshot.snapshotId, content);
    }
    for (const volume of world.volumes.values()) {
      const content = await readBlockMap(accountDir, store, {
        region,
        kind: "volume",
        id: volume.volumeId,
      });
      world.volumeBlocks.set(volume.volumeId, { ...content, blocks: new Map(content.blocks) });
    }
  }
}

function fileFrom(map: Manifest | VolumeBlocks): BlockMapFile {
  const blocks = map.blocks instanceof Map ? [...map.blocks].sort(([a], [b]) => a - b) : map.blocks;
  return {
    blockSizeBytes: map.blockSizeBytes,
    blockCount: map.blockCount,
    blocks: blocks.map(([index, sha256]) => [index, sha256]),
  };
}

async function readBlockMap(
  accountDir: string,
  store: CloudStore,
  key: BlockMapKey,
): Promise<Manifest> {
  const file = blockMapPath(accountDir, key);
  let content: BlockMapFile;
  try {
    content = blockMapFileSchema.parse(JSON.parse(await readFile(file, "utf8")));
  } catch (error) {
    throw new Error(
      `The block map of ${key.kind} ${key.id} in ${key.region} (${file}) is missing or damaged; move the data dir aside to start empty.`,
      { cause: error },
    );
  }
  const inOrder = content.blocks.every(
    ([index], position) =>
      index < content.blockCount &&
      (position === 0 || (content.blocks[position - 1]?.[0] ?? -1) < index),
  );
  if (content.blockSizeBytes !== store.blockSizeBytes || !inOrder) {
    throw new Error(
      `The block map ${file} does not fit this data dir (blocks of ${store.blockSizeBytes} bytes, listed once each, in order).`,
    );
  }
  return content;
}
