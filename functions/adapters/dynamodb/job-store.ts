// The JobStore port on DynamoDB. Every status change is a conditional write whose guard comes
// from the domain's transition table; a refused write that the item already reflects is a
// retried step and passes, anything else is an IllegalTransition.
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
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
  IdempotencyClaim,
  JobChange,
  JobListQuery,
  JobPage,
  JobStore,
} from "../../core/ports.js";
import {
  ACCOUNT_INDEX,
  ACTIVE_INDEX,
  accountPartition,
  accountSortKey,
  activePartition,
  IDEMPOTENCY_TTL_SECONDS,
  idempotencyKey,
  jobKey,
} from "./jobs-table.js";
import { UpdateBuilder } from "./update-builder.js";

/** How a job is stored: copies keyed by region so one copy changes without touching the rest. */
interface JobItem extends Omit<ReplicationJob, "copies" | "executionArn"> {
  pk: string;
  gsi1pk: string;
  gsi1sk: string;
  gsi2pk?: string;
  destinationRegions: string[];
  copies: Record<string, CopyRecord & { claimedAt?: string }>;
  executionArn?: string;
}

const toItem = (job: ReplicationJob): JobItem => {
  const { copies, executionArn, ...rest } = job;
  return {
    ...rest,
    ...jobKey(job.jobId),
    gsi1pk: accountPartition(job.accountId),
    gsi1sk: accountSortKey(job.createdAt, job.jobId),
    ...(isFinishedJob(job.status) ? {} : { gsi2pk: activePartition(job.accountId) }),
    destinationRegions: copies.map((copy) => copy.destinationRegion),
    copies: Object.fromEntries(copies.map((copy) => [copy.destinationRegion, copy])),
    ...(executionArn ? { executionArn } : {}),
  };
};

const toJob = (item: Record<string, unknown>): ReplicationJob => {
  const { pk, gsi1pk, gsi1sk, gsi2pk, destinationRegions, copies, executionArn, ...rest } =
    item as unknown as JobItem;
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

const encodeToken = (key: Record<string, unknown> | undefined): string | undefined =>
  key ? Buffer.from(JSON.stringify(key)).toString("base64url") : undefined;

const decodeToken = (token: string | undefined): Record<string, unknown> | undefined => {
  if (token === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (key && typeof key === "object" && !Array.isArray(key))
      return key as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new DomainError(
    "InvalidRequest",
    "nextToken: not a token this API returned; omit it to start from the newest job.",
  );
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
  if (change.executionArn && job.executionArn !== change.executionArn) {
    parts.push(`job ${job.jobId} already runs as ${job.executionArn}`);
  }
  return parts.length > 0 ? `${parts.join("; ")}.` : `job ${job.jobId} refused the change.`;
};

export class DynamoJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: ReplicationJob, idempotency?: IdempotencyClaim) {
    const jobPut = {
      TableName: this.tableName,
      Item: toItem(job),
      ConditionExpression: "attribute_not_exists(pk)",
    };
    if (!idempotency) {
      await this.client.send(new PutCommand(jobPut));
      return { job, created: true };
    }
    const expiresAt = Math.floor(Date.parse(job.createdAt) / 1000) + IDEMPOTENCY_TTL_SECONDS;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
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
            { Put: jobPut },
          ],
        }),
      );
      return { job, created: true };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      return { job: await this.replay(job.accountId, idempotency), created: false };
    }
  }

  private async replay(accountId: string, idempotency: IdempotencyClaim): Promise<ReplicationJob> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: idempotencyKey(accountId, idempotency.key),
        ConsistentRead: true,
      }),
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

  async discardUnstarted(jobId: string, accountId: string, key?: string): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: this.tableName,
              Key: jobKey(jobId),
              // Only a job whose execution never started may vanish.
              ConditionExpression: "attribute_not_exists(executionArn) AND #status = :pending",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: { ":pending": "PENDING" },
            },
          },
          ...(key
            ? [{ Delete: { TableName: this.tableName, Key: idempotencyKey(accountId, key) } }]
            : []),
        ],
      }),
    );
  }

  async get(jobId: string): Promise<ReplicationJob | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: jobKey(jobId), ConsistentRead: true }),
    );
    return Item ? toJob(Item) : undefined;
  }

  async listByAccount(accountId: string, query: JobListQuery): Promise<JobPage> {
    const filters = new UpdateBuilder();
    const conditions: string[] = [];
    if (query.status) conditions.push(`${filters.name("status")} = ${filters.value(query.status)}`);
    if (query.snapshotId) {
      conditions.push(`${filters.name("snapshotId")} = ${filters.value(query.snapshotId)}`);
    }
    const jobs: ReplicationJob[] = [];
    let startKey = decodeToken(query.nextToken);
    // Filters apply after the read, so a page may come back short: read on until it is full.
    for (let page = 0; page < 20 && jobs.length < query.limit; page++) {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: ACCOUNT_INDEX,
          KeyConditionExpression: `gsi1pk = ${filters.value(accountPartition(accountId))}`,
          ...(conditions.length > 0 ? { FilterExpression: conditions.join(" AND ") } : {}),
          ...filters.attributes(),
          ScanIndexForward: false,
          Limit: query.limit - jobs.length,
          ExclusiveStartKey: startKey,
        }),
      );
      jobs.push(...(result.Items ?? []).map(toJob));
      startKey = result.LastEvaluatedKey;
      if (!startKey) break;
    }
    return { jobs, nextToken: encodeToken(startKey) };
  }

  /** Every item of one account's unfinished jobs that matches `filter` (built on `names`). */
  private async activeJobs(
    accountId: string,
    filter: (names: UpdateBuilder) => string | undefined,
  ): Promise<ReplicationJob[]> {
    const names = new UpdateBuilder();
    const key = `gsi2pk = ${names.value(activePartition(accountId))}`;
    const filterExpression = filter(names);
    const jobs: ReplicationJob[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: ACTIVE_INDEX,
          KeyConditionExpression: key,
          ...(filterExpression ? { FilterExpression: filterExpression } : {}),
          ...names.attributes(),
          ExclusiveStartKey: startKey,
        }),
      );
      jobs.push(...(result.Items ?? []).map(toJob));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return jobs;
  }

  async countQueuedCopies(accountId: string, destinationRegion: string, exceptJobId: string) {
    const jobs = await this.activeJobs(
      accountId,
      (names) =>
        `${names.path(["copies", destinationRegion, "status"])} = ${names.value("QUEUED")} AND ${names.name("jobId")} <> ${names.value(exceptJobId)}`,
    );
    return jobs.length;
  }

  async activeJobsFor(accountId: string, sourceRegion: string, snapshotId: string) {
    return this.activeJobs(
      accountId,
      (names) =>
        `${names.name("snapshotId")} = ${names.value(snapshotId)} AND ${names.name("sourceRegion")} = ${names.value(sourceRegion)}`,
    );
  }

  async apply(jobId: string, change: JobChange, now: string): Promise<ReplicationJob> {
    const update = new UpdateBuilder();
    update.condition("attribute_exists(pk)");
    update.set(["updatedAt"], now);
    if (change.status) {
      update.set(["status"], change.status);
      update.conditionIn(["status"], jobStatusesLeadingTo(change.status));
      // A finished job leaves the index of work in flight.
      if (isFinishedJob(change.status)) update.remove(["gsi2pk"]);
    }
    if (change.error !== undefined) update.set(["error"], change.error);
    if (change.executionArn) {
      update.set(["executionArn"], change.executionArn);
      // One job, one execution: a second, different ARN is refused.
      update.condition(
        `(attribute_not_exists(executionArn) OR ${update.path(["executionArn"])} = ${update.value(change.executionArn)})`,
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
    try {
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
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!error.Item) throw new DomainError("JobNotFound", `Job ${jobId} does not exist.`);
      // The SDK hands back the raw attribute map; re-read through the document client.
      const current = await this.get(jobId);
      if (!current) throw new DomainError("JobNotFound", `Job ${jobId} does not exist.`);
      if (isAlreadyApplied(current, change)) return current;
      throw new DomainError("IllegalTransition", describeRefusal(current, change));
    }
  }

  async claimCopyStart(jobId: string, destinationRegion: string, now: Date, leaseSeconds: number) {
    const update = new UpdateBuilder();
    const claimedAt = ["copies", destinationRegion, "claimedAt"];
    update.set(claimedAt, now.toISOString());
    update.condition(
      `${update.path(["copies", destinationRegion, "status"])} = ${update.value("QUEUED")}`,
    );
    // Free, or held by an attempt that has had its lease and must have died.
    const staleBefore = new Date(now.getTime() - leaseSeconds * 1000).toISOString();
    update.condition(
      `(attribute_not_exists(${update.path(claimedAt)}) OR ${update.path(claimedAt)} < ${update.value(staleBefore)})`,
    );
    try {
      await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: jobKey(jobId), ...update.build() }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseCopyStart(jobId: string, destinationRegion: string, claimedAt: Date): Promise<void> {
    const update = new UpdateBuilder();
    const claim = update.path(["copies", destinationRegion, "claimedAt"]);
    // Only our own claim: a later attempt's claim is not ours to give back.
    update.condition(`${claim} = ${update.value(claimedAt.toISOString())}`);
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
