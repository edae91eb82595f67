// The fakes the step tests lean on keep the real adapters' promises; if they did not, a step
// test could pass against a store that DynamoDB would never be.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../functions/core/errors.js";
import { accessStoreContract } from "../support/access-store-contract.js";
import { copySlotsContract } from "../support/copy-slots-contract.js";
import { copyWaitsContract } from "../support/copy-waits-contract.js";
import { jobStoreListingContract } from "../support/job-store-contract.js";
import { policyStoreContract } from "../support/policy-store-contract.js";
import {
  ACCOUNT,
  aCopy,
  aJob,
  aRunningJob,
  InMemoryAccessStore,
  InMemoryCopySlots,
  InMemoryCopyWaits,
  InMemoryJobStore,
  InMemorySnapshots,
  stored,
  T0,
} from "./fakes.js";
import { InMemoryPolicyStore } from "./policy-fakes.js";

const later = "2026-11-25T02:05:00.000Z";

describe("the in-memory job store", () => {
  it("moves a job along a transition the table allows", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();
    jobs.seed(aJob());

    // Act
    const moved = await jobs.apply("job-1", { status: "VALIDATING" }, later);

    // Assess
    expect(moved.status).toBe("VALIDATING");
    expect(moved.updatedAt).toBe(later);
    expect((await stored(jobs)).status).toBe("VALIDATING");
  });

  it("refuses to walk a finished job backwards with IllegalTransition", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();
    jobs.seed(aJob({ status: "COMPLETED" }));

    // Act
    const moving = jobs.apply("job-1", { status: "RUNNING" }, later);

    // Assess
    await expect(moving).rejects.toBeInstanceOf(DomainError);
    await expect(moving).rejects.toMatchObject({ code: "IllegalTransition" });
    expect((await stored(jobs)).status).toBe("COMPLETED");
  });

  it("accepts a change the job already shows, without touching it", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();
    jobs.seed(aJob({ status: "VALIDATING" }));

    // Act
    const again = await jobs.apply("job-1", { status: "VALIDATING" }, later);

    // Assess
    expect(again.status).toBe("VALIDATING");
    expect(again.updatedAt).toBe(T0.toISOString());
  });

  it("refuses a copy status the copy cannot reach, and applies nothing of the change", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();
    jobs.seed(aRunningJob());

    // Act
    const completing = jobs.apply(
      "job-1",
      { status: "COMPLETED", copies: { "ap-mumbai": { status: "COMPLETED" } } },
      later,
    );

    // Assess
    await expect(completing).rejects.toMatchObject({ code: "IllegalTransition" });
    const job = await stored(jobs);
    expect(job.status).toBe("RUNNING");
    expect(job.copies[0]?.status).toBe("QUEUED");
  });

  it("records progress only on a copy that is copying", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();
    jobs.seed(aRunningJob({ status: "COMPLETED", progress: 100 }));

    // Act
    const late = await jobs.apply("job-1", { copies: { "ap-mumbai": { progress: 40 } } }, later);

    // Assess
    expect(late.copies[0]?.progress).toBe(100);
  });

  it("refuses a second, different execution for a job", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();
    jobs.seed(aJob({ executionArn: "arn:aws:states:ap-shanghai:111122223333:execution:m:job-1" }));

    // Act
    const restarting = jobs.apply("job-1", { executionArn: "arn:other" }, later);

    // Assess
    await expect(restarting).rejects.toMatchObject({ code: "IllegalTransition" });
  });

  it("refuses a change to a job it does not hold with JobNotFound", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();

    // Act
    const moving = jobs.apply("job-404", { status: "VALIDATING" }, later);

    // Assess
    await expect(moving).rejects.toMatchObject({ code: "JobNotFound" });
  });

  it("gives the copy-start claim to one attempt until its lease lapses", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();
    jobs.seed(aRunningJob());
    const first = await jobs.claimCopyStart("job-1", "ap-mumbai", T0, 120);

    // Act
    const during = await jobs.claimCopyStart(
      "job-1",
      "ap-mumbai",
      new Date(T0.getTime() + 120_000),
      120,
    );
    const after = await jobs.claimCopyStart(
      "job-1",
      "ap-mumbai",
      new Date(T0.getTime() + 121_000),
      120,
    );

    // Assess: the claim after the lapsed one knows an attempt came before it
    expect([first, during, after]).toEqual(["first", undefined, "again"]);
  });

  it("gives no claim on a copy that is not QUEUED", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();
    jobs.seed(aJob({ copies: [aCopy("ap-mumbai")] }));

    // Act
    const claimed = await jobs.claimCopyStart("job-1", "ap-mumbai", T0, 120);

    // Assess
    expect(claimed).toBeUndefined();
  });

  it("lists an account's jobs newest first, a page at a time", async () => {
    // Prepare
    const jobs = new InMemoryJobStore();
    for (const [jobId, createdAt] of [
      ["job-a", "2026-11-25T01:00:00.000Z"],
      ["job-b", "2026-11-25T03:00:00.000Z"],
      ["job-c", "2026-11-25T02:00:00.000Z"],
    ] as const) {
      jobs.seed(aJob({ jobId, createdAt }));
    }

    // Act
    const first = await jobs.listByAccount("111122223333", { limit: 2 });
    const second = await jobs.listByAccount("111122223333", {
      limit: 2,
      nextToken: first.nextToken,
    });

    // Assess
    expect(first.jobs.map((job) => job.jobId)).toEqual(["job-b", "job-c"]);
    expect(second.jobs.map((job) => job.jobId)).toEqual(["job-a"]);
    expect(second.nextToken).toBeUndefined();
  });
});

describe("the in-memory snapshots", () => {
  it("starts a copy that appears at once in the destination, pending and tagged", async () => {
    // Prepare
    const snapshots = new InMemorySnapshots();
    snapshots.add("ap-shanghai", "snap-oi5spwt2");

    // Act
    const id = await snapshots.startCopy({
      accountId: ACCOUNT,
      sourceRegion: "ap-shanghai",
      sourceSnapshotId: "snap-oi5spwt2",
      destinationRegion: "ap-mumbai",
      description: "a copy",
      tags: { team: "dr" },
    });

    // Assess
    expect(await snapshots.describe(ACCOUNT, "ap-mumbai", id)).toMatchObject({
      state: "pending",
      progress: 0,
      tags: { team: "dr" },
    });
    expect(await snapshots.findCopy(ACCOUNT, "ap-mumbai", { team: "dr" })).toMatchObject({
      snapshotId: id,
    });
    expect(await snapshots.findCopy(ACCOUNT, "ap-beijing", { team: "dr" })).toBeUndefined();
  });
});

jobStoreListingContract("the in-memory job store", async () => new InMemoryJobStore());

copySlotsContract("the in-memory copy slots", async () => new InMemoryCopySlots());

copyWaitsContract("the in-memory copy waits", async () => new InMemoryCopyWaits());

policyStoreContract("the in-memory policy store", async () => new InMemoryPolicyStore());

accessStoreContract("the in-memory access store", async () => new InMemoryAccessStore());
