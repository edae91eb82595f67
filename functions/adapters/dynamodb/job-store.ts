// The JobStore port on DynamoDB. Every status change is a conditional write whose guard comes
// from the domain's transition table; a refused write that the item already reflects is a
// retried step and passes, anything else is an IllegalTransition. A write that moves a copy in or
// out of QUEUED moves its account's queued-copies counter in the same transaction
// (queued-copies.ts), so the backlog is counted without being read.
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { DomainError } from "../../core/errors.js";
import {
  type CopyRecord,
  copyStatusesLeadingTo,
  isFinishedJob,
  jobStatusesLeadingTo,
  type ReplicationJob,
} from "../../core/job.js";
import { isAlreadyApplied } from "../../core/job-changes.js";
import type {
  CopyStartClaim,
  IdempotencyClaim,
  JobChange,
  JobListQuery,
  JobPage,
  JobStore,
} from "../../core/ports.js";
import { isPassingConflict } from "../passing-trouble.js";
import { ExpressionBuilder } from "./expression-builder.js";
import { decodePageToken, encodePageToken, listPlan } from "./job-list-query.js";
import {
  ACTIVE_SNAPSHOT_INDEX,
  accountPartition,
  accountSortKey,
  activePartition,
  IDEMPOTENCY_TTL_SECONDS,
  idempotencyKey,
  jobKey,
  LEGACY_SWEEP_PARTITION,
  queuedCopiesKey,
  SWEEP_ACCOUNTS_PARTITION,
  SWEEP_INDEX,
  snapshotPartition,
  statusPartition,
  sweepAccountKey,
  sweepPartition,
} from "./jobs-table.js";
import {
  COUNTED_MARKER,
  type CountedOn,
  type CounterMove,
  countedFieldsHold,
  countedRegions,
  counterMoves,
  counterUpdate,
  counterValue,
  IN_FLIGHT_MARKER,
  isCountedCopy,
  mayMoveCounters,
  pinCountedFields,
} from "./queued-copies.js";
import { queryAll, readItem } from "./reads.js";
import { refusedAt } from "./transaction-refusal.js";

/** How a job is stored: copies keyed by region so one copy changes without touching the rest. */
interface JobItem extends Omit<ReplicationJob, "copies" | "executionArn"> {
  pk: string;
  gsi1pk: string;
  gsi1sk: string;
  gsi2pk?: string;
  gsi3pk: string;
  gsi4pk: string;
  sweeppk?: string;
  sweepAt: string;
  destinationRegions: string[];
  copies: Record<string, CopyRecord & { claimedAt?: string }>;
  executionArn?: string;
  /** See COUNTED_MARKER: absent on a job an older build wrote. */
  queuedCopiesCounted?: true;
  /** See IN_FLIGHT_MARKER: absent on a job written before jobs in flight were counted. */
  jobsInFlightCounted?: true;
}

/** A job as read before a write that may move its counters, and the counters it is on. */
interface Counted {
  job: ReplicationJob;
  on: CountedOn;
}

const toItem = (job: ReplicationJob): JobItem => {
  const { copies, executionArn, ...rest } = job;
  const unfinished = !isFinishedJob(job.status);
  return {
    ...rest,
    ...jobKey(job.jobId),
    gsi1pk: accountPartition(job.accountId),
    gsi1sk: accountSortKey(job.createdAt, job.jobId),
    gsi3pk: statusPartition(job.accountId, job.status),
    gsi4pk: snapshotPartition(job.accountId, job.snapshotId),
    // The sweeper's first look is due at creation: it starts the job if the API could not.
    sweepAt: job.createdAt,
    ...(unfinished
      ? { gsi2pk: activePartition(job.accountId), sweeppk: sweepPartition(job.accountId) }
      : {}),
    destinationRegions: copies.map((copy) => copy.destinationRegion),
    copies: Object.fromEntries(copies.map((copy) => [copy.destinationRegion, copy])),
    ...(executionArn ? { executionArn } : {}),
    [COUNTED_MARKER]: true,
    [IN_FLIGHT_MARKER]: true,
  };
};

const toJob = (item: Record<string, unknown>): ReplicationJob => {
  const {
    pk,
    gsi1pk,
    gsi1sk,
    gsi2pk,
    gsi3pk,
    gsi4pk,
    sweeppk,
    sweepAt,
    destinationRegions,
    copies,
    executionArn,
    queuedCopiesCounted,
    jobsInFlightCounted,
    ...rest
  } = item as unknown as JobItem;
  return {
    ...rest,
    executionArn: executionArn ?? null,
    copies: destinationRegions.flatMap((region) => {
      const stored = copies[region];
      if (!stored) return [];
      const { claimedAt, ...copy } = stored;
      return [copy];
    }),
  };
};

const describeRefusal = (job: ReplicationJob, change: JobChange): string => {
  const parts: string[] = [];
  if (change.status && job.status !== change.status) {
    parts.push(`job ${job.jobId} is ${job.status} and cannot become ${change.status}`);
  }
  for (const [region, copyChange] of Object.entries(change.copies ?? {})) {
    const copy = job.copies.find((c) => c.destinationRegion === region);
    if (copyChange.status && copy?.status !== copyChange.status) {
      parts.push(
        `its copy to ${region} is ${copy?.status ?? "missing"} and cannot become ${copyChange.status}`,
      );
    }
  }
  if (
    change.executionArn &&
    job.executionArn !== change.executionArn &&
    (!change.takesOver || job.executionArn !== change.takesOver)
  ) {
    parts.push(`job ${job.jobId} already runs as ${job.executionArn}`);
  }
  return parts.length > 0 ? `${parts.join("; ")}.` : `job ${job.jobId} refused the change.`;
};

// Bounds one request's reads when a filter skips many jobs: a page that could not fill within
// them comes back short, with a nextToken to read on from.
const MAX_READS_PER_PAGE = 20;
// DynamoDB may leave some keys of a batch unread under load; they are asked for again this often.
const BATCH_GET_ATTEMPTS = 8;
// A write that met another at the same moment (a counter is shared by the account's jobs), or
// whose job moved on between its read and its write, is tried again this often.
const WRITE_ATTEMPTS = 6;

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));

const writeBusy = (jobId: string) =>
  new DomainError(
    "ServiceBusy",
    `Job ${jobId} met other writes at the same moment ${WRITE_ATTEMPTS} times; try again shortly.`,
  );

/**
 * A counted write refused because the job changed since it was read (not because the change is
 * illegal): the write is worked out again from the job as it now stands.
 */
class JobMovedOn extends Error {
  override name = "JobMovedOn";
}

/** The transaction was refused by a condition (not cancelled by a conflict). */
const refusedByCondition = (error: TransactionCanceledException): boolean =>
  (error.CancellationReasons ?? []).some((reason) => reason.Code === "ConditionalCheckFailed");

/**
 * The name `sweepAccounts` gives the legacy partition (no account id looks like it). Jobs an older
 * build queued there stay there until they finish or their cleanup is done (a cancelled job moves
 * to its account's partition), so the sweeper keeps reading it, as one more account, while it
 * holds anything: that costs one small read a sweep, and this can go once every stage has run a
 * build with the per-account queues until the partition emptied.
 */
export const LEGACY_SWEEP_QUEUE = "legacy";

export class DynamoJobStore implements JobStore {
  private readonly accounts = new Map<string, string>();
  /** Accounts this process has listed for the sweeper already: the write is made once each. */
  private readonly sweepListed = new Set<string>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: ReplicationJob, idempotency?: IdempotencyClaim) {
    // Before the job, so a job in an account's queue never waits in a queue the sweeper does not
    // know of; a listed account whose job then fails to be written costs a sweep one empty read.
    await this.listForSweep(job.accountId);
    const jobPut = {
      TableName: this.tableName,
      Item: toItem(job),
      // A job is written once: a retried creation is refused here, and so counts nothing again.
      ConditionExpression: "attribute_not_exists(pk)",
    };
    // A job made with copies already QUEUED counts them from its first write, and an unfinished
    // one counts among its account's jobs in flight.
    const counters = [
      ...countedRegions(job).map((region) => ({ region, by: 1 })),
      ...(isFinishedJob(job.status) ? [] : [{ inFlight: true as const, by: 1 }]),
    ].map((move) => counterUpdate(this.tableName, job.accountId, move));
    if (!idempotency && counters.length === 0) {
      await this.client.send(new PutCommand(jobPut));
      return { job, created: true };
    }
    const expiresAt = Math.floor(Date.parse(job.createdAt) / 1000) + IDEMPOTENCY_TTL_SECONDS;
    const claim = idempotency
      ? [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...idempotencyKey(job.accountId, idempotency.key),
                jobId: job.jobId,
                requestHash: idempotency.requestHash,
                expiresAt,
              },
              // The key is taken once; a replay finds the record and its job below.
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
        ]
      : [];
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new TransactWriteCommand({ TransactItems: [...claim, { Put: jobPut }, ...counters] }),
        );
        return { job, created: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        if (!refusedByCondition(error)) {
          // Another write met the same items at that moment (a counter is shared by the
          // account's jobs): nothing was written, so it is tried again.
          if (!isPassingConflict(error)) throw error;
          if (attempt >= WRITE_ATTEMPTS) throw writeBusy(job.jobId);
          await pause(attempt);
          continue;
        }
        if (!idempotency) {
          // As the job's own put would have said alone.
          throw new ConditionalCheckFailedException({
            message: `Job ${job.jobId} exists already.`,
            $metadata: {},
          });
        }
        return { job: await this.replay(job.accountId, idempotency), created: false };
      }
    }
  }

  private async replay(accountId: string, idempotency: IdempotencyClaim): Promise<ReplicationJob> {
    const Item = await readItem(
      this.client,
      this.tableName,
      idempotencyKey(accountId, idempotency.key),
    );
    if (!Item) {
      throw new DomainError(
        "IdempotencyConflict",
        `Idempotency-Key ${idempotency.key} is being used by a request that has not finished; retry shortly.`,
      );
    }
    if (Item.requestHash !== idempotency.requestHash) {
      throw new DomainError(
        "IdempotencyConflict",
        `Idempotency-Key ${idempotency.key} was already used with a different request (job ${String(Item.jobId)}); use a new key for a new request.`,
      );
    }
    const job = await this.get(String(Item.jobId));
    if (!job) {
      throw new DomainError(
        "IdempotencyConflict",
        `Idempotency-Key ${idempotency.key} belongs to a request that did not complete; retry shortly.`,
      );
    }
    return job;
  }

  async get(jobId: string): Promise<ReplicationJob | undefined> {
    const Item = await readItem(this.client, this.tableName, jobKey(jobId));
    return Item ? toJob(Item) : undefined;
  }

  async listByAccount(accountId: string, query: JobListQuery): Promise<JobPage> {
    const plan = listPlan(accountId, query);
    let startKey = decodePageToken(plan.signature, query.nextToken);
    const found: Record<string, unknown>[] = [];
    // A filter applies after the read, so a read may come back short: read on until the page is
    // full. Each read asks for no more than the page still lacks, so the last key read is exactly
    // where the next page starts and no job is skipped or shown twice.
    for (let read = 0; read < MAX_READS_PER_PAGE && found.length < query.limit; read++) {
      const result = await this.client
        .send(
          new QueryCommand({
            TableName: this.tableName,
            ...plan.query,
            ScanIndexForward: false,
            Limit: query.limit - found.length,
            ExclusiveStartKey: startKey,
          }),
        )
        .catch((error: unknown) => {
          // A token made up to look like ours carries a key DynamoDB refuses.
          if (query.nextToken && error instanceof Error && error.name === "ValidationException") {
            throw new DomainError(
              "InvalidRequest",
              "nextToken: not a token this API returned; omit it to start from the newest job.",
            );
          }
          throw error;
        });
      found.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
      if (!startKey) break;
    }
    const jobs = plan.readsItems
      ? await this.getMany(found.map((item) => String(item.pk)))
      : found.map(toJob);
    return {
      // An index lags its table by a moment: a job whose status has just moved on is left out.
      jobs: jobs.filter((job) => !query.status || job.status === query.status),
      ...(startKey ? { nextToken: encodePageToken(plan.signature, startKey) } : {}),
    };
  }

  /** Jobs by their table keys, in the order given; a key with no job is skipped. */
  private async getMany(keys: string[]): Promise<ReplicationJob[]> {
    const items = new Map<string, Record<string, unknown>>();
    for (let start = 0; start < keys.length; start += 100) {
      let wanted: Record<string, unknown>[] = keys.slice(start, start + 100).map((pk) => ({ pk }));
      for (let attempt = 0; wanted.length > 0; attempt++) {
        if (attempt === BATCH_GET_ATTEMPTS) {
          throw new DomainError(
            "ServiceBusy",
            `DynamoDB left ${wanted.length} jobs unread after ${attempt} attempts; try again shortly.`,
          );
        }
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: wanted, ConsistentRead: true } },
          }),
        );
        for (const item of Responses?.[this.tableName] ?? []) items.set(String(item.pk), item);
        wanted = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return keys.flatMap((pk) => {
      const item = items.get(pk);
      return item ? [toJob(item)] : [];
    });
  }

  /**
   * Lists the account for the sweeper: a plain put of the same small item, so repeating it (from
   * any process, at the same time) is harmless. Not part of the job's own write: in a transaction
   * two jobs of one account created at once would conflict on it.
   */
  private async listForSweep(accountId: string): Promise<void> {
    if (this.sweepListed.has(accountId)) return;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...sweepAccountKey(accountId),
          sweeppk: SWEEP_ACCOUNTS_PARTITION,
          // The index's sort key: the accounts come back in id order, the same at every sweep.
          sweepAt: accountId,
          accountId,
        },
      }),
    );
    if (this.sweepListed.size >= 10_000) this.sweepListed.clear();
    this.sweepListed.add(accountId);
  }

  async sweepAccounts(): Promise<string[]> {
    const listed = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: SWEEP_INDEX,
      KeyConditionExpression: "sweeppk = :accounts",
      ExpressionAttributeValues: { ":accounts": SWEEP_ACCOUNTS_PARTITION },
    });
    const { Items: legacy = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: SWEEP_INDEX,
        KeyConditionExpression: "sweeppk = :legacy",
        ExpressionAttributeValues: { ":legacy": LEGACY_SWEEP_PARTITION },
        Limit: 1,
      }),
    );
    return [
      ...listed.map((item) => String(item.sweepAt)),
      ...(legacy.length > 0 ? [LEGACY_SWEEP_QUEUE] : []),
    ];
  }

  async dueForSweep(accountId: string, dueBy: string, limit: number): Promise<ReplicationJob[]> {
    const partition =
      accountId === LEGACY_SWEEP_QUEUE ? LEGACY_SWEEP_PARTITION : sweepPartition(accountId);
    const expression = new ExpressionBuilder();
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: SWEEP_INDEX,
        KeyConditionExpression: `${expression.name("sweeppk")} = ${expression.value(partition)} AND ${expression.name("sweepAt")} <= ${expression.value(dueBy)}`,
        ...expression.attributes(),
        Limit: limit,
      }),
    );
    // A finished job is here only while the sweeper has work left with it (or for the moment the
    // index lags its leaving): the sweeper tells which.
    return this.getMany((Items ?? []).map((item) => String(item.pk)));
  }

  /**
   * One counter item and, to leave the asking job out if it is counted, that job's statuses: two
   * small strong reads, whatever the account's backlog. The two are read side by side, not in one
   * transaction (a read transaction would be refused whenever a job of the account moved the
   * counter at that moment); the asking job is Validate's, whose copies are not QUEUED yet, so
   * nothing moves it between the two.
   */
  async countQueuedCopies(accountId: string, destinationRegion: string, exceptJobId: string) {
    const projection = new ExpressionBuilder();
    const [counter, asking] = await Promise.all([
      readItem(this.client, this.tableName, queuedCopiesKey(accountId, destinationRegion)),
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: jobKey(exceptJobId),
          ConsistentRead: true,
          ProjectionExpression: [
            projection.name("accountId"),
            projection.name("status"),
            projection.path(["copies", destinationRegion, "status"]),
            projection.name(COUNTED_MARKER),
          ].join(", "),
          ...projection.attributes(),
        }),
      ),
    ]);
    const own = isCountedCopy(asking.Item, accountId, destinationRegion) ? 1 : 0;
    return Math.max(0, counterValue(counter) - own);
  }

  /** Reads the snapshot's own partition of a sparse index: unfinished jobs only, by key. */
  async activeJobsFor(accountId: string, sourceRegion: string, snapshotId: string) {
    const keys = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: ACTIVE_SNAPSHOT_INDEX,
      KeyConditionExpression: "gsi4pk = :snapshot AND gsi2pk = :active",
      ExpressionAttributeValues: {
        ":snapshot": snapshotPartition(accountId, snapshotId),
        ":active": activePartition(accountId),
      },
    });
    const jobs = await this.getMany(keys.map((key) => String(key.pk)));
    return (
      jobs
        // The index lags its table by a moment: a job that has just finished may still be listed.
        .filter((job) => job.sourceRegion === sourceRegion && !isFinishedJob(job.status))
        .sort((a, b) =>
          accountSortKey(a.createdAt, a.jobId).localeCompare(accountSortKey(b.createdAt, b.jobId)),
        )
    );
  }

  async apply(jobId: string, change: JobChange, now: string): Promise<ReplicationJob> {
    return this.retryingConflicts(jobId, async () =>
      // Only a change that may move a counter reads the job first: a progress report does not.
      mayMoveCounters(change)
        ? this.write(jobId, change, now, await this.readCounted(jobId))
        : this.write(jobId, change, now),
    );
  }

  /**
   * Runs a write to the job again while it meets another at the same moment: a transaction on the
   * job (or its counter) refuses any other write to the same item until it is done.
   */
  private async retryingConflicts<T>(jobId: string, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!(error instanceof JobMovedOn || isPassingConflict(error))) throw error;
        if (attempt >= WRITE_ATTEMPTS) throw writeBusy(jobId);
        await pause(attempt);
      }
    }
  }

  /**
   * The job as it stands and the counters it is on, when its writes move them (undefined for a
   * job of a build that kept none).
   */
  private async readCounted(jobId: string): Promise<Counted | undefined> {
    const Item = await readItem(this.client, this.tableName, jobKey(jobId));
    if (!Item) throw new DomainError("JobNotFound", `Job ${jobId} does not exist.`);
    const job = toJob(Item);
    this.remember(jobId, job.accountId);
    const on = {
      queuedCopies: Item[COUNTED_MARKER] === true,
      jobsInFlight: Item[IN_FLIGHT_MARKER] === true,
    };
    return on.queuedCopies || on.jobsInFlight ? { job, on } : undefined;
  }

  /**
   * Writes `change`. Given the job as it was read (`read`), the write is also conditional on the
   * fields the counters' moves were worked out from, and carries those moves in one transaction.
   */
  private async write(
    jobId: string,
    change: JobChange,
    now: string,
    counted?: Counted,
  ): Promise<ReplicationJob> {
    const read = counted?.job;
    const update = new ExpressionBuilder();
    update.condition("attribute_exists(pk)");
    update.set(["updatedAt"], now);
    if (change.status) {
      const accountId = await this.accountOf(jobId);
      update.set(["status"], change.status);
      update.set(["gsi3pk"], statusPartition(accountId, change.status));
      update.conditionIn(["status"], jobStatusesLeadingTo(change.status));
      // A finished job leaves the index of its snapshot's work in flight (keyed on gsi2pk) and
      // the sweeper's queue (unless the sweeper has work left with it: then it waits in its
      // account's queue, which a job of an older build, queued in the legacy partition, joins here).
      if (isFinishedJob(change.status)) {
        update.remove(["gsi2pk"]);
        if (change.nextSweepAt) {
          await this.listForSweep(accountId);
          update.set(["sweeppk"], sweepPartition(accountId));
        } else {
          update.remove(["sweeppk"]);
        }
      }
    }
    if (change.nextSweepAt) update.set(["sweepAt"], change.nextSweepAt);
    if (change.sweepDone) update.remove(["sweeppk"]);
    if (change.cancellation) update.set(["cancellation"], change.cancellation);
    if (change.error !== undefined) update.set(["error"], change.error);
    if (change.executionArn) {
      update.set(["executionArn"], change.executionArn);
      // One job, one execution at a time: a second, different ARN is refused, unless it takes
      // over from the execution the job still records (the sweeper's, after that one ended).
      const current = update.path(["executionArn"]);
      const takesOver = change.takesOver
        ? ` OR ${current} = ${update.value(change.takesOver)}`
        : "";
      update.condition(
        `(attribute_not_exists(executionArn) OR ${current} = ${update.value(change.executionArn)}${takesOver})`,
      );
    }
    for (const [region, copyChange] of Object.entries(change.copies ?? {})) {
      update.condition(`attribute_exists(${update.path(["copies", region])})`);
      if (copyChange.status) {
        update.conditionIn(["copies", region, "status"], copyStatusesLeadingTo(copyChange.status));
      } else if (copyChange.progress !== undefined) {
        // Progress only moves forward, and only while copying.
        update.condition(
          `${update.path(["copies", region, "status"])} = ${update.value("COPYING")}`,
        );
        update.condition(
          `${update.path(["copies", region, "progress"])} <= ${update.value(copyChange.progress)}`,
        );
      }
      for (const [field, value] of Object.entries(copyChange)) {
        if (value !== undefined) update.set(["copies", region, field], value);
      }
    }
    if (read) pinCountedFields(update, read, change);
    const moves = counted ? counterMoves(counted.job, change, counted.on) : [];
    try {
      if (read && moves.length > 0) return await this.writeCounted(jobId, read, moves, update);
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          ...update.build(),
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      if (!Attributes) throw new Error(`DynamoDB returned no item for job ${jobId}`);
      return toJob(Attributes);
    } catch (error) {
      const refused =
        error instanceof ConditionalCheckFailedException ||
        (error instanceof TransactionCanceledException && refusedAt(error, 0));
      if (!refused) throw error;
      if (error instanceof ConditionalCheckFailedException && !error.Item) {
        throw new DomainError("JobNotFound", `Job ${jobId} does not exist.`);
      }
      // The SDK hands back the raw attribute map; re-read through the document client.
      const current = await this.get(jobId);
      if (!current) throw new DomainError("JobNotFound", `Job ${jobId} does not exist.`);
      if (isAlreadyApplied(current, change)) return current;
      if (read && !countedFieldsHold(read, current, change)) throw new JobMovedOn();
      throw new DomainError("IllegalTransition", describeRefusal(current, change));
    }
  }

  /** The job's update and its counters' moves, in one transaction; then the job as it stands. */
  private async writeCounted(
    jobId: string,
    read: ReplicationJob,
    moves: CounterMove[],
    update: ExpressionBuilder,
  ): Promise<ReplicationJob> {
    const jobUpdate = { TableName: this.tableName, Key: jobKey(jobId), ...update.build() };
    const TransactItems: NonNullable<TransactWriteCommandInput["TransactItems"]> = [
      { Update: { ...jobUpdate, UpdateExpression: jobUpdate.UpdateExpression ?? "" } },
      ...moves.map((move) => counterUpdate(this.tableName, read.accountId, move)),
    ];
    await this.client.send(new TransactWriteCommand({ TransactItems }));
    // A transaction returns no item: the job is read back (a strong read).
    const written = await this.get(jobId);
    if (!written) throw new Error(`DynamoDB returned no item for job ${jobId}`);
    return written;
  }

  /** A job's account never changes, so it is read once and remembered. */
  private async accountOf(jobId: string): Promise<string> {
    const known = this.accounts.get(jobId);
    if (known) return known;
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: jobKey(jobId),
        ProjectionExpression: "accountId",
        // A job written a moment ago must be found.
        ConsistentRead: true,
      }),
    );
    if (typeof Item?.accountId !== "string") {
      throw new DomainError("JobNotFound", `Job ${jobId} does not exist.`);
    }
    this.remember(jobId, Item.accountId);
    return Item.accountId;
  }

  private remember(jobId: string, accountId: string): void {
    if (this.accounts.size >= 10_000) this.accounts.clear();
    this.accounts.set(jobId, accountId);
  }

  async claimCopyStart(
    jobId: string,
    destinationRegion: string,
    now: Date,
    leaseSeconds: number,
  ): Promise<CopyStartClaim | undefined> {
    const update = new ExpressionBuilder();
    const claimedAt = ["copies", destinationRegion, "claimedAt"];
    // Every claim is counted, and a released claim leaves its count: the old values tell whether
    // any attempt claimed before this one (items written before the count have only a claim).
    const attempts = ["copies", destinationRegion, "startAttempts"];
    update.set(claimedAt, now.toISOString());
    update.increment(attempts);
    update.condition(
      `${update.path(["copies", destinationRegion, "status"])} = ${update.value("QUEUED")}`,
    );
    // Free, or held by an attempt that has had its lease and must have died.
    const staleBefore = new Date(now.getTime() - leaseSeconds * 1000).toISOString();
    update.condition(
      `(attribute_not_exists(${update.path(claimedAt)}) OR ${update.path(claimedAt)} < ${update.value(staleBefore)})`,
    );
    return this.retryingConflicts(jobId, async () => {
      try {
        const { Attributes } = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: jobKey(jobId),
            ...update.build(),
            ReturnValues: "UPDATED_OLD",
          }),
        );
        const before = (
          Attributes?.copies as Record<string, Record<string, unknown>> | undefined
        )?.[destinationRegion];
        return before?.startAttempts === undefined && before?.claimedAt === undefined
          ? "first"
          : "again";
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    });
  }

  async releaseCopyStart(jobId: string, destinationRegion: string, claimedAt: Date): Promise<void> {
    const update = new ExpressionBuilder();
    const claim = update.path(["copies", destinationRegion, "claimedAt"]);
    // Only our own claim: a later attempt's claim is not ours to give back.
    update.condition(`${claim} = ${update.value(claimedAt.toISOString())}`);
    await this.retryingConflicts(jobId, async () => {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: jobKey(jobId),
            UpdateExpression: `REMOVE ${claim}`,
            ...update.build(),
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });
  }

  async isReachable(): Promise<boolean> {
    try {
      await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: "HEALTH#probe" } }),
      );
      return true;
    } catch {
      return false;
    }
  }
}
