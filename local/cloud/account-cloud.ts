// One account of the local cloud: its regions' volumes, snapshots and blocks in its own folder, its
// copies and snapshots in flight, and the admin operations on them, apart from every other account.
import { cloudLog } from "../log.js";
import { BlockStore } from "./block-store.js";
import { CloudAdmin } from "./cloud-admin.js";
import type { CopyEventSink } from "./copy-events.js";
import type { Faults } from "./faults.js";
import type { LocalCloudKnobs } from "./options.js";
import { SnapshotCopies } from "./snapshot-copies.js";
import { SnapshotCreation } from "./snapshot-creation.js";
import { loadStore, saveStore } from "./state-file.js";
import { StateWriter } from "./state-writer.js";
import { type AccountStats, accountStats } from "./stats.js";
import { CloudStore } from "./store.js";
import { VolumeWriter } from "./volume-writes.js";

/** What every account of one cloud shares. */
export interface AccountSettings {
  blockSizeBytes: number;
  /** Per account and destination region. */
  maxPendingCopiesPerRegion: number;
  knobs: LocalCloudKnobs;
  faults: Faults;
  /** Copies run this many times faster than the bandwidth says (the compressed clock). */
  clockSpeed: number;
  /** Where the events of copies that end go. */
  events: CopyEventSink;
}

export class AccountCloud {
  readonly writer: StateWriter;
  readonly copies: SnapshotCopies;
  readonly creation: SnapshotCreation;
  readonly admin: CloudAdmin;

  private constructor(
    readonly accountId: string,
    readonly store: CloudStore,
    readonly blocks: BlockStore,
    folder: string,
    settings: AccountSettings,
  ) {
    this.writer = new StateWriter(
      () => saveStore(folder, store),
      (error) => cloudLog.error(`saving the state of account ${accountId} failed`, error),
    );
    const saveSoon = () => this.writer.saveSoon();
    this.copies = new SnapshotCopies(
      store,
      blocks,
      {
        maxPendingPerRegion: settings.maxPendingCopiesPerRegion,
        knobs: settings.knobs,
        faults: settings.faults,
        clockSpeed: settings.clockSpeed,
        ended: (snapshot, copy) =>
          settings.events.copyEnded({
            accountId,
            sourceRegion: copy.sourceRegion,
            sourceSnapshotId: copy.sourceSnapshotId,
            destinationRegion: copy.destinationRegion,
            destinationSnapshotId: copy.destinationSnapshotId,
            result: snapshot.state === "completed" ? "succeeded" : "failed",
            ...(snapshot.state === "completed" ? {} : { cause: snapshot.stateMessage ?? "" }),
            startTime: snapshot.startTime,
            endTime: snapshot.completionTime ?? new Date().toISOString(),
            incremental: (snapshot.copyReport?.blocksSkipped ?? 0) > 0,
          }),
      },
      saveSoon,
    );
    this.creation = new SnapshotCreation(store, saveSoon);
    this.admin = new CloudAdmin({
      store,
      blocks,
      volumes: new VolumeWriter(store, blocks),
      writer: this.writer,
    });
  }

  /** An account with a folder: its state and blocks loaded; `resume` restarts its work. */
  static async open(
    accountId: string,
    folder: string,
    settings: AccountSettings,
  ): Promise<AccountCloud> {
    const blocks = await BlockStore.open(folder, settings.blockSizeBytes);
    const store = await loadStore(folder, settings.blockSizeBytes);
    // A snapshot belongs to the account whose folder holds it: data taken over from before accounts
    // names the default account of its day, which may not be today's.
    for (const [, world] of store.regions()) {
      for (const snapshot of world.snapshots.values()) snapshot.ownerId = accountId;
    }
    return new AccountCloud(accountId, store, blocks, folder, settings);
  }

  /** An account the cloud has never held: empty, its folder made by its first save. */
  static fresh(accountId: string, folder: string, settings: AccountSettings): AccountCloud {
    const store = new CloudStore(settings.blockSizeBytes);
    const blocks = BlockStore.empty(folder, settings.blockSizeBytes);
    return new AccountCloud(accountId, store, blocks, folder, settings);
  }

  /** Carries on with the copies and snapshots that were pending when the cloud last stopped. */
  resume(): void {
    this.copies.resume();
    this.creation.resume();
  }

  stats(): AccountStats {
    return accountStats(this.store, this.blocks, this.copies);
  }

  /** Stops its work and saves: nothing writes into its folder once this resolves. */
  async close(): Promise<void> {
    this.creation.stop();
    await this.admin.drain();
    await this.copies.stop();
    await this.writer.close();
  }
}
