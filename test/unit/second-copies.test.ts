// Second copies: a CopySnapshot whose answer was lost made a copy the job never recorded, and the
// retried StartCopy, not seeing it yet, made another. Finalizing deletes every copy made for the
// job's destination but the recorded one, and nothing else.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { copyTags, TAG_JOB_ID } from "../../functions/core/copy-tags.js";
import { DomainError } from "../../functions/core/errors.js";
import { finalizeCopy, finalizeJob } from "../../functions/core/finalize.js";
import type { CopyRecord, ReplicationJob } from "../../functions/core/job.js";
import type { SnapshotView } from "../../functions/core/ports.js";
import { removeSecondCopies, removeSecondCopiesOfJob } from "../../functions/core/second-copies.js";
import { startCopy } from "../../functions/core/start-copy.js";
import { snapshotProviderContract } from "../support/snapshot-provider-contract.js";
import {
  ACCOUNT,
  aCopy,
  aJob,
  aRunningJob,
  copyTo,
  type Fakes,
  InMemorySnapshots,
  stepFakes,
  stored,
  T0,
} from "./fakes.js";

const MUMBAI = "ap-mumbai";
const BEIJING = "ap-beijing";
const RECORDED = "snap-recorded01";
const SECOND = "snap-second0001";

let fakes: Fakes;

beforeEach(() => {
  fakes = stepFakes();
});

const minutesAfterT0 = (minutes: number) => new Date(T0.getTime() + minutes * 60_000).toISOString();

/** The copy to Mumbai under way, recorded as `RECORDED`, begun a minute after the job. */
const copyingJob = (copy: Partial<CopyRecord> = {}): ReplicationJob =>
  aRunningJob({
    status: "COPYING",
    progress: 100,
    destinationSnapshotId: RECORDED,
    startedAt: minutesAfterT0(1),
    ...copy,
  });

/** A snapshot in `region` as StartCopy makes one for `job`: its name, its tags. */
const copyMadeFor = (
  job: ReplicationJob,
  snapshotId: string,
  fields: Partial<SnapshotView> = {},
  region = MUMBAI,
) =>
  fakes.snapshots.add(region, snapshotId, {
    description: job.name,
    tags: copyTags(job),
    startTime: minutesAfterT0(1),
    volumeId: "vol-ffffffff",
    ...fields,
  });

/** Every snapshot of the account in `region`, by id. */
const remaining = async (region = MUMBAI) =>
  (await fakes.snapshots.findTagged(ACCOUNT, region, {})).map((view) => view.snapshotId).sort();

const throttled = () => new DomainError("CloudThrottled", "EC2 throttled the request.");

describe("finalizing a copy", () => {
  it("a second copy made by a retried CopySnapshot is found and deleted", async () => {
    // Prepare: the first CopySnapshot makes a copy but its answer is lost; the retry's search
    // does not see that copy yet, and makes another
    fakes.jobs.seed(aRunningJob());
    fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2");
    const copyNow = fakes.snapshots.startCopy.bind(fakes.snapshots);
    vi.spyOn(fakes.snapshots, "startCopy").mockImplementationOnce(async (request) => {
      await copyNow(request);
      throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
    });
    await expect(startCopy("job-1", MUMBAI, fakes.deps)).rejects.toThrow("socket hang up");
    vi.spyOn(fakes.snapshots, "findCopy").mockResolvedValueOnce(undefined);
    const { destinationSnapshotId } = await startCopy("job-1", MUMBAI, fakes.deps);
    const [lost] = (await remaining()).filter((id) => id !== destinationSnapshotId);

    // Act
    const finalized = await finalizeCopy("job-1", MUMBAI, fakes.deps);

    // Assess
    expect(lost).toBeDefined();
    expect(finalized.secondCopies).toEqual({ deleted: [lost], problems: [] });
    expect(await remaining()).toEqual([destinationSnapshotId]);
    expect(copyTo(await stored(fakes.jobs), MUMBAI).status).toBe("COMPLETED");
  });

  it("a second copy tagged for the job is deleted when the copy is finalized, pending as it is", async () => {
    // Prepare
    const job = copyingJob();
    fakes.jobs.seed(job);
    copyMadeFor(job, RECORDED);
    copyMadeFor(job, SECOND, { state: "pending", progress: 40, startTime: minutesAfterT0(0.5) });

    // Act
    const finalized = await finalizeCopy("job-1", MUMBAI, fakes.deps);

    // Assess
    expect(fakes.snapshots.deleted).toEqual([SECOND]);
    expect(finalized).toEqual({
      destinationRegion: MUMBAI,
      status: "COMPLETED",
      destinationSnapshotId: RECORDED,
      secondCopies: { deleted: [SECOND], problems: [] },
    });
  });

  it("the recorded copy is never deleted", async () => {
    // Prepare
    const job = copyingJob();
    fakes.jobs.seed(job);
    copyMadeFor(job, RECORDED);

    // Act
    const finalized = await finalizeCopy("job-1", MUMBAI, fakes.deps);
    await finalizeJob("job-1", fakes.deps);

    // Assess
    expect(fakes.snapshots.deleted).toEqual([]);
    expect(finalized.secondCopies).toBeUndefined();
    expect(await remaining()).toEqual([RECORDED]);
  });

  it("a snapshot without the job's tag is left alone", async () => {
    // Prepare: the same name and source, but no job tag, another job's, or no tags at all
    const job = copyingJob();
    fakes.jobs.seed(job);
    copyMadeFor(job, RECORDED);
    const { [TAG_JOB_ID]: _job, ...withoutJob } = copyTags(job);
    copyMadeFor(job, "snap-nojobtag01", { tags: withoutJob });
    copyMadeFor(job, "snap-otherjob01", { tags: { ...copyTags(job), [TAG_JOB_ID]: "job-2" } });
    copyMadeFor(job, "snap-untagged01", { tags: {} });

    // Act
    await finalizeCopy("job-1", MUMBAI, fakes.deps);

    // Assess
    expect(fakes.snapshots.deleted).toEqual([]);
    expect(await remaining()).toEqual([
      "snap-nojobtag01",
      "snap-otherjob01",
      RECORDED,
      "snap-untagged01",
    ]);
  });

  it("a retried cleanup deletes nothing more", async () => {
    // Prepare
    const job = copyingJob();
    fakes.jobs.seed(job);
    copyMadeFor(job, RECORDED);
    copyMadeFor(job, SECOND);
    const first = await finalizeCopy("job-1", MUMBAI, fakes.deps);

    // Act
    const again = await finalizeCopy("job-1", MUMBAI, fakes.deps);
    await finalizeJob("job-1", fakes.deps);

    // Assess
    expect(first.secondCopies?.deleted).toEqual([SECOND]);
    expect(again.secondCopies).toBeUndefined();
    expect(fakes.snapshots.deleted).toEqual([SECOND]);
    expect(await remaining()).toEqual([RECORDED]);
  });

  it("a throttled look does not fail the copy: the step's output says so", async () => {
    // Prepare
    const job = copyingJob();
    fakes.jobs.seed(job);
    copyMadeFor(job, SECOND);
    vi.spyOn(fakes.snapshots, "findTagged").mockRejectedValueOnce(throttled());

    // Act
    const finalized = await finalizeCopy("job-1", MUMBAI, fakes.deps);

    // Assess
    expect(finalized.status).toBe("COMPLETED");
    expect(finalized.secondCopies?.problems[0]?.message).toContain("EC2 throttled the request");
    expect(copyTo(await stored(fakes.jobs), MUMBAI).status).toBe("COMPLETED");
  });
});

describe("finalizing a job", () => {
  it("deletes what a failed copy's lost CopySnapshot made, though it recorded no copy", async () => {
    // Prepare
    const job = aJob({
      status: "RUNNING",
      copies: [
        aCopy(MUMBAI, {
          status: "COMPLETED",
          destinationSnapshotId: RECORDED,
          startedAt: T0.toISOString(),
        }),
        aCopy(BEIJING, { status: "FAILED" }),
      ],
    });
    fakes.jobs.seed(job);
    copyMadeFor(job, RECORDED);
    copyMadeFor(job, SECOND, { state: "pending" }, BEIJING);

    // Act
    const finished = await finalizeJob("job-1", fakes.deps);

    // Assess
    expect(finished.status).toBe("PARTIAL");
    expect(fakes.snapshots.deleted).toEqual([SECOND]);
  });

  it("gives the job its outcome when the cloud throttles the look", async () => {
    // Prepare
    const job = copyingJob({ status: "COMPLETED" });
    fakes.jobs.seed(job);
    vi.spyOn(fakes.snapshots, "findTagged").mockRejectedValue(throttled());

    // Act
    const finished = await finalizeJob("job-1", fakes.deps);

    // Assess
    expect(finished.status).toBe("COMPLETED");
  });
});

describe("removing second copies", () => {
  const sweepOf = async (job: ReplicationJob, region = MUMBAI) =>
    removeSecondCopies(job, copyTo(job, region), fakes.deps);

  it("leaves a copy with no recorded id alone while its StartCopy may still be running", async () => {
    // Prepare
    const job = aRunningJob({ status: "QUEUED" });
    copyMadeFor(job, SECOND);
    const findTagged = vi.spyOn(fakes.snapshots, "findTagged");

    // Act
    const sweep = await sweepOf(job);

    // Assess
    expect(sweep).toEqual({ destinationRegion: MUMBAI, deleted: [], problems: [] });
    expect(findTagged).not.toHaveBeenCalled();
    expect(await remaining()).toEqual([SECOND]);
  });

  it("leaves a completed copy with no recorded id alone: nothing says which snapshot is the tenant's", async () => {
    // Prepare
    const job = aRunningJob({ status: "COMPLETED" });
    copyMadeFor(job, "snap-oneof00001");
    copyMadeFor(job, "snap-oneof00002");

    // Act
    const sweep = await sweepOf(job);

    // Assess
    expect(sweep.deleted).toEqual([]);
    expect(await remaining()).toHaveLength(2);
  });

  it("deletes every copy made for a cancelled copy but its partial snapshot, which the cancel deletes and reports", async () => {
    // Prepare
    const job = aRunningJob({
      status: "CANCELLED",
      cleanup: { snapshotId: "snap-partial001", state: "PENDING", attempts: 1 },
    });
    copyMadeFor(job, "snap-partial001", { state: "pending" });
    copyMadeFor(job, SECOND, { state: "pending" });

    // Act
    const sweep = await sweepOf(job);

    // Assess
    expect(sweep.deleted).toEqual([SECOND]);
    expect(await remaining()).toEqual(["snap-partial001"]);
  });

  it("leaves alone a snapshot with the job's tags begun before the job was made, or after its copy began", async () => {
    // Prepare: the tenant wrote the job's tags on snapshots of its own
    const job = copyingJob();
    copyMadeFor(job, "snap-earlier001", { startTime: minutesAfterT0(-60) });
    copyMadeFor(job, "snap-later00001", { startTime: minutesAfterT0(90) });

    // Act
    const sweep = await sweepOf(job);

    // Assess
    expect(sweep.deleted).toEqual([]);
  });

  it("leaves alone a snapshot with the job's tags but a description StartCopy never gives", async () => {
    // Prepare
    const job = copyingJob();
    copyMadeFor(job, "snap-reencrypt1", { description: "re-encrypted with the team key" });

    // Act
    const sweep = await sweepOf(job);

    // Assess
    expect(sweep.deleted).toEqual([]);
  });

  it("leaves alone a snapshot the cloud lists whose tags match only by a wildcard", async () => {
    // Prepare: EC2's tag filters read `*` and `?` as wildcards
    const job = copyingJob();
    const lookalike = copyMadeFor(job, "snap-wildcard01", {
      tags: { ...copyTags(job), [TAG_JOB_ID]: "job-?" },
    });
    vi.spyOn(fakes.snapshots, "findTagged").mockResolvedValueOnce([lookalike]);

    // Act
    const sweep = await sweepOf(job);

    // Assess
    expect(sweep.deleted).toEqual([]);
  });

  it("passes throttling up, for the caller to try again later", async () => {
    // Prepare
    const job = copyingJob();
    copyMadeFor(job, SECOND);
    fakes.snapshots.failNextDeleteWith = throttled();

    // Act
    const sweeping = sweepOf(job);

    // Assess
    await expect(sweeping).rejects.toMatchObject({ code: "CloudThrottled" });
  });

  it("reports a delete the cloud refuses, and still cleans up the job's other copies", async () => {
    // Prepare
    const job = aJob({
      status: "COMPLETED",
      copies: [
        aCopy(MUMBAI, { status: "COMPLETED", destinationSnapshotId: RECORDED }),
        aCopy(BEIJING, { status: "FAILED" }),
      ],
    });
    copyMadeFor(job, SECOND);
    copyMadeFor(job, "snap-beijing001", {}, BEIJING);
    fakes.snapshots.failNextDeleteWith = Object.assign(new Error("snapshot is in use by ami-1"), {
      name: "InvalidSnapshot.InUse",
    });

    // Act
    const sweeps = await removeSecondCopiesOfJob(job, fakes.deps);

    // Assess
    expect(sweeps).toEqual([
      {
        destinationRegion: MUMBAI,
        deleted: [],
        problems: [
          {
            snapshotId: SECOND,
            message: `Second copy ${SECOND} of job job-1 in ap-mumbai could not be deleted: snapshot is in use by ami-1`,
          },
        ],
      },
      { destinationRegion: BEIJING, deleted: ["snap-beijing001"], problems: [] },
    ]);
  });

  it("reports a search the cloud refuses", async () => {
    // Prepare
    const job = copyingJob();
    fakes.snapshots.refusedAccounts.add(job.accountId);

    // Act
    const sweep = await sweepOf(job);

    // Assess
    expect(sweep.deleted).toEqual([]);
    expect(sweep.problems[0]?.message).toContain(
      "could not be listed: snaprelay cannot act in account",
    );
  });
});

snapshotProviderContract("the in-memory snapshots", async () => {
  const snapshots = new InMemorySnapshots();
  const other = "444455556666";
  return {
    provider: snapshots,
    accountId: ACCOUNT,
    otherAccountId: other,
    destinationRegion: MUMBAI,
    async source(accountId) {
      const snapshotId = `snap-source-${accountId}`;
      snapshots.add("ap-shanghai", snapshotId, {}, accountId);
      return { region: "ap-shanghai", snapshotId };
    },
  };
});
