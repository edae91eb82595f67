// The on-disk form of an account's store: state.json in the account's folder, checked on load and
// replaced atomically, plus the block map files it names, written first so that none is missing.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomically } from "./atomic-file.js";
import { loadBlockMaps, removeBlockMapFiles, saveChangedBlockMaps } from "./block-map-files.js";
import type { CopyRecord, CopyReport, Snapshot, Tag, Volume, VolumeClientToken } from "./model.js";
import { CloudStore } from "./store.js";

const tagSchema: z.ZodType<Tag> = z.object({ key: z.string(), value: z.string() });

const copyReportSchema: z.ZodType<CopyReport> = z.object({
  sourceRegion: z.string(),
  sourceSnapshotId: z.string(),
  totalBytes: z.number(),
  bytesTransferred: z.number(),
  blocksTransferred: z.number(),
  blocksSkipped: z.number(),
  blocksStored: z.number(),
});

const snapshotSchema: z.ZodType<Snapshot> = z.object({
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
  copyReport: copyReportSchema.optional(),
});

const volumeSchema: z.ZodType<Volume> = z.object({
  volumeId: z.string(),
  size: z.number(),
  sizeBytes: z.number(),
  snapshotId: z.string().optional(),
  availabilityZone: z.string(),
  state: z.literal("available"),
  createTime: z.string(),
  volumeType: z.string(),
  iops: z.number().optional(),
  throughput: z.number().optional(),
  tags: z.array(tagSchema),
});

const clientTokenSchema: z.ZodType<VolumeClientToken> = z.object({
  token: z.string(),
  volumeId: z.string(),
  fingerprint: z.string(),
});

const copySchema: z.ZodType<CopyRecord> = z.object({
  destinationRegion: z.string(),
  destinationSnapshotId: z.string(),
  sourceRegion: z.string(),
  sourceSnapshotId: z.string(),
  totalBytes: z.number(),
  sendRanges: z.array(z.tuple([z.number(), z.number()])),
  nextBlock: z.number(),
  failAtBlock: z.number().optional(),
});

const stateFileSchema = z.object({
  version: z.literal(2),
  blockSizeBytes: z.number(),
  regions: z.record(
    z.string(),
    z.object({
      snapshots: z.array(snapshotSchema),
      volumes: z.array(volumeSchema),
      volumeClientTokens: z.array(clientTokenSchema),
    }),
  ),
  copies: z.array(copySchema),
});

type StateFileContent = z.infer<typeof stateFileSchema>;

export const stateFilePath = (accountDir: string) => join(accountDir, "state.json");

export async function loadStore(accountDir: string, blockSizeBytes: number): Promise<CloudStore> {
  const file = stateFilePath(accountDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new CloudStore(blockSizeBytes);
    throw error;
  }
  // A damaged file stops the start rather than silently starting empty and losing the snapshots.
  let content: StateFileContent;
  try {
    content = stateFileSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new Error(
      `${file} is not a local cloud state file this version can read; move it aside to start empty.`,
      { cause: error },
    );
  }
  if (content.blockSizeBytes !== blockSizeBytes) {
    throw new Error(
      `The data dir's account folder ${accountDir} holds blocks of ${content.blockSizeBytes} bytes, not ${blockSizeBytes}: start the cloud with blockSizeBytes (LOCAL_CLOUD_BLOCK_SIZE_BYTES) ${content.blockSizeBytes}, or use another data dir.`,
    );
  }
  const store = storeFromContent(content);
  await loadBlockMaps(accountDir, store);
  return store;
}

export async function saveStore(accountDir: string, store: CloudStore): Promise<void> {
  const unused = await saveChangedBlockMaps(accountDir, store);
  await writeFileAtomically(stateFilePath(accountDir), JSON.stringify(contentFromStore(store)));
  await removeBlockMapFiles(unused);
}

function contentFromStore(store: CloudStore): StateFileContent {
  const regions: StateFileContent["regions"] = {};
  for (const [name, world] of store.regions()) {
    regions[name] = {
      snapshots: [...world.snapshots.values()],
      volumes: [...world.volumes.values()],
      volumeClientTokens: [...world.volumeClientTokens.values()],
    };
  }
  return {
    version: 2,
    blockSizeBytes: store.blockSizeBytes,
    regions,
    copies: [...store.copies.values()],
  };
}

function storeFromContent(content: StateFileContent): CloudStore {
  const store = new CloudStore(content.blockSizeBytes);
  for (const [name, saved] of Object.entries(content.regions)) {
    const world = store.region(name);
    for (const snapshot of saved.snapshots) world.snapshots.set(snapshot.snapshotId, snapshot);
    for (const volume of saved.volumes) world.volumes.set(volume.volumeId, volume);
    for (const token of saved.volumeClientTokens) world.volumeClientTokens.set(token.token, token);
  }
  for (const copy of content.copies) store.copies.set(copy.destinationSnapshotId, copy);
  return store;
}
