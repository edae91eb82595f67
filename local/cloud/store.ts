// The local cloud's state in memory: one separate world per region, and the copies in flight.
// Operations read and change it synchronously; StateWriter saves it to disk.
import { randomBytes } from "node:crypto";
import type { CopyRecord, RegionWorld } from "./model.js";

export class CloudStore {
  private readonly worlds = new Map<string, RegionWorld>();
  /** Keyed by the destination snapshot id. */
  readonly copies = new Map<string, CopyRecord>();

  /** The region's world, created on first write; reads use `peekRegion` so they leave no trace. */
  region(name: string): RegionWorld {
    let world = this.worlds.get(name);
    if (!world) {
      world = { snapshots: new Map(), volumes: new Map(), volumeClientTokens: new Map() };
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

  // Ids are unique across regions, as EC2's are, so a copy keeps its id wherever it is looked up.
  newSnapshotId(): string {
    return this.freshId("snap-", (id) => this.anyRegion((world) => world.snapshots.has(id)));
  }

  newVolumeId(): string {
    return this.freshId("vol-", (id) => this.anyRegion((world) => world.volumes.has(id)));
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
