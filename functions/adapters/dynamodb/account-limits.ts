// The AccountLimitsStore on DynamoDB, in the jobs table: an item per account an admin set limits
// for, a counter per account and second of requests (an atomic ADD; it expires two minutes on),
// the account's count of jobs in flight (kept by the job store with each job's writes), and its
// policies counted from the index that lists them.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { LimitOverrides } from "../../core/limits.js";
import type { AccountLimitsStore } from "../../core/ports.js";
import {
  ACCOUNT_INDEX,
  jobsInFlightKey,
  limitsKey,
  policiesPartition,
  requestRateKey,
  TTL_ATTRIBUTE,
} from "./jobs-table.js";
import { jobsInFlightValue } from "./queued-copies.js";
import { readItem } from "./reads.js";

/** How long a second's request counter is kept after its second. */
const KEEP_RATE_COUNTER_SECONDS = 120;

export class DynamoAccountLimits implements AccountLimitsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async overrides(accountId: string): Promise<LimitOverrides | undefined> {
    const item = await readItem(this.client, this.tableName, limitsKey(accountId));
    if (!item) return undefined;
    const { pk: _pk, ...overrides } = item;
    return overrides as unknown as LimitOverrides;
  }

  async setOverrides(overrides: LimitOverrides): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...limitsKey(overrides.accountId), ...overrides },
      }),
    );
  }

  async jobsInFlight(accountId: string, upTo: number): Promise<number> {
    // One small strong read of the account's counter, whatever its backlog (counting the index of
    // unfinished jobs read every one of them: hundreds of read units a request at 2,000).
    const counter = await readItem(this.client, this.tableName, jobsInFlightKey(accountId));
    return Math.min(upTo, jobsInFlightValue(counter));
  }

  async policyCount(accountId: string, upTo: number): Promise<number> {
    return this.count(ACCOUNT_INDEX, "gsi1pk", policiesPartition(accountId), upTo);
  }

  async countRequest(accountId: string, second: number): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: requestRateKey(accountId, second),
        UpdateExpression: "ADD requests :one SET #expires = if_not_exists(#expires, :expires)",
        ExpressionAttributeNames: { "#expires": TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ":one": 1,
          ":expires": second + KEEP_RATE_COUNTER_SECONDS,
        },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(Attributes?.requests ?? 1);
  }

  /** Items of one index partition, counted page by page until `upTo` is reached. */
  private async count(
    indexName: string,
    keyName: string,
    partition: string,
    upTo: number,
  ): Promise<number> {
    let counted = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexName,
          KeyConditionExpression: "#key = :partition",
          ExpressionAttributeNames: { "#key": keyName },
          ExpressionAttributeValues: { ":partition": partition },
          Select: "COUNT",
          Limit: upTo - counted,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      counted += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && counted < upTo);
    return counted;
  }
}
