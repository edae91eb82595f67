// The CopySnapshot rules of one account around the copy engine: at most N copies pending per region,
// what each copy sends (the snapshot's written blocks the destination lacks), the destination
// snapshot's state, progress (over the bytes to send) and report, and its manifest.
import { WireError } from "../wire-error.js";
import type { BlockStore } from "./block-store.js";
import { blockCopyEngine, type CopyEngine, type CopyStep } from "./copy-engine.js";
import { blocksToSend, nthToSend, planCopy, writtenOnly } from "./copy-plan.js";
import type { Faults } from "./faults.js";
import type { CopyRecord, Snapshot } from "./model.js";
import type { LocalCloudKnobs } from "./options.js";
import type { CloudStore } from "./store.js";

export interface CopyCounters {
  started: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Bytes sent over the (simulated) wire by copies, since this server started. */
  bytesTransferred: number;
  blocksTransferred: number;
}

export const noCopies = (): CopyCounters => ({
  started: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  bytesTransferred: 0,
  blocksTransferred: 0,
});

/** CopySnapshot calls the cloud refused, by destination region, then by error code. */
export type CopyRefusals = Record<string, Record<string, number>>;

/**
 * Snapshots made by CopySnapshot that were deleted, by region and by the state they were in: a
 * pending one's copy was cancelled, a completed one was kept no longer.
 */
export type DeletedCopies = Record<string, { pending: number; completed: number; error: number }>;

export interface CopyRequest {
  sourceRegion: string;
  source: Snapshot;
  destinationRegion: string;
  /** Pending, progress 0; becomes visible in the destination region as this call returns. */
  destination: Snapshot;
}

export class SnapshotCopies {
  readonly counters = noCopies();
  /** The most copies pending into each region at once, since this server started. */
  readonly mostPendingInto = new Map<string, number>();
  /** Every CopySnapshot refused since this server started (see `refused`). */
  readonly refusals: CopyRefusals = {};
  /** Every copy deleted since this server started, pending or not (see `cancel`). */
  readonly deletions: DeletedCopies = {};
  private readonly engine: CopyEngine;

  constructor(
    private readonly store: CloudStore,
    private readonly blocks: BlockStore,
    private readonly rules: {
      maxPendingPerRegion: number;
      knobs: LocalCloudKnobs;
      faults: Faults;
      /** Copies run this many times faster than the bandwidth says (the compressed clock). */
      clockSpeed?: number;
      /** Told of each copy that ends, completed or failed (the cloud's copy events). */
      ended?: (snapshot: Snapshot, copy: CopyRecord) => void;
    },
    private readonly changed: () => void,
  ) {
    this.engine = blockCopyEngine(
      blocks,
      () => rules.knobs.copyBytesPerSecond * (rules.clockSpeed ?? 1),
      {
        progressed: (id, step) => this.progressed(id, step),
        completed: (id, step) =>
          this.finished(id, step, (snapshot, copy) => this.complete(snapshot, copy)),
        failed: (id, step, reason) =>
          this.finished(id, step, (snapshot, copy) => this.fail(snapshot, copy, reason)),
      },
    );
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
      throw new WireError(
        "ResourceLimitExceeded",
        `Too many snapshot copies in progress in ${destinationRegion}: at most ${limit} copies may be pending per destination region. Retry when one of them has completed.`,
      );
    }
    const manifest = this.store.manifest(sourceRegion, source.snapshotId);
    if (!manifest) {
      throw new Error(`The completed snapshot ${source.snapshotId} has no block manifest.`);
    }
    const sendRanges = planCopy(manifest, (sha256) => this.blocks.holds(destinationRegion, sha256));
    const blocksSent = blocksToSend(sendRanges);
    const failureShare = this.rules.faults.copyFailureShare();
    const copy: CopyRecord = {
      destinationRegion,
      destinationSnapshotId: destination.snapshotId,
      sourceRegion,
      sourceSnapshotId: source.snapshotId,
      totalBytes: blocksSent * manifest.blockSizeBytes,
      sendRanges,
      nextBlock: 0,
      failAtBlock:
        failureShare === undefined
          ? undefined
          : (nthToSend(sendRanges, Math.floor(blocksSent * failureShare)) ?? manifest.blockCount),
    };
    destination.copyReport = {
      sourceRegion,
      sourceSnapshotId: source.snapshotId,
      totalBytes: copy.totalBytes,
      bytesTransferred: 0,
      blocksTransferred: 0,
      blocksSkipped: manifest.blocks.length - blocksSent,
      blocksStored: 0,
    };
    destination.progress = this.pendingProgress(copy);
    this.store.region(destinationRegion).snapshots.set(destination.snapshotId, destination);
    this.store.copies.set(destination.snapshotId, copy);
    this.counters.started++;
    const pending = this.pendingInto(destinationRegion).length;
    if (pending > (this.mostPendingInto.get(destinationRegion) ?? 0)) {
      this.mostPendingInto.set(destinationRegion, pending);
    }
    this.startEngine(copy);
  }

  /**
   * A CopySnapshot into `destinationRegion` was refused with `code` (the copy limit, a throttle,
   * a bad parameter): counted, since a caller that retries and gets past it leaves no other trace.
   */
  refused(destinationRegion: string, code: string): void {
    const byCode = this.refusals[destinationRegion] ?? {};
    byCode[code] = (byCode[code] ?? 0) + 1;
    this.refusals[destinationRegion] = byCode;
  }

  /**
   * A snapshot is being deleted: if it was made by CopySnapshot its deletion is counted by the state
   * it was in, and if its copy is still pending, the copy stops.
   */
  cancel(destinationSnapshotId: string): void {
    this.countDeletion(destinationSnapshotId);
    if (!this.store.copies.delete(destinationSnapshotId)) return;
    this.engine.cancel(destinationSnapshotId);
    this.counters.cancelled++;
  }

  private countDeletion(snapshotId: string): void {
    for (const [region, world] of this.store.regions()) {
      const snapshot = world.snapshots.get(snapshotId);
      // Only copies carry a copy report.
      if (!snapshot?.copyReport) continue;
      const counts = this.deletions[region] ?? { pending: 0, completed: 0, error: 0 };
      const state =
        snapshot.state === "completed" || snapshot.state === "error" ? snapshot.state : "pending";
      counts[state]++;
      this.deletions[region] = counts;
      return;
    }
  }

  /** After a restart: carry on with every copy that was pending, from the block it had reached. */
  resume(): void {
    for (const copy of this.store.copies.values()) {
      this.sendWrittenOnly(copy);
      this.startEngine(copy);
    }
  }

  /** Resolves once no copy touches the disk any more; where each got to is in the store. */
  stop(): Promise<void> {
    return this.engine.stop();
  }

  /**
   * A copy planned when never-written blocks were sent too has them in its ranges: what is left to
   * send is its written blocks, and its total is what it sent and what is left.
   */
  private sendWrittenOnly(copy: CopyRecord): void {
    const manifest = this.store.manifest(copy.sourceRegion, copy.sourceSnapshotId);
    if (!manifest) return;
    const sendRanges = writtenOnly(manifest, copy.sendRanges);
    if (blocksToSend(sendRanges) === blocksToSend(copy.sendRanges)) return;
    copy.sendRanges = sendRanges;
    const blockSize = manifest.blockSizeBytes;
    const report = this.destinationOf(copy)?.copyReport;
    copy.totalBytes = report
      ? report.bytesTransferred + blocksToSend(sendRanges, copy.nextBlock) * blockSize
      : blocksToSend(sendRanges) * blockSize;
    if (report) report.totalBytes = copy.totalBytes;
  }

  private startEngine(copy: CopyRecord): void {
    const manifest = this.store.manifest(copy.sourceRegion, copy.sourceSnapshotId);
    if (!manifest) {
      // Only a damaged data dir gets here: a copy's source cannot be deleted while it runs.
      const step = { nextBlock: copy.nextBlock, bytesTransferred: 0, blocksTransferred: 0 };
      this.finished(copy.destinationSnapshotId, { ...step, blocksStored: 0 }, (snapshot) =>
        this.fail(snapshot, copy, "its source snapshot's block manifest is gone"),
      );
      return;
    }
    this.engine.start({
      id: copy.destinationSnapshotId,
      sourceRegion: copy.sourceRegion,
      destinationRegion: copy.destinationRegion,
      manifest,
      sendRanges: copy.sendRanges,
      nextBlock: copy.nextBlock,
      failAtBlock: copy.failAtBlock,
    });
  }

  private progressed(id: string, step: CopyStep): void {
    const copy = this.store.copies.get(id);
    const snapshot = copy && this.destinationOf(copy);
    if (!copy || !snapshot) {
      // A cancelled copy's last bytes: gone with its snapshot, but they did cross the wire.
      this.countSent(step);
      return;
    }
    this.record(snapshot, copy, step);
    snapshot.progress = this.pendingProgress(copy);
    this.changed();
  }

  private finished(
    id: string,
    step: CopyStep,
    settle: (snapshot: Snapshot, copy: CopyRecord) => void,
  ): void {
    const copy = this.store.copies.get(id);
    if (!copy) return;
    this.store.copies.delete(id);
    const snapshot = this.destinationOf(copy);
    if (snapshot) {
      this.record(snapshot, copy, step);
      settle(snapshot, copy);
      this.rules.ended?.(snapshot, copy);
    }
    this.changed();
  }

  private countSent(step: CopyStep): void {
    this.counters.bytesTransferred += step.bytesTransferred;
    this.counters.blocksTransferred += step.blocksTransferred;
  }

  private record(snapshot: Snapshot, copy: CopyRecord, step: CopyStep): void {
    copy.nextBlock = step.nextBlock;
    this.countSent(step);
    const report = snapshot.copyReport;
    if (!report) return;
    report.bytesTransferred += step.bytesTransferred;
    report.blocksTransferred += step.blocksTransferred;
    report.blocksStored += step.blocksStored;
  }

  // Never 100% while pending: callers take "100%" to mean done.
  private pendingProgress(copy: CopyRecord): number {
    return Math.min(99, this.progressOf(copy));
  }

  /**
   * The share of the bytes to send that has been sent: never-written blocks, and blocks the
   * destination held when the copy began, are not part of it. Nothing to send is all done.
   */
  private progressOf(copy: CopyRecord): number {
    const total = blocksToSend(copy.sendRanges);
    if (total === 0) return 100;
    const left = blocksToSend(copy.sendRanges, copy.nextBlock);
    return Math.floor(((total - left) / total) * 100);
  }

  private complete(snapshot: Snapshot, copy: CopyRecord): void {
    const manifest = this.store.manifest(copy.sourceRegion, copy.sourceSnapshotId);
    if (!manifest) {
      this.fail(snapshot, copy, "its source snapshot's block manifest is gone");
      return;
    }
    // Manifests never change, so the copy shares the source's; it is saved under its own name.
    this.store.setManifest(copy.destinationRegion, copy.destinationSnapshotId, manifest);
    snapshot.state = "completed";
    snapshot.progress = 100;
    snapshot.completionTime = new Date().toISOString();
    this.counters.completed++;
  }

  private fail(snapshot: Snapshot, copy: CopyRecord, reason: string): void {
    snapshot.state = "error";
    snapshot.completionTime = new Date().toISOString();
    snapshot.progress = Math.min(99, this.progressOf(copy));
    snapshot.stateMessage = `Copy of ${copy.sourceSnapshotId} from ${copy.sourceRegion} failed at ${snapshot.progress}%: ${reason}.`;
    this.counters.failed++;
  }

  private destinationOf(copy: CopyRecord): Snapshot | undefined {
    return this.store.peekRegion(copy.destinationRegion)?.snapshots.get(copy.destinationSnapshotId);
  }
}
