// The local cloud's state in memory: one separate world per region, and the copies in flight.
// Operations read and change it synchronously; StateWriter saves it to disk.
import { randomBytes } from "node:crypto";
import type { Manifest, VolumeBlocks } from "./block-map.js";
import type { CopyRecord, RegionWorld } from "./model.js";

/** A block map file to write (or delete, if its snapshot or volume is gone) at the next save. */
export interface BlockMapKey {
  region: string;
  kind: "snapshot" | "volume";
  id: string;
}

export class CloudStore {
  private readonly worlds = new Map<string, RegionWorld>();
  /** Keyed by the destination snapshot id. */
  readonly copies = new Map<string, CopyRecord>();
  private readonly changedBlockMaps = new Map<string, BlockMapKey>();

  constructor(readonly blockSizeBytes: number) {}

  /** The region's world, created on first write; reads use `peekRegion` so they leave no trace. */
  region(name: string): RegionWorld {
    let world = this.worlds.get(name);
    if (!world) {
      world = {
        snapshots: new Map(),
        volumes: new Map(),
        volumeClientTokens: new Map(),
        manifests: new Map(),
        volumeBlocks: new Map(),
      };
      this.worlds.set(name, world);
    }
    return world;
  }

  peekRegion(name: string): RegionWorld | undefined {
    return this.worlds.get(name);
  }

  regions(): IterableIterator<[string, RegionWorld]> {
    return this.worlds.entries();
  }

  manifest(region: string, snapshotId: string): Manifest | undefined {
    return this.worlds.get(region)?.manifests.get(snapshotId);
  }

  setManifest(region: string, snapshotId: string, manifest: Manifest): void {
    this.region(region).manifests.set(snapshotId, manifest);
    this.blockMapChanged({ region, kind: "snapshot", id: snapshotId });
  }

  deleteManifest(region: string, snapshotId: string): void {
    if (this.worlds.get(region)?.manifests.delete(snapshotId)) {
      this.blockMapChanged({ region, kind: "snapshot", id: snapshotId });
    }
  }

  volumeBlocks(region: string, volumeId: string): VolumeBlocks | undefined {
    return this.worlds.get(region)?.volumeBlocks.get(volumeId);
  }

  setVolumeBlocks(region: string, volumeId: string, blocks: VolumeBlocks): void {
    this.region(region).volumeBlocks.set(volumeId, blocks);
    this.blockMapChanged({ region, kind: "volume", id: volumeId });
  }

  /** After a volume's map was changed in place. */
  volumeBlocksChanged(region: string, volumeId: string): void {
    this.blockMapChanged({ region, kind: "volume", id: volumeId });
  }

  /** The block maps changed since the last call; a failed save hands them back with `keep`. */
  takeChangedBlockMaps(): BlockMapKey[] {
    const keys = [...this.changedBlockMaps.values()];
    this.changedBlockMaps.clear();
    return keys;
  }

  keepChangedBlockMaps(keys: readonly BlockMapKey[]): void {
    for (const key of keys) this.blockMapChanged(key);
  }

  // Ids are unique across regions, as EC2's are, so a copy keeps its id wherever it is looked up.
  newSnapshotId(): string {
    return this.freshId("snap-", (id) => this.anyRegion((world) => world.snapshots.has(id)));
  }

  newVolumeId(): string {
    return this.freshId("vol-", (id) => this.anyRegion((world) => world.volumes.has(id)));
  }

  private blockMapChanged(key: BlockMapKey): void {
    this.changedBlockMaps.set(`${key.region}/${key.kind}/${key.id}`, key);
  }

  private freshId(prefix: string, taken: (id: string) => boolean): string {
    for (;;) {
      const id = prefix + randomBytes(9).toString("hex").slice(0, 17);
      if (!taken(id)) return id;
    }
  }

  private anyRegion(test: (world: RegionWorld) => boolean): boolean {
    for (const world of this.worlds.values()) if (test(world)) return true;
    return false;
  }
}
