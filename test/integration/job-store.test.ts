// The DynamoDB job store against the real DynamoDB Local: idempotent creation, checked
// transitions, retried steps, the newest-first listing, the copy-start claim, the work in flight
// read at a constant cost, and what an older build left: the sweeper's queue it kept in one
// partition, jobs it wrote before the queued-copies counters.
import {
  type ConsumedCapacity,
  TransactionCanceledException,
  TransactionConflictException,
} from "@aws-sdk/client-dynamodb";
import { DeleteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoJobStore, LEGACY_SWEEP_QUEUE } from "../../functions/adapters/dynamodb/job-store.js";
import {
  jobKey,
  LEGACY_SWEEP_PARTITION,
  sweepAccountKey,
} from "../../functions/adapters/dynamodb/jobs-table.js";
import { COUNTED_MARKER } from "../../functions/adapters/dynamodb/queued-copies.js";
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

  it("lets a new attempt take a claim whose lease has lapsed, telling it an attempt came before", async () => {
    const job = await runningJob();
    const at = new Date("2026-11-25T03:00:00Z");
    const first = await store.claimCopyStart(job.jobId, "ap-mumbai", at, 60);
    const later = new Date(at.getTime() + 61_000);
    expect(first).toBe("first");
    expect(await store.claimCopyStart(job.jobId, "ap-mumbai", later, 60)).toBe("again");
  });

  it("tells the attempt after a released claim that an attempt came before", async () => {
    const job = await runningJob();
    const at = new Date("2026-11-25T03:00:00Z");
    await store.claimCopyStart(job.jobId, "ap-mumbai", at, 60);
    await store.releaseCopyStart(job.jobId, "ap-mumbai", at);
    expect(await store.claimCopyStart(job.jobId, "ap-mumbai", at, 60)).toBe("again");
  });

  it("refuses the claim on a copy that is not queued", async () => {
    const job = makeJob();
    await store.create(job);
    expect(await store.claimCopyStart(job.jobId, "ap-mumbai", new Date(), 60)).toBeUndefined();
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

/**
 * A store whose DynamoDB calls all report the capacity they consume (ReturnConsumedCapacity
 * TOTAL); `units` sums what one action consumed.
 */
const meteredStore = () => {
  const client = documentClient();
  let consumed = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = "TOTAL";
      const result = await next(args);
      const { ConsumedCapacity } = result.output as {
        ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[];
      };
      for (const entry of [ConsumedCapacity ?? []].flat()) consumed += entry.CapacityUnits ?? 0;
      return result;
    },
    { step: "initialize", name: "meterConsumedCapacity" },
  );
  return {
    store: new DynamoJobStore(client, table.tableName),
    async units(action: () => Promise<unknown>): Promise<number> {
      const before = consumed;
      await action();
      return consumed - before;
    },
  };
};

describe("the work in flight, at a constant cost", () => {
  const account = "777700001111";
  let metered: ReturnType<typeof meteredStore>;
  let mine: Awaited<ReturnType<typeof runningJob>>;

  beforeAll(async () => {
    // 200 other unfinished jobs of the account, each with a copy queued to ap-mumbai, made
    // RUNNING at once (five at a time) rather than walked there.
    const others = Array.from({ length: 200 }, (_, index) => {
      const job = makeJob(account, {
        snapshotId: `snap-eeee${String(index).padStart(4, "0")}`,
        destinationRegions: ["ap-mumbai"],
      });
      return {
        ...job,
        status: "RUNNING" as const,
        copies: job.copies.map((copy) => ({ ...copy, status: "QUEUED" as const })),
      };
    });
    for (let start = 0; start < others.length; start += 5) {
      await Promise.all(others.slice(start, start + 5).map((job) => store.create(job)));
    }
    mine = await runningJob(account, "snap-ffff0001");
    metered = meteredStore();
  }, 120_000);

  it("finds the jobs of one snapshot without reading the account's other jobs", async () => {
    // Act
    let found: Awaited<ReturnType<DynamoJobStore["activeJobsFor"]>> = [];
    const units = await metered.units(async () => {
      found = await metered.store.activeJobsFor(account, "ap-shanghai", "snap-ffff0001");
    });

    // Assess: one small index read and the job itself (the account's whole backlog: 15.5 units)
    expect(found.map((job) => job.jobId)).toEqual([mine.jobId]);
    expect(units).toBeLessThanOrEqual(2);
  });

  it("counts the account's queued copies without reading its jobs", async () => {
    // Act
    let count = 0;
    const units = await metered.units(async () => {
      count = await metered.store.countQueuedCopies(account, "ap-mumbai", mine.jobId);
    });

    // Assess: the counter and the asking job, two strong reads (the backlog read: 15.5 units)
    expect(count).toBe(200);
    expect(units).toBeLessThanOrEqual(2);
  });

  it("counts every copy when many jobs of the account queue theirs at the same moment", async () => {
    // Prepare
    const crowd = "777700002222";
    const jobs = Array.from({ length: 12 }, () =>
      makeJob(crowd, { destinationRegions: ["ap-mumbai"] }),
    );
    for (const job of jobs) {
      await store.create(job);
      await store.apply(job.jobId, { status: "VALIDATING" }, now());
    }

    // Act: each with its own store, as a Lambda each
    await Promise.all(
      jobs.map((job) =>
        new DynamoJobStore(documentClient(), table.tableName).apply(
          job.jobId,
          { status: "RUNNING", copies: { "ap-mumbai": { status: "QUEUED" } } },
          now(),
        ),
      ),
    );

    // Assess
    expect(await store.countQueuedCopies(crowd, "ap-mumbai", "job-none")).toBe(12);
  });

  it("writes again a change that met another transaction on its job or counter, and counts it once", async () => {
    // Prepare: DynamoDB Local runs one request at a time, so the conflicts are made up: the
    // first two transactions and the first plain update are refused as AWS refuses them.
    const client = documentClient();
    const refusals = { transactions: 2, updates: 1 };
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { TransactItems?: unknown[]; UpdateExpression?: string };
        if (input.TransactItems && refusals.transactions > 0) {
          refusals.transactions -= 1;
          throw new TransactionCanceledException({
            message: "Transaction cancelled",
            $metadata: {},
            CancellationReasons: input.TransactItems.map(() => ({ Code: "TransactionConflict" })),
          });
        }
        if (input.UpdateExpression && !input.TransactItems && refusals.updates > 0) {
          refusals.updates -= 1;
          throw new TransactionConflictException({ message: "in a transaction", $metadata: {} });
        }
        return next(args);
      },
      { step: "initialize", name: "madeUpConflicts" },
    );
    const conflicted = new DynamoJobStore(client, table.tableName);
    const job = makeJob("777700003333", { destinationRegions: ["ap-mumbai"] });
    await store.create(job);
    await store.apply(job.jobId, { status: "VALIDATING" }, now());

    // Act
    const running = await conflicted.apply(
      job.jobId,
      { status: "RUNNING", copies: { "ap-mumbai": { status: "QUEUED" } } },
      now(),
    );
    const claimed = await conflicted.claimCopyStart(job.jobId, "ap-mumbai", new Date(), 60);

    // Assess
    expect(refusals).toEqual({ transactions: 0, updates: 0 });
    expect(running.copies[0]?.status).toBe("QUEUED");
    expect(claimed).toBe("first");
    expect(await store.countQueuedCopies("777700003333", "ap-mumbai", "job-none")).toBe(1);
  });
});

describe("jobs an older build wrote, before the queued-copies counters", () => {
  /** A job as an older build left it: queued, without the mark that its copies are counted. */
  const writtenByOlderBuild = async (accountId: string, snapshotId: string) => {
    const job = makeJob(accountId, { snapshotId, destinationRegions: ["ap-mumbai"] });
    await store.create(job);
    const client = documentClient();
    await client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: jobKey(job.jobId),
        UpdateExpression: "SET #status = :running, copies.#region.#status = :queued REMOVE #marker",
        ExpressionAttributeNames: {
          "#status": "status",
          "#region": "ap-mumbai",
          "#marker": COUNTED_MARKER,
        },
        ExpressionAttributeValues: { ":running": "RUNNING", ":queued": "QUEUED" },
      }),
    );
    client.destroy();
    return job;
  };

  it("never moves the counter for them, so it counts this build's jobs exactly", async () => {
    // Prepare
    const account = "888800001111";
    const older = await writtenByOlderBuild(account, "snap-0d1d0001");
    await runningJob(account, "snap-0d1d0002");

    // Act
    const withOlderQueued = await store.countQueuedCopies(account, "ap-mumbai", "job-none");
    await store.apply(
      older.jobId,
      { copies: { "ap-mumbai": { status: "COPYING", destinationSnapshotId: "snap-0c0c0001" } } },
      now(),
    );
    const afterOlderStarted = await store.countQueuedCopies(account, "ap-mumbai", "job-none");

    // Assess
    expect(withOlderQueued).toBe(1);
    expect(afterOlderStarted).toBe(1);
  });

  it("finds them among the unfinished jobs of their snapshot", async () => {
    // Prepare
    const older = await writtenByOlderBuild("888800002222", "snap-0d1d0003");

    // Act
    const found = await store.activeJobsFor("888800002222", "ap-shanghai", "snap-0d1d0003");

    // Assess
    expect(found.map((job) => job.jobId)).toEqual([older.jobId]);
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
