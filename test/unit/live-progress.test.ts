// A copy's live progress and ETA, as a job's view shows them: from the cloud's latest read, or
// the job's own record when that is newer, each taken as of when it was seen.
import { describe, expect, it } from "vitest";
import { liveCopies, SnapshotReadCache } from "../../functions/core/live-progress.js";
import type { SnapshotView } from "../../functions/core/ports.js";
import { ACCOUNT, aCopy, FixedClock, T0 } from "./fakes.js";

const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000).toISOString();

/** A cloud that shows the copy at `progress` when read. */
const cloudShowing = (progress: number) => ({
  describe: async (): Promise<SnapshotView> =>
    ({ snapshotId: "snap-copy0001", state: "pending", progress }) as SnapshotView,
});

describe("a copy's ETA", () => {
  it("follows the copy's own rate: 50% after 100 s leaves about 98 s", async () => {
    // Prepare
    const clock = new FixedClock(new Date(at(100)));
    const copy = aCopy("ap-mumbai", {
      status: "COPYING",
      destinationSnapshotId: "snap-copy0001",
      startedAt: at(0),
    });

    // Act
    const live = await liveCopies(ACCOUNT, [copy], {
      reads: new SnapshotReadCache(cloudShowing(50)),
      clock,
    });

    // Assess: 100 s × 49.5 / 50.5
    expect(live["ap-mumbai"]).toEqual({ progress: 50, etaSeconds: 98 });
  });

  it("takes a safety poll's progress, newer than the cloud's cached read, as of when the poll saw it", async () => {
    // Prepare: the poll saw 60% at 120 s; the cached read says 50%; it is now 125 s
    const clock = new FixedClock(new Date(at(125)));
    const copy = aCopy("ap-mumbai", {
      status: "COPYING",
      destinationSnapshotId: "snap-copy0001",
      startedAt: at(0),
      progress: 60,
      progressAt: at(120),
    });

    // Act
    const live = await liveCopies(ACCOUNT, [copy], {
      reads: new SnapshotReadCache(cloudShowing(50)),
      clock,
    });

    // Assess: 120 s × 39.5 / 60.5 at the poll, 5 s of it gone since
    expect(live["ap-mumbai"]).toEqual({ progress: 60, etaSeconds: 73 });
  });
});
