// The DynamoDB job store against the real DynamoDB Local: idempotent creation, checked
// transitions, retried steps, the newest-first listing, the copy-start claim, and the sweeper's
// queue an older build kept in one partition.
import { DeleteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoJobStore, LEGACY_SWEEP_QUEUE } from "../../functions/adapters/dynamodb/job-store.js";
import {
  jobKey,
  LEGACY_SWEEP_PARTITION,
  sweepAccountKey,
} from "../../functions/adapters/dynamodb/jobs-table.js";
import { newJob } from "../../functions/core/create-replication.js";
import { DomainError } from "../../functions/core/errors.js";
import type { CheckedRequest } from "../../functions/core/rules.js";
import { jobStoreListingContract } from "../support/job-store-contract.js";
import { documentClient, newTable } from "../support/services.js";

const request = (overrides: Partial<CheckedRequest> = {}): CheckedRequest => ({
  snapshotId: "snap-0123abcd",
  sourceRegion: "ap-shanghai",
  destinationRegions: ["ap-mumbai", "ap-beijing"],
  name: "Copied snap-0123abcd from ap-shanghai",
  tags: { team: "dr" },
  ...overrides,
});

let table: Awaited<ReturnType<typeof newTable>>;
let store: DynamoJobStore;
let sequence = 0;
const makeJob = (accountId = "111122223333", overrides: Partial<CheckedRequest> = {}) => {
  sequence += 1;
  const createdAt = new Date(Date.UTC(2026, 10, 25, 2, 0, sequence));
  return newJob(
    accountId,
    request(overrides),
    `job-${sequence}-${Math.random().toString(36).slice(2)}`,
    createdAt,
  );
};
const now = () => new Date().toISOString();

/** A job the Validate step accepted: RUNNING, its copy to ap-mumbai QUEUED. */
const runningJob = async (accountId?: string, snapshotId?: string) => {
  const job = makeJob(accountId, {
    ...(snapshotId ? { snapshotId } : {}),
    destinationRegions: ["ap-mumbai"],
  });
  await store.create(job);
  await store.apply(job.jobId, { status: "VALIDATING" }, now());
  await store.apply(
    job.jobId,
    { status: "RUNNING", copies: { "ap-mumbai": { status: "QUEUED" } } },
    now(),
  );
  return job;
};

beforeAll(async () => {
  table = await newTable();
  store = new DynamoJobStore(documentClient(), table.tableName);
});
const tables: Array<Awaited<ReturnType<typeof newTable>>> = [];
afterAll(async () => {
  await table.drop();
  for (const contractTable of tables) await contractTable.drop();
});

describe("creating jobs", () => {
  it("stores a job and reads it back with its copies in the order given", async () => {
    const job = makeJob();
    await store.create(job);
    const stored = await store.get(job.jobId);
    expect(stored).toEqual(job);
    expect(stored?.copies.map((c) => c.destinationRegion)).toEqual(["ap-mumbai", "ap-beijing"]);
  });

  it("returns the first job when the same idempotency key and request come again", async () => {
    const first = makeJob();
    const replay = makeJob();
    const claim = { key: `key-${first.jobId}`, requestHash: "hash-a" };
    const created = await store.create(first, claim);
    const replayed = await store.create(replay, claim);
    expect(created.created).toBe(true);
    expect(replayed).toEqual({ job: first, created: false });
    expect(await store.get(replay.jobId)).toBeUndefined();
  });

  it("refuses the same idempotency key with a different request, and stores nothing", async () => {
    const first = makeJob();
    const other = makeJob();
    await store.create(first, { key: `key-${first.jobId}`, requestHash: "hash-a" });
    const attempt = store.create(other, { key: `key-${first.jobId}`, requestHash: "hash-b" });
    await expect(attempt).rejects.toMatchObject({ code: "IdempotencyConflict" });
    expect(await store.get(other.jobId)).toBeUndefined();
  });

  it("keeps idempotency keys apart per account", async () => {
    const mine = makeJob("111122223333");
    const theirs = makeJob("444455556666");
    await store.create(mine, { key: "shared-key", requestHash: "hash-a" });
    const result = await store.create(theirs, { key: "shared-key", requestHash: "hash-b" });
    expect(result.created).toBe(true);
  });
});

describe("changing jobs", () => {
  it("moves a job along its allowed path", async () => {
    const job = makeJob();
    await store.create(job);
    await store.apply(job.jobId, { status: "VALIDATING" }, now());
    const running = await store.apply(
      job.jobId,
      {
        status: "RUNNING",
        copies: { "ap-mumbai": { status: "QUEUED" }, "ap-beijing": { status: "QUEUED" } },
      },
      now(),
    );
    expect(running.status).toBe("RUNNING");
    expect(running.copies.map((c) => c.status)).toEqual(["QUEUED", "QUEUED"]);
  });

  it("refuses an illegal transition and leaves the job as it was", async () => {
    const job = makeJob();
    await store.create(job);
    const attempt = store.apply(job.jobId, { status: "COMPLETED" }, now());
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({ code: "IllegalTransition" });
    expect((await store.get(job.jobId))?.status).toBe("PENDING");
  });

  it("accepts a change it already applied, as a retried step sends it", async () => {
    const job = makeJob();
    await store.create(job);
    await store.apply(job.jobId, { status: "VALIDATING" }, now());
    const again = await store.apply(job.jobId, { status: "VALIDATING" }, now());
    expect(again.status).toBe("VALIDATING");
  });

  it("never walks a finished job backwards", async () => {
    const job = makeJob();
    await store.create(job);
    await store.apply(job.jobId, { status: "VALIDATING" }, now());
    await store.apply(
      job.jobId,
      { status: "REJECTED", error: { code: "SnapshotNotFound", message: "gone" } },
      now(),
    );
    await expect(store.apply(job.jobId, { status: "RUNNING" }, now())).rejects.toMatchObject({
      code: "IllegalTransition",
    });
    expect((await store.get(job.jobId))?.error).toEqual({
      code: "SnapshotNotFound",
      message: "gone",
    });
  });

  it("refuses a second, different execution for one job", async () => {
    const job = makeJob();
    await store.create(job);
    await store.apply(job.jobId, { executionArn: "arn:one" }, now());
    await expect(store.apply(job.jobId, { executionArn: "arn:two" }, now())).rejects.toMatchObject({
      code: "IllegalTransition",
    });
    expect((await store.get(job.jobId))?.executionArn).toBe("arn:one");
  });

  it("ignores a late progress report for a copy that has finished", async () => {
    const job = await runningJob();
    await store.apply(
      job.jobId,
      { copies: { "ap-mumbai": { status: "COPYING", destinationSnapshotId: "snap-1" } } },
      now(),
    );
    await store.apply(
      job.jobId,
      { copies: { "ap-mumbai": { status: "COMPLETED", progress: 100 } } },
      now(),
    );
    const after = await store.apply(
      job.jobId,
      { copies: { "ap-mumbai": { progress: 40 } } },
      now(),
    );
    expect(after.copies[0]).toMatchObject({ status: "COMPLETED", progress: 100 });
  });

  it("says a job that does not exist is not found", async () => {
    await expect(store.apply("job-nope", { status: "VALIDATING" }, now())).rejects.toMatchObject({
      code: "JobNotFound",
    });
  });
});

describe("listing an account's jobs", () => {
  it("lists newest first, page by page, and only that account's jobs", async () => {
    const account = "222233334444";
    const jobs = [makeJob(account), makeJob(account), makeJob(account), makeJob("999988887777")];
    for (const job of jobs) await store.create(job);

    const first = await store.listByAccount(account, { limit: 2 });
    const second = await store.listByAccount(account, {
      limit: 2,
      ...(first.nextToken ? { nextToken: first.nextToken } : {}),
    });

    expect(first.jobs.map((j) => j.jobId)).toEqual([jobs[2]?.jobId, jobs[1]?.jobId]);
    expect(first.nextToken).toBeDefined();
    expect(second.jobs.map((j) => j.jobId)).toEqual([jobs[0]?.jobId]);
  });

  it("filters by status and snapshot", async () => {
    const account = "333344445555";
    const wanted = makeJob(account, { snapshotId: "snap-aaaa1111" });
    const other = makeJob(account, { snapshotId: "snap-bbbb2222" });
    await store.create(wanted);
    await store.create(other);
    await store.apply(other.jobId, { status: "VALIDATING" }, now());

    const bySnapshot = await store.listByAccount(account, {
      limit: 10,
      snapshotId: "snap-aaaa1111",
    });
    const byStatus = await store.listByAccount(account, { limit: 10, status: "VALIDATING" });

    expect(bySnapshot.jobs.map((j) => j.jobId)).toEqual([wanted.jobId]);
    expect(byStatus.jobs.map((j) => j.jobId)).toEqual([other.jobId]);
  });

  it("refuses a page token it did not issue", async () => {
    await expect(
      store.listByAccount("111122223333", { limit: 5, nextToken: "not-a-token" }),
    ).rejects.toMatchObject({
      code: "InvalidRequest",
    });
  });
});

describe("claiming a copy's start", () => {
  it("gives the claim to one attempt only while its lease runs", async () => {
    const job = await runningJob();
    const at = new Date("2026-11-25T03:00:00Z");
    const results = await Promise.all([
      store.claimCopyStart(job.jobId, "ap-mumbai", at, 60),
      store.claimCopyStart(job.jobId, "ap-mumbai", at, 60),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("lets a new attempt take a claim whose lease has lapsed", async () => {
    const job = await runningJob();
    const at = new Date("2026-11-25T03:00:00Z");
    await store.claimCopyStart(job.jobId, "ap-mumbai", at, 60);
    const later = new Date(at.getTime() + 61_000);
    expect(await store.claimCopyStart(job.jobId, "ap-mumbai", later, 60)).toBe(true);
  });

  it("refuses the claim on a copy that is not queued", async () => {
    const job = makeJob();
    await store.create(job);
    expect(await store.claimCopyStart(job.jobId, "ap-mumbai", new Date(), 60)).toBe(false);
  });
});

describe("the work in flight", () => {
  it("counts the copies other unfinished jobs have queued to a region", async () => {
    const account = "555566667777";
    const mine = await runningJob(account, "snap-cccc0001");
    await runningJob(account, "snap-cccc0002");
    await runningJob(account, "snap-cccc0003");

    expect(await store.countQueuedCopies(account, "ap-mumbai", mine.jobId)).toBe(2);
    expect(await store.countQueuedCopies(account, "ap-beijing", mine.jobId)).toBe(0);
  });

  it("finds the unfinished jobs copying a snapshot, and forgets them once they finish", async () => {
    const account = "666677778888";
    const job = await runningJob(account, "snap-dddd0001");

    const during = await store.activeJobsFor(account, "ap-shanghai", "snap-dddd0001");
    await store.apply(job.jobId, { copies: { "ap-mumbai": { status: "FAILED" } } }, now());
    await store.apply(job.jobId, { status: "FAILED" }, now());
    const after = await store.activeJobsFor(account, "ap-shanghai", "snap-dddd0001");

    expect(during.map((j) => j.jobId)).toEqual([job.jobId]);
    expect(after).toEqual([]);
    expect((await store.get(job.jobId))?.status).toBe("FAILED");
  });
});

describe("the sweeper's queue of an older build", () => {
  /** A job as an older build queued it: in the one shared partition, its account not listed. */
  const queuedByOlderBuild = async (accountId: string) => {
    const job = await runningJob(accountId);
    const client = documentClient();
    await client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: jobKey(job.jobId),
        UpdateExpression: "SET sweeppk = :legacy",
        ExpressionAttributeValues: { ":legacy": LEGACY_SWEEP_PARTITION },
      }),
    );
    await client.send(
      new DeleteCommand({ TableName: table.tableName, Key: sweepAccountKey(accountId) }),
    );
    client.destroy();
    return job;
  };
  const dueLater = "2030-01-01T00:00:00.000Z";

  it("is swept as one more account while it holds a job, and no longer once it is empty", async () => {
    // Prepare
    const job = await queuedByOlderBuild("121200003434");
    // A new store: the one above remembers having listed the account.
    const sweeper = new DynamoJobStore(documentClient(), table.tableName);

    // Act
    const whileQueued = await sweeper.sweepAccounts();
    const due = await sweeper.dueForSweep(LEGACY_SWEEP_QUEUE, dueLater, 10);
    await store.apply(job.jobId, { copies: { "ap-mumbai": { status: "FAILED" } } }, now());
    await store.apply(job.jobId, { status: "FAILED" }, now());
    const onceEmpty = await sweeper.sweepAccounts();

    // Assess
    expect(whileQueued).toContain(LEGACY_SWEEP_QUEUE);
    expect(whileQueued).not.toContain("121200003434");
    expect(due.map((queued) => queued.jobId)).toEqual([job.jobId]);
    expect(onceEmpty).not.toContain(LEGACY_SWEEP_QUEUE);
  });

  it("moves a job cancelled with cleanup left into its account's queue, and lists the account", async () => {
    // Prepare
    const job = await queuedByOlderBuild("121200005656");
    const sweeper = new DynamoJobStore(documentClient(), table.tableName);

    // Act
    await sweeper.apply(
      job.jobId,
      {
        status: "CANCELLED",
        copies: { "ap-mumbai": { status: "CANCELLED" } },
        nextSweepAt: "2026-11-25T03:00:00.000Z",
      },
      now(),
    );
    const accounts = await sweeper.sweepAccounts();
    const due = await sweeper.dueForSweep("121200005656", dueLater, 10);
    const legacy = await sweeper.dueForSweep(LEGACY_SWEEP_QUEUE, dueLater, 10);

    // Assess
    expect(accounts).toContain("121200005656");
    expect(due.map((queued) => queued.jobId)).toEqual([job.jobId]);
    expect(legacy).toEqual([]);
  });
});

jobStoreListingContract("the DynamoDB job store", async () => {
  const contractTable = await newTable();
  tables.push(contractTable);
  return new DynamoJobStore(documentClient(), contractTable.tableName);
});
