// The DynamoDB account limits against the real DynamoDB Local, through the port's contract suite;
// and the count of jobs in flight across an upgrade, from jobs written before it was kept.
import { randomUUID } from "node:crypto";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoAccountLimits } from "../../functions/adapters/dynamodb/account-limits.js";
import { DynamoJobStore } from "../../functions/adapters/dynamodb/job-store.js";
import { jobKey } from "../../functions/adapters/dynamodb/jobs-table.js";
import { DynamoPolicyStore } from "../../functions/adapters/dynamodb/policy-store.js";
import type { ReplicationJob } from "../../functions/core/job.js";
import { accountLimitsContract } from "../support/account-limits-contract.js";
import { documentClient, newTable } from "../support/services.js";

let table: Awaited<ReturnType<typeof newTable>>;

beforeAll(async () => {
  table = await newTable();
});
afterAll(async () => {
  await table.drop();
});

accountLimitsContract("the DynamoDB account limits", async () => {
  const client = documentClient();
  return {
    limits: new DynamoAccountLimits(client, table.tableName),
    jobs: new DynamoJobStore(client, table.tableName),
    policies: new DynamoPolicyStore(client, table.tableName),
  };
});

describe("jobs written before jobs in flight were counted", () => {
  it("are not on the count, and finishing one takes nothing off it", async () => {
    // Prepare: one job of the account is counted; another is as an older build left it
    const client = documentClient();
    const jobs = new DynamoJobStore(client, table.tableName);
    const limits = new DynamoAccountLimits(client, table.tableName);
    const accountId = "777700003333";
    const job = (): ReplicationJob => ({
      jobId: `job-${randomUUID()}`,
      accountId,
      status: "RUNNING",
      snapshotId: "snap-0abc1234",
      sourceRegion: "ap-shanghai",
      name: "older",
      tags: {},
      trigger: { type: "api" },
      createdAt: "2026-12-07T10:00:00.000Z",
      updatedAt: "2026-12-07T10:00:00.000Z",
      executionArn: null,
      copies: [],
      error: null,
    });
    const counted = job();
    const older = job();
    await jobs.create(counted);
    await jobs.create(older);
    await client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: jobKey(older.jobId),
        UpdateExpression: "REMOVE jobsInFlightCounted",
      }),
    );
    await client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: `COUNT#INFLIGHT#${accountId}` },
        UpdateExpression: "ADD jobsInFlight :less",
        ExpressionAttributeValues: { ":less": -1 },
      }),
    );

    // Act
    const before = await limits.jobsInFlight(accountId, 100);
    await jobs.apply(older.jobId, { status: "FAILED" }, "2026-12-07T10:01:00.000Z");
    const afterOlder = await limits.jobsInFlight(accountId, 100);
    await jobs.apply(counted.jobId, { status: "FAILED" }, "2026-12-07T10:01:00.000Z");

    // Assess
    expect([before, afterOlder, await limits.jobsInFlight(accountId, 100)]).toEqual([1, 1, 0]);
  });
});
