// The jobs table's layout: one table for jobs and idempotency records, and an index that
// lists an account's jobs newest first. serverless.yml declares the same table for AWS
// (a test keeps the two in step); the local stack creates it from this definition.
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

export const ACCOUNT_INDEX = "byAccount";
/** Sparse: only unfinished jobs carry its key, so the work in flight is read without the history. */
export const ACTIVE_INDEX = "activeByAccount";

export const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}` });
export const idempotencyKey = (accountId: string, key: string) => ({
  pk: `IDEMPOTENCY#${accountId}#${key}`,
});
export const accountPartition = (accountId: string) => `ACCOUNT#${accountId}`;
export const activePartition = (accountId: string) => `ACTIVE#${accountId}`;
/** ISO timestamps sort as strings; the job id breaks ties between jobs made in the same ms. */
export const accountSortKey = (createdAt: string, jobId: string) => `${createdAt}#${jobId}`;

export const jobsTableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: "PAY_PER_REQUEST",
  AttributeDefinitions: [
    { AttributeName: "pk", AttributeType: "S" },
    { AttributeName: "gsi1pk", AttributeType: "S" },
    { AttributeName: "gsi1sk", AttributeType: "S" },
    { AttributeName: "gsi2pk", AttributeType: "S" },
  ],
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  GlobalSecondaryIndexes: [
    {
      IndexName: ACCOUNT_INDEX,
      KeySchema: [
        { AttributeName: "gsi1pk", KeyType: "HASH" },
        { AttributeName: "gsi1sk", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    },
    {
      IndexName: ACTIVE_INDEX,
      KeySchema: [
        { AttributeName: "gsi2pk", KeyType: "HASH" },
        { AttributeName: "gsi1sk", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    },
  ],
});

/** Idempotency records expire after a day, as the time-to-live attribute says. */
export const TTL_ATTRIBUTE = "expiresAt";
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
