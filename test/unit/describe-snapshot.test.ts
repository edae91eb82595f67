// How a snapshot is shown: a source with the regions and jobs copying it, a copy with where it
// came from and no rollback (rule 6), copying then normal (rule 8).
import { beforeEach, describe, expect, it, vi } from "vitest";
import { describeSnapshot } from "../../functions/core/describe-snapshot.js";
import { SnapshotReadCache } from "../../functions/core/live-progress.js";
import { ACCOUNT, aCopy, aJob, type Fakes, stepFakes, T0 } from "./fakes.js";

let fakes: Fakes;
const view = (region: string, snapshotId: string) =>
  describeSnapshot(ACCOUNT, region, snapshotId, {
    ...fakes.deps,
    reads: new SnapshotReadCache(fakes.snapshots),
  });

beforeEach(() => {
  fakes = stepFakes();
  fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2", { volumeId: "vol-0abc1234" });
});

describe("a source snapshot", () => {
  it("shows the regions it is being copied to, and the jobs", async () => {
    // Prepare
    fakes.jobs.seed(
      aJob({
        status: "RUNNING",
        copies: [
          aCopy("ap-mumbai", {
            status: "COPYING",
            progress: 30,
            destinationSnapshotId: "snap-copy0001",
          }),
          aCopy("ap-beijing", { status: "COMPLETED", progress: 100 }),
        ],
      }),
    );

    // Act
    const report = await view("ap-shanghai", "snap-oi5spwt2");

    // Assess
    expect(report.replication).toEqual({
      copying: true,
      destinations: [
        {
          destinationRegion: "ap-mumbai",
          status: "COPYING",
          progress: 30,
          etaSeconds: null,
          destinationSnapshotId: "snap-copy0001",
          jobId: "job-1",
        },
      ],
      jobs: ["job-1"],
    });
    expect(report).toMatchObject({ status: "normal", rollbackAvailable: true, copiedFrom: null });
  });

  it("shows a copy's live progress from the cloud, and its ETA from the copy's own rate", async () => {
    // Prepare: 60% after 120 s
    fakes.jobs.seed(
      aJob({
        status: "RUNNING",
        copies: [
          aCopy("ap-mumbai", {
            status: "COPYING",
            progress: 10,
            destinationSnapshotId: "snap-copy0001",
            startedAt: new Date(T0.getTime() - 120_000).toISOString(),
          }),
        ],
      }),
    );
    fakes.snapshots.add("ap-mumbai", "snap-copy0001", { state: "pending", progress: 60 });

    // Act
    const report = await view("ap-shanghai", "snap-oi5spwt2");

    // Assess: 120 s × 39.5 / 60.5
    expect(report.replication.destinations[0]).toMatchObject({ progress: 60, etaSeconds: 78 });
  });

  it("reads a copy in flight from the cloud at most once in a few seconds, however often it is shown", async () => {
    // Prepare
    fakes.jobs.seed(
      aJob({
        status: "RUNNING",
        copies: [aCopy("ap-mumbai", { status: "COPYING", destinationSnapshotId: "snap-copy0001" })],
      }),
    );
    fakes.snapshots.add("ap-mumbai", "snap-copy0001", { state: "pending", progress: 60 });
    const reads = new SnapshotReadCache(fakes.snapshots);
    const describe = vi.spyOn(fakes.snapshots, "describe");

    // Act
    for (let look = 0; look < 10; look++) {
      await describeSnapshot(ACCOUNT, "ap-shanghai", "snap-oi5spwt2", {
        ...fakes.deps,
        reads,
      });
    }

    // Assess: ten looks at the source, one at the copy
    expect(describe.mock.calls.filter(([, region]) => region === "ap-mumbai")).toHaveLength(1);
  });

  it("shows no replication once its jobs are finished", async () => {
    // Prepare
    fakes.jobs.seed(
      aJob({ status: "COMPLETED", copies: [aCopy("ap-mumbai", { status: "COMPLETED" })] }),
    );

    // Act
    const report = await view("ap-shanghai", "snap-oi5spwt2");

    // Assess
    expect(report.replication).toEqual({ copying: false, destinations: [], jobs: [] });
  });
});

describe("a copied snapshot", () => {
  const addCopy = (state: "pending" | "completed", progress: number) =>
    fakes.snapshots.add("ap-mumbai", "snap-copy0001", {
      state,
      progress,
      volumeId: "vol-ffffffff",
      tags: {
        Name: "Copied snap-oi5spwt2 from ap-shanghai",
        "snaprelay:job-id": "job-1",
        "snaprelay:source-snapshot-id": "snap-oi5spwt2",
        "snaprelay:source-region": "ap-shanghai",
      },
    });

  it("is copying while the copy fills it, and says where it came from", async () => {
    // Prepare
    addCopy("pending", 45);

    // Act
    const report = await view("ap-mumbai", "snap-copy0001");

    // Assess
    expect(report).toMatchObject({
      status: "copying",
      progress: 45,
      name: "Copied snap-oi5spwt2 from ap-shanghai",
      copiedFrom: { region: "ap-shanghai", snapshotId: "snap-oi5spwt2", jobId: "job-1" },
      rollbackAvailable: false,
      volumeId: "vol-ffffffff",
    });
  });

  it("turns normal when the copy completes, still without rollback", async () => {
    // Prepare
    addCopy("completed", 100);

    // Act
    const report = await view("ap-mumbai", "snap-copy0001");

    // Assess
    expect(report).toMatchObject({ status: "normal", rollbackAvailable: false });
  });
});

describe("refusals", () => {
  it("refuses an unsupported region, naming the supported ones", async () => {
    await expect(view("eu-west-1", "snap-oi5spwt2")).rejects.toMatchObject({
      code: "UnsupportedRegion",
      message: expect.stringContaining("supported regions: ap-beijing"),
    });
  });

  it("says a snapshot that does not exist is not found", async () => {
    await expect(view("ap-shanghai", "snap-missing01")).rejects.toMatchObject({
      code: "SnapshotNotFound",
    });
  });
});
