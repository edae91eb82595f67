// The live progress of copies in flight, read from the cloud when someone looks (a job, a
// snapshot's view), never by the state machine: EBS sends no progress events, and the copy's
// wait only needs its end. One DescribeSnapshots per copy in flight, behind a short cache, so a
// dashboard refreshing every second does not turn into a flood of EC2 calls. The ETA comes from
// the copy's own observed rate.
import type { CopyRecord } from "./job.js";
import type { Clock, SnapshotProvider, SnapshotView } from "./ports.js";

export interface LiveCopy {
  progress: number;
  /** Seconds until the copy is expected to end, from its observed rate; null when unknown. */
  etaSeconds: number | null;
}

/**
 * The copy's remaining seconds from its progress (a whole percent) and its age: the middle of the
 * range the percent allows. Unknown before any progress or once done.
 */
export const etaSeconds = (progress: number, elapsedSeconds: number): number | null => {
  if (progress <= 0 || progress >= 100 || elapsedSeconds <= 0) return null;
  const done = progress + 0.5;
  return Math.round((elapsedSeconds * (100 - done)) / done);
};

interface Cached {
  view: SnapshotView | undefined;
  readAt: number;
}

/** Reads each snapshot at most once per `ttlMs` (real time), whoever asks. */
export class SnapshotReadCache {
  private readonly entries = new Map<string, Cached>();

  constructor(
    private readonly snapshots: Pick<SnapshotProvider, "describe">,
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The snapshot as last read, and how long ago (ms) that read was. */
  async describe(
    accountId: string,
    region: string,
    snapshotId: string,
  ): Promise<{ view: SnapshotView | undefined; ageMs: number }> {
    const key = `${accountId}#${region}#${snapshotId}`;
    const cached = this.entries.get(key);
    const age = cached ? this.now() - cached.readAt : Number.POSITIVE_INFINITY;
    if (cached && age < this.ttlMs) return { view: cached.view, ageMs: age };
    const view = await this.snapshots.describe(accountId, region, snapshotId);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { view, readAt: this.now() });
    return { view, ageMs: 0 };
  }
}

/**
 * The live progress and ETA of each copy in flight (COPYING with a snapshot), by destination
 * region. A copy the cloud cannot show right now keeps what the job recorded: a dashboard never
 * fails because EC2 is slow.
 */
export const liveCopies = async (
  accountId: string,
  copies: readonly CopyRecord[],
  deps: { reads: SnapshotReadCache; clock: Clock },
): Promise<Record<string, LiveCopy>> => {
  const now = deps.clock.now().getTime();
  const inFlight = copies.filter((copy) => copy.status === "COPYING" && copy.destinationSnapshotId);
  const entries = await Promise.all(
    inFlight.map(async (copy): Promise<[string, LiveCopy]> => {
      let progress = copy.progress;
      let startedAt = copy.startedAt;
      // The progress is as of the read, which the cache may have made a few seconds ago; the
      // job's own (a safety poll's) as of when that poll saw it.
      let ageSeconds = copy.progressAt
        ? Math.max(0, (now - Date.parse(copy.progressAt)) / 1000)
        : 0;
      try {
        const { view, ageMs } = await deps.reads.describe(
          accountId,
          copy.destinationRegion,
          String(copy.destinationSnapshotId),
        );
        if (view && view.state === "pending" && view.progress >= progress) {
          progress = view.progress;
          ageSeconds = ageMs / 1000;
        }
        startedAt ??= view?.startTime ?? null;
      } catch {
        // The recorded progress stands.
      }
      const elapsedSeconds = startedAt ? (now - Date.parse(startedAt)) / 1000 - ageSeconds : 0;
      const eta = etaSeconds(progress, elapsedSeconds);
      return [
        copy.destinationRegion,
        { progress, etaSeconds: eta === null ? null : Math.max(0, Math.round(eta - ageSeconds)) },
      ];
    }),
  );
  return Object.fromEntries(entries);
};
