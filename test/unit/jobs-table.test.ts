// The jobs table the local stack creates and the one serverless.yml deploys must be the same
// table; the key helpers must sort an account's jobs newest first.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import {
  ACCOUNT_INDEX,
  ACTIVE_SNAPSHOT_INDEX,
  accountPartition,
  accountSortKey,
  DUE_INDEX,
  idempotencyKey,
  jobKey,
  jobsTableDefinition,
  POOL_INDEX,
  QUEUE_INDEX,
  SNAPSHOT_INDEX,
  STATUS_INDEX,
  SWEEP_INDEX,
  TTL_ATTRIBUTE,
} from "../../functions/adapters/dynamodb/jobs-table.js";

const KeyElement = z.object({ AttributeName: z.string(), KeyType: z.enum(["HASH", "RANGE"]) });
const DeployedTable = z.object({
  Type: z.literal("AWS::DynamoDB::Table"),
  Properties: z.looseObject({
    BillingMode: z.string(),
    AttributeDefinitions: z.array(
      z.object({ AttributeName: z.string(), AttributeType: z.string() }),
    ),
    KeySchema: z.array(KeyElement),
    GlobalSecondaryIndexes: z.array(
      z.looseObject({
        IndexName: z.string(),
        KeySchema: z.array(KeyElement),
        Projection: z.looseObject({ ProjectionType: z.string() }),
      }),
    ),
    TimeToLiveSpecification: z.object({ AttributeName: z.string(), Enabled: z.boolean() }),
  }),
});

const deployed = DeployedTable.parse(
  z
    .object({ resources: z.object({ Resources: z.object({ JobsTable: z.unknown() }) }) })
    .parse(parse(readFileSync(new URL("../../serverless.yml", import.meta.url), "utf8"))).resources
    .Resources.JobsTable,
).Properties;
const local = jobsTableDefinition("snaprelay-test-jobs");

const byName = <T extends { AttributeName?: string }>(items: readonly T[] | undefined): T[] =>
  [...(items ?? [])].sort((a, b) => (a.AttributeName ?? "").localeCompare(b.AttributeName ?? ""));

describe("the jobs table", () => {
  it("is named as the local stack asks", () => {
    // Act
    const name = local.TableName;

    // Assess
    expect(name).toBe("snaprelay-test-jobs");
  });

  it("bills the same way locally and in AWS", () => {
    // Assess
    expect(local.BillingMode).toBe(deployed.BillingMode);
  });

  it("has the same key schema locally and in AWS", () => {
    // Assess
    expect(local.KeySchema).toEqual(deployed.KeySchema);
  });

  it("defines the same attributes locally and in AWS", () => {
    // Assess
    expect(byName(local.AttributeDefinitions)).toEqual(byName(deployed.AttributeDefinitions));
  });

  it("has the same indexes locally and in AWS", () => {
    // Act
    const localIndexes = (local.GlobalSecondaryIndexes ?? []).map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection,
    }));
    const deployedIndexes = deployed.GlobalSecondaryIndexes.map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection,
    }));

    // Assess
    expect(localIndexes).toEqual(deployedIndexes);
    expect(localIndexes.map((index) => index.IndexName)).toEqual([
      ACCOUNT_INDEX,
      STATUS_INDEX,
      SNAPSHOT_INDEX,
      ACTIVE_SNAPSHOT_INDEX,
      SWEEP_INDEX,
      QUEUE_INDEX,
      POOL_INDEX,
      DUE_INDEX,
    ]);
  });

  it("defines only attributes a key uses, as DynamoDB requires", () => {
    // Prepare
    const keyAttributes = new Set(
      [
        ...(local.KeySchema ?? []),
        ...(local.GlobalSecondaryIndexes ?? []).flatMap((index) => index.KeySchema ?? []),
      ].map((key) => key.AttributeName),
    );

    // Act
    const unused = (local.AttributeDefinitions ?? []).filter(
      (attribute) => !keyAttributes.has(attribute.AttributeName),
    );

    // Assess
    expect(unused).toEqual([]);
  });

  it("lets AWS expire idempotency records by the attribute the store writes", () => {
    // Assess
    expect(deployed.TimeToLiveSpecification).toEqual({
      AttributeName: TTL_ATTRIBUTE,
      Enabled: true,
    });
  });
});

describe("the table's keys", () => {
  it("keep jobs and idempotency records apart, and one account's keys from another's", () => {
    // Act
    const keys = [
      jobKey("job-1").pk,
      idempotencyKey("111122223333", "k-1").pk,
      idempotencyKey("444455556666", "k-1").pk,
    ];

    // Assess
    expect(keys).toEqual([
      "JOB#job-1",
      "IDEMPOTENCY#111122223333#k-1",
      "IDEMPOTENCY#444455556666#k-1",
    ]);
  });

  it("list an account's jobs in the order they were made, ties broken by job id", () => {
    // Prepare
    const keys = [
      accountSortKey("2026-11-25T02:00:00.000Z", "job-b"),
      accountSortKey("2026-11-25T10:00:00.000Z", "job-a"),
      accountSortKey("2026-11-25T02:00:00.000Z", "job-a"),
      accountSortKey("2026-11-24T23:59:59.999Z", "job-z"),
    ];

    // Act
    const sorted = [...keys].sort();

    // Assess
    expect(sorted).toEqual([
      "2026-11-24T23:59:59.999Z#job-z",
      "2026-11-25T02:00:00.000Z#job-a",
      "2026-11-25T02:00:00.000Z#job-b",
      "2026-11-25T10:00:00.000Z#job-a",
    ]);
    expect(accountPartition("111122223333")).toBe("ACCOUNT#111122223333");
  });
});
