// The on-disk form of the store: one JSON file in the data dir, checked on load and replaced
// atomically (write a temp file, then rename) so a crash never leaves half a file behind.
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { CopyRecord, Snapshot, Tag, Volume, VolumeClientToken } from "./model.js";
import { CloudStore } from "./store.js";

const tagSchema: z.ZodType<Tag> = z.object({ key: z.string(), value: z.string() });

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
});

const volumeSchema: z.ZodType<Volume> = z.object({
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
  copiedBytes: z.number(),
  failAtBytes: z.number().optional(),
});

const stateFileSchema = z.object({
  version: z.literal(1),
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

export const stateFilePath = (dataDir: string) => join(dataDir, "state.json");

export async function loadStore(dataDir: string): Promise<CloudStore> {
  const file = stateFilePath(dataDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new CloudStore();
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
  return storeFromContent(content);
}

export async function saveStore(dataDir: string, store: CloudStore): Promise<void> {
  const file = stateFilePath(dataDir);
  const temporary = `${file}.${process.pid}.tmp`;
  await mkdir(dataDir, { recursive: true });
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(JSON.stringify(contentFromStore(store)));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
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
  return { version: 1, regions, copies: [...store.copies.values()] };
}

function storeFromContent(content: StateFileContent): CloudStore {
  const store = new CloudStore();
  for (const [name, saved] of Object.entries(content.regions)) {
    const world = store.region(name);
    for (const snapshot of saved.snapshots) world.snapshots.set(snapshot.snapshotId, snapshot);
    for (const volume of saved.volumes) world.volumes.set(volume.volumeId, volume);
    for (const token of saved.volumeClientTokens) world.volumeClientTokens.set(token.token, token);
  }
  for (const copy of content.copies) store.copies.set(copy.destinationSnapshotId, copy);
  return store;
}
