// The CopySnapshot rules around the copy engine: at most N copies pending per destination region,
// the destination snapshot's state and progress, and which sources are in use by a running copy.
import { type CopyEngine, timedCopyEngine } from "./copy-engine.js";
import type { Faults } from "./faults.js";
import { type CopyRecord, GIB, type Snapshot } from "./model.js";
import type { LocalCloudKnobs } from "./options.js";
import type { CloudStore } from "./store.js";
import { Ec2Error } from "./wire/errors.js";

export interface CopyCounters {
  started: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface CopyRequest {
  sourceRegion: string;
  source: Snapshot;
  destinationRegion: string;
  /** Pending, progress 0; becomes visible in the destination region as this call returns. */
  destination: Snapshot;
}

export class SnapshotCopies {
  readonly counters: CopyCounters = { started: 0, completed: 0, failed: 0, cancelled: 0 };
  private readonly engine: CopyEngine;

  constructor(
    private readonly store: CloudStore,
    private readonly rules: { maxPendingPerRegion: number; knobs: LocalCloudKnobs; faults: Faults },
    private readonly changed: () => void,
  ) {
    this.engine = timedCopyEngine(() => rules.knobs.copyBytesPerSecond, {
      progressed: (id, copiedBytes) => this.progressed(id, copiedBytes),
      completed: (id) => this.finished(id, (snapshot) => this.complete(snapshot)),
      failed: (id, copiedBytes, reason) =>
        this.finished(id, (snapshot, copy) => this.fail(snapshot, copy, copiedBytes, reason)),
    });
  }

  pendingInto(region: string): CopyRecord[] {
    return [...this.store.copies.values()].filter((copy) => copy.destinationRegion === region);
  }

  pendingFrom(region: string, snapshotId: string): CopyRecord[] {
    return [...this.store.copies.values()].filter(
      (copy) => copy.sourceRegion === region && copy.sourceSnapshotId === snapshotId,
    );
  }

  begin({ sourceRegion, source, destinationRegion, destination }: CopyRequest): void {
    const limit = this.rules.maxPendingPerRegion;
    if (this.pendingInto(destinationRegion).length >= limit) {
      throw new Ec2Error(
        "ResourceLimitExceeded",
        `Too many snapshot copies in progress in ${destinationRegion}: at most ${limit} copies may be pending per destination region. Retry when one of them has completed.`,
      );
    }
    const totalBytes = source.volumeSize * GIB;
    const copy: CopyRecord = {
      destinationRegion,
      destinationSnapshotId: destination.snapshotId,
      sourceRegion,
      sourceSnapshotId: source.snapshotId,
      totalBytes,
      copiedBytes: 0,
      failAtBytes: this.rules.faults.copyFailurePoint(totalBytes),
    };
    this.store.region(destinationRegion).snapshots.set(destination.snapshotId, destination);
    this.store.copies.set(destination.snapshotId, copy);
    this.counters.started++;
    this.startEngine(copy);
  }

  /** The destination snapshot is being deleted: stop copying into it. */
  cancel(destinationSnapshotId: string): void {
    if (!this.store.copies.delete(destinationSnapshotId)) return;
    this.engine.cancel(destinationSnapshotId);
    this.counters.cancelled++;
  }

  /** After a restart: carry on with every copy that was pending, from where it got to. */
  resume(): void {
    for (const copy of this.store.copies.values()) this.startEngine(copy);
  }

  stop(): void {
    this.engine.stop();
  }

  private startEngine(copy: CopyRecord): void {
    this.engine.start({
      id: copy.destinationSnapshotId,
      totalBytes: copy.totalBytes,
      copiedBytes: copy.copiedBytes,
      failAtBytes: copy.failAtBytes,
    });
  }

  private progressed(id: string, copiedBytes: number): void {
    const copy = this.store.copies.get(id);
    const snapshot = copy && this.destinationOf(copy);
    if (!copy || !snapshot) return;
    copy.copiedBytes = copiedBytes;
    // Never 100% while pending: callers take "100%" to mean done.
    snapshot.progress = Math.min(99, Math.floor((copiedBytes / copy.totalBytes) * 100));
    this.changed();
  }

  private finished(id: string, settle: (snapshot: Snapshot, copy: CopyRecord) => void): void {
    const copy = this.store.copies.get(id);
    if (!copy) return;
    this.store.copies.delete(id);
    const snapshot = this.destinationOf(copy);
    if (snapshot) settle(snapshot, copy);
    this.changed();
  }

  private complete(snapshot: Snapshot): void {
    snapshot.state = "completed";
    snapshot.progress = 100;
    snapshot.completionTime = new Date().toISOString();
    this.counters.completed++;
  }

  private fail(snapshot: Snapshot, copy: CopyRecord, copiedBytes: number, reason: string): void {
    snapshot.state = "error";
    snapshot.progress = Math.floor((copiedBytes / copy.totalBytes) * 100);
    snapshot.stateMessage = `Copy of ${copy.sourceSnapshotId} from ${copy.sourceRegion} failed at ${snapshot.progress}%: ${reason}.`;
    this.counters.failed++;
  }

  private destinationOf(copy: CopyRecord): Snapshot | undefined {
    return this.store.peekRegion(copy.destinationRegion)?.snapshots.get(copy.destinationSnapshotId);
  }
}
