// Takes a snapshot made by CreateSnapshot from pending to completed, as EC2 does, after a short
// delay: long enough for callers to meet `pending`, short enough not to slow anyone down.
import type { CloudStore } from "./store.js";

const CREATION_MS = 250;

export class SnapshotCreation {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: CloudStore,
    private readonly changed: () => void,
  ) {}

  begin(region: string, snapshotId: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(snapshotId);
      const snapshot = this.store.peekRegion(region)?.snapshots.get(snapshotId);
      if (snapshot?.state !== "pending") return;
      snapshot.state = "completed";
      snapshot.progress = 100;
      snapshot.completionTime = new Date().toISOString();
      this.changed();
    }, CREATION_MS);
    this.timers.set(snapshotId, timer);
  }

  cancel(snapshotId: string): void {
    clearTimeout(this.timers.get(snapshotId));
    this.timers.delete(snapshotId);
  }

  /** After a restart: finish the snapshots that were being created (a pending copy is not one). */
  resume(): void {
    for (const [region, world] of this.store.regions()) {
      for (const snapshot of world.snapshots.values()) {
        if (snapshot.state === "pending" && !this.store.copies.has(snapshot.snapshotId)) {
          this.begin(region, snapshot.snapshotId);
        }
      }
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
