// The jobs table's layout: one table for jobs, idempotency records, queued-copies counters, copy
// slot pools and copies waiting for a slot, and the indexes that list an account's jobs newest
// first (all, by status, by snapshot), hold its unfinished jobs of one snapshot, queue jobs for
// the sweeper, order each pool's waiting copies and list the pools. serverless.yml declares the
// same table for AWS (a test keeps the two in step); the local stack creates it from this
// definition.
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

export const ACCOUNT_INDEX = "byAccount";
/** An account's jobs in one status, newest first; carries snapshotId to filter on. */
export const STATUS_INDEX = "byAccountStatus";
/** An account's jobs of one snapshot, newest first. */
export const SNAPSHOT_INDEX = "byAccountSnapshot";
/**
 * Sparse: an account's unfinished jobs of one snapshot. Keyed on the snapshot index's partition
 * and `gsi2pk` (`ACTIVE#<account>`), which a job carries until it finishes: an item lacking either
 * is left out, and DynamoDB filled the index from the jobs written before it, with no backfill.
 */
export const ACTIVE_SNAPSHOT_INDEX = "activeByAccountSnapshot";
/**
 * Sparse: the sweeper's queue, a partition per account, jobs by the time the sweeper should next
 * look at them; and the list of those accounts.
 */
export const SWEEP_INDEX = "bySweep";
/** The copies waiting for a slot in one pool (account and region), oldest first. */
export const QUEUE_INDEX = "byQueue";
/** Every slot pool, for the sweeper. */
export const POOL_INDEX = "bySlotPool";
/**
 * Sparse: what the scheduler must do by a time. Policies by their next run, runs left STARTING by
 * when to take them up, volume targets by when their recovery point breaches its RPO.
 */
export const DUE_INDEX = "byDue";
/** Where an older build queued every account's due policies together. */
export const LEGACY_DUE_POLICIES = "DUE#POLICY";
/** An account's policies by their next run: each account's apart, so the scheduler shares fairly. */
export const duePoliciesPartition = (accountId: string) => `DUE#POLICY#${accountId}`;
/** The accounts that have policies: one marker each, listed by the scheduler. */
export const POLICY_ACCOUNTS_PARTITION = "POLICY#ACCOUNTS";
export const policyAccountKey = (accountId: string) => ({ pk: `POLICYACCOUNT#${accountId}` });
export const DUE_RUNS = "DUE#RUN";
export const DUE_BREACHES = "DUE#RPO";

export const policyKey = (policyId: string) => ({ pk: `POLICY#${policyId}` });
/** The limits an admin set for one account. */
export const limitsKey = (accountId: string) => ({ pk: `LIMITS#${accountId}` });
/** An account's requests in one second: a counter that expires soon after. */
export const requestRateKey = (accountId: string, second: number) => ({
  pk: `RATE#${accountId}#${second}`,
});
/** A sign-in session, by the SHA-256 of its token (sign-in.ts). */
export const sessionKey = (tokenHash: string) => ({ pk: `SESSION#${tokenHash}` });
/** A scheduled function's lease (adapters/dynamodb/leases.ts). */
export const leaseKey = (name: string) => ({ pk: `LEASE#${name}` });
export const runKey = (policyId: string, runId: string) => ({ pk: `RUN#${policyId}#${runId}` });
/** What one run did with one volume (a run of any size is kept whole, a volume an item). */
export const runVolumeKey = (policyId: string, runId: string, volumeId: string) => ({
  pk: `RUNVOLUME#${policyId}#${runId}#${volumeId}`,
});
export const targetItemKey = (policyId: string, volumeId: string, region: string) => ({
  pk: `TARGET#${policyId}#${volumeId}#${region}`,
});
export const deletionKey = (policyId: string, region: string, snapshotId: string) => ({
  pk: `DELETION#${policyId}#${region}#${snapshotId}`,
});
export const policyCopyKey = (
  policyId: string,
  volumeId: string,
  region: string,
  snapshotId: string,
) => ({ pk: `COPY#${policyId}#${volumeId}#${region}#${snapshotId}` });
/** Partitions of the byAccount index that list a policy's records. */
export const policiesPartition = (accountId: string) => `POLICIES#${accountId}`;
export const runsPartition = (policyId: string) => `RUNS#${policyId}`;
export const runVolumesPartition = (policyId: string, runId: string) =>
  `RUNVOLUMES#${policyId}#${runId}`;
export const targetsPartition = (policyId: string) => `TARGETS#${policyId}`;
export const deletionsPartition = (policyId: string) => `DELETIONS#${policyId}`;
export const policyCopiesPartition = (policyId: string, volumeId: string, region: string) =>
  `COPIES#${policyId}#${volumeId}#${region}`;

export const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}` });
export const idempotencyKey = (accountId: string, key: string) => ({
  pk: `IDEMPOTENCY#${accountId}#${key}`,
});
export const accountPartition = (accountId: string) => `ACCOUNT#${accountId}`;
export const activePartition = (accountId: string) => `ACTIVE#${accountId}`;
export const statusPartition = (accountId: string, status: string) =>
  `ACCOUNT#${accountId}#STATUS#${status}`;
export const snapshotPartition = (accountId: string, snapshotId: string) =>
  `ACCOUNT#${accountId}#SNAPSHOT#${snapshotId}`;
/**
 * How many copies the account's unfinished jobs hold QUEUED for one destination region: one
 * counter item, kept in step with the jobs by queued-copies.ts.
 */
export const queuedCopiesKey = (accountId: string, region: string) => ({
  pk: `COUNT#QUEUED#${accountId}#${region}`,
});
/** Per account: how many of its jobs have not finished (the API's limit on jobs in flight). */
export const jobsInFlightKey = (accountId: string) => ({
  pk: `COUNT#INFLIGHT#${accountId}`,
});
/**
 * Each account's jobs wait for the sweeper in a partition of their own of the bySweep index, so
 * the sweeper can serve the accounts in turn (one shared partition, read oldest first, let one
 * account's backlog hold every other account's jobs back).
 */
export const sweepPartition = (accountId: string) => `SWEEP#${accountId}`;
/**
 * The one partition an older build queued every job in. Nothing is written to it any more; the
 * sweeper reads it as one more account while it holds jobs (see DynamoJobStore.sweepAccounts).
 */
export const LEGACY_SWEEP_PARTITION = "SWEEP";
/**
 * The accounts that have ever had a job in the sweeper's queue: one small item each, in this
 * partition of the bySweep index with the account id as its sort key, so they are listed with no
 * index of their own. Never deleted: accounts are few, and an empty account costs the sweeper one
 * small read.
 */
export const SWEEP_ACCOUNTS_PARTITION = "SWEEP-ACCOUNTS";
export const sweepAccountKey = (accountId: string) => ({ pk: `SWEEPACCOUNT#${accountId}` });
export const POOLS_PARTITION = "POOLS";

interface Pool {
  accountId: string;
  region: string;
}
/** A pool's slots: one item, a counter and one attribute per holder. */
export const poolKey = ({ accountId, region }: Pool) => ({ pk: `SLOTS#${accountId}#${region}` });
/** One waiting copy. */
export const queuedKey = ({ accountId, region }: Pool, jobId: string) => ({
  pk: `QUEUED#${accountId}#${region}#${jobId}`,
});
/** Where a copy's wait and its end meet: by destination region and snapshot id. */
export const copyWaitKey = (region: string, snapshotId: string) => ({
  pk: `COPYWAIT#${region}#${snapshotId}`,
});
export const queuePartition = ({ accountId, region }: Pool) => `QUEUE#${accountId}#${region}`;
/** ISO timestamps sort as strings; the job id breaks ties between jobs made in the same ms. */
export const accountSortKey = (createdAt: string, jobId: string) => `${createdAt}#${jobId}`;

type IndexDefinition = NonNullable<CreateTableCommandInput["GlobalSecondaryIndexes"]>[number];

const index = (
  IndexName: string,
  hashKey: string,
  rangeKey: string,
  Projection: IndexDefinition["Projection"],
): IndexDefinition => ({
  IndexName,
  KeySchema: [
    { AttributeName: hashKey, KeyType: "HASH" },
    { AttributeName: rangeKey, KeyType: "RANGE" },
  ],
  Projection,
});

export const jobsTableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: "PAY_PER_REQUEST",
  AttributeDefinitions: [
    { AttributeName: "pk", AttributeType: "S" },
    { AttributeName: "gsi1pk", AttributeType: "S" },
    { AttributeName: "gsi1sk", AttributeType: "S" },
    { AttributeName: "gsi2pk", AttributeType: "S" },
    { AttributeName: "gsi3pk", AttributeType: "S" },
    { AttributeName: "gsi4pk", AttributeType: "S" },
    { AttributeName: "sweeppk", AttributeType: "S" },
    { AttributeName: "sweepAt", AttributeType: "S" },
    { AttributeName: "queuepk", AttributeType: "S" },
    { AttributeName: "queuedAt", AttributeType: "S" },
    { AttributeName: "poolpk", AttributeType: "S" },
    { AttributeName: "pool", AttributeType: "S" },
    { AttributeName: "duepk", AttributeType: "S" },
    { AttributeName: "dueAt", AttributeType: "S" },
  ],
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  GlobalSecondaryIndexes: [
    index(ACCOUNT_INDEX, "gsi1pk", "gsi1sk", { ProjectionType: "ALL" }),
    // The indexes below hold keys (and a filter field) only: a copy's progress, written every
    // poll, never costs them a write. A page read through them fetches its jobs by key.
    index(STATUS_INDEX, "gsi3pk", "gsi1sk", {
      ProjectionType: "INCLUDE",
      NonKeyAttributes: ["snapshotId"],
    }),
    index(SNAPSHOT_INDEX, "gsi4pk", "gsi1sk", { ProjectionType: "KEYS_ONLY" }),
    index(ACTIVE_SNAPSHOT_INDEX, "gsi4pk", "gsi2pk", { ProjectionType: "KEYS_ONLY" }),
    index(SWEEP_INDEX, "sweeppk", "sweepAt", { ProjectionType: "KEYS_ONLY" }),
    index(QUEUE_INDEX, "queuepk", "queuedAt", {
      ProjectionType: "INCLUDE",
      NonKeyAttributes: ["jobId", "wakeToken"],
    }),
    index(POOL_INDEX, "poolpk", "pool", { ProjectionType: "KEYS_ONLY" }),
    index(DUE_INDEX, "duepk", "dueAt", { ProjectionType: "ALL" }),
  ],
});

/** Idempotency records and copy waits expire when the time-to-live attribute says. */
export const TTL_ATTRIBUTE = "expiresAt";
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
