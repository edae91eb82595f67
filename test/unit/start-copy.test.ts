// The StartCopy step: one copy per destination, however often the step runs.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { copyIdentityTags, copyTags } from "../../functions/core/copy-tags.js";
import { DomainError } from "../../functions/core/errors.js";
import { startCopy } from "../../functions/core/start-copy.js";
import {
  ACCOUNT,
  aCopy,
  aJob,
  aRunningJob,
  copyTo,
  type Fakes,
  stepFakes,
  stored,
  T0,
} from "./fakes.js";

let fakes: Fakes;

beforeEach(() => {
  fakes = stepFakes();
  fakes.jobs.seed(aRunningJob());
  fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2");
});

/** An attempt claimed the copy's start and died: its claim's lease has lapsed. */
const anEarlierAttemptDied = async () => {
  await fakes.jobs.claimCopyStart("job-1", "ap-mumbai", T0, 120);
  fakes.clock.advance(121);
};

describe("starting a copy", () => {
  it("copies the source snapshot to the destination, described by the job's name and tagged", async () => {
    // Act
    await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(fakes.snapshots.copiesStarted).toEqual([
      {
        accountId: ACCOUNT,
        sourceRegion: "ap-shanghai",
        sourceSnapshotId: "snap-oi5spwt2",
        destinationRegion: "ap-mumbai",
        description: "Copied snap-oi5spwt2 from ap-shanghai",
        tags: copyTags(job),
      },
    ]);
  });

  it("records the copy as COPYING with its snapshot id and start time", async () => {
    // Act
    const started = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai")).toMatchObject({
      status: "COPYING",
      destinationSnapshotId: started.destinationSnapshotId,
      startedAt: T0.toISOString(),
    });
  });

  it("waits first for the shortest wait when the copy's size is not known", async () => {
    // Act
    const started = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(started).toEqual({ destinationSnapshotId: "snap-copy0001", waitSeconds: 15, polls: 0 });
  });

  it("waits first as long as the copy's size takes at the assumed rate, and a twentieth more", async () => {
    // Prepare: 5 GiB at 100 MiB/s is 51.2 s
    fakes.jobs.seed(aRunningJob({ sizeGiB: 5 }));

    // Act
    const started = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(started.waitSeconds).toBe(54);
  });

  it("returns the recorded copy on a second call without starting another", async () => {
    // Prepare
    const first = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Act
    const second = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(second).toEqual(first);
    expect(fakes.snapshots.copiesStarted).toHaveLength(1);
  });

  it("adopts a copy an earlier attempt made and tagged in the destination instead of starting another", async () => {
    // Prepare
    await anEarlierAttemptDied();
    const job = await stored(fakes.jobs);
    fakes.snapshots.add("ap-mumbai", "snap-orphan01", {
      state: "pending",
      progress: 30,
      tags: copyTags(job),
    });

    // Act
    const started = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(started.destinationSnapshotId).toBe("snap-orphan01");
    expect(fakes.snapshots.copiesStarted).toEqual([]);
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai")).toMatchObject({
      status: "COPYING",
      destinationSnapshotId: "snap-orphan01",
    });
  });

  it("looks for that copy by the job's identity tags in the destination region", async () => {
    // Prepare
    await anEarlierAttemptDied();
    const findCopy = vi.spyOn(fakes.snapshots, "findCopy");

    // Act
    await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(findCopy).toHaveBeenCalledWith(
      ACCOUNT,
      "ap-mumbai",
      copyIdentityTags(await stored(fakes.jobs)),
    );
  });

  it("does not look for an earlier copy on the first claim ever made: no attempt can have made one", async () => {
    // Prepare
    const findCopy = vi.spyOn(fakes.snapshots, "findCopy");

    // Act
    await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(findCopy).not.toHaveBeenCalled();
    expect(fakes.snapshots.copiesStarted).toHaveLength(1);
  });

  it("does not adopt a copy that another job made of the same snapshot", async () => {
    // Prepare
    await anEarlierAttemptDied();
    fakes.snapshots.add("ap-mumbai", "snap-other001", {
      tags: copyTags(aJob({ jobId: "job-other" })),
    });

    // Act
    const started = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(started.destinationSnapshotId).not.toBe("snap-other001");
    expect(fakes.snapshots.copiesStarted).toHaveLength(1);
  });

  it("does not adopt a snapshot older than the job, whatever tags it carries", async () => {
    // Prepare: a snapshot from before the job was made, given the job's tags by hand.
    await anEarlierAttemptDied();
    const job = await stored(fakes.jobs);
    fakes.snapshots.add("ap-mumbai", "snap-oldone01", {
      startTime: new Date(Date.parse(job.createdAt) - 86_400_000).toISOString(),
      tags: copyTags(job),
    });

    // Act
    const started = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(started.destinationSnapshotId).not.toBe("snap-oldone01");
    expect(fakes.snapshots.copiesStarted).toHaveLength(1);
  });
});

describe("a copy a DR policy's job starts", () => {
  it("is recorded as the policy's, with the source's time its run read, for retention", async () => {
    // Prepare
    fakes.jobs.seed({
      ...aRunningJob(),
      trigger: { type: "schedule", policyId: "pol-1", runId: "run-1" },
      tags: {
        "snaprelay:policy-id": "pol-1",
        "snaprelay:volume-id": "vol-0aaa0001",
        "snaprelay:source-time": "2026-12-01T00:00:00.000Z",
      },
    });

    // Act
    const started = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(
      await fakes.policies.policyCopies({
        policyId: "pol-1",
        volumeId: "vol-0aaa0001",
        destinationRegion: "ap-mumbai",
      }),
    ).toEqual([
      {
        policyId: "pol-1",
        volumeId: "vol-0aaa0001",
        destinationRegion: "ap-mumbai",
        snapshotId: started.destinationSnapshotId,
        sourceSnapshotId: "snap-oi5spwt2",
        sourceTime: "2026-12-01T00:00:00.000Z",
        jobId: "job-1",
        startedAt: T0.toISOString(),
      },
    ]);
  });

  it("is not recorded for a job from the API", async () => {
    // Act
    await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(fakes.policies.policyCopiesById.size).toBe(0);
  });
});

describe("a copy another attempt is starting", () => {
  it("gives CopyStartInProgress while that attempt holds the claim, and starts nothing", async () => {
    // Prepare
    await fakes.jobs.claimCopyStart("job-1", "ap-mumbai", T0, 120);
    fakes.clock.advance(60);

    // Act
    const starting = startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    await expect(starting).rejects.toMatchObject({
      code: "CopyStartInProgress",
      message: "The copy of job job-1 to ap-mumbai is being started by another attempt.",
    });
    expect(fakes.snapshots.copiesStarted).toEqual([]);
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai").status).toBe("QUEUED");
  });

  it("is taken over once the claim's lease has lapsed", async () => {
    // Prepare
    await fakes.jobs.claimCopyStart("job-1", "ap-mumbai", T0, 120);
    fakes.clock.advance(121);

    // Act
    const started = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(started.destinationSnapshotId).toBe("snap-copy0001");
    expect(fakes.snapshots.copiesStarted).toHaveLength(1);
  });
});

describe("a copy that cannot start", () => {
  it("is refused with IllegalTransition while the job has not queued it", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ status: "VALIDATING", copies: [aCopy("ap-mumbai")] }));

    // Act
    const starting = startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    await expect(starting).rejects.toMatchObject({
      code: "IllegalTransition",
      message: expect.stringContaining("is PENDING; only a QUEUED copy can start"),
    });
    expect(fakes.snapshots.copiesStarted).toEqual([]);
  });

  it("is refused with JobNotFound for a destination the job does not have, listing its own", async () => {
    // Act
    const starting = startCopy("job-1", "ap-chengdu", fakes.deps);

    // Assess
    await expect(starting).rejects.toMatchObject({
      code: "JobNotFound",
      message: "Job job-1 has no copy to ap-chengdu; its destinations are ap-mumbai.",
    });
  });

  it("passes the cloud's refusal on and leaves the copy QUEUED", async () => {
    // Prepare
    vi.spyOn(fakes.snapshots, "startCopy").mockRejectedValueOnce(
      new DomainError("CopyCapacityExceeded", "too many copies in progress"),
    );

    // Act
    const starting = startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    await expect(starting).rejects.toMatchObject({ code: "CopyCapacityExceeded" });
    expect(copyTo(await stored(fakes.jobs), "ap-mumbai")).toMatchObject({
      status: "QUEUED",
      destinationSnapshotId: null,
    });
  });

  it("frees its claim when the cloud refuses, so the retry starts the copy at once", async () => {
    // Prepare
    vi.spyOn(fakes.snapshots, "startCopy").mockRejectedValueOnce(
      new DomainError("CopyCapacityExceeded", "too many copies in progress"),
    );
    await startCopy("job-1", "ap-mumbai", fakes.deps).catch(() => undefined);

    // Act
    const retried = await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(retried.destinationSnapshotId).toMatch(/^snap-/);
  });
});
