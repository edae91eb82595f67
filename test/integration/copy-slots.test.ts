// The DynamoDB copy slots against the real DynamoDB Local, through the port's contract suite; and
// the count of waiting copies kept on the pool's item, which a queue kept before it was counted
// (an older build's) starts from.
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoCopySlots } from "../../functions/adapters/dynamodb/copy-slots.js";
import { poolKey } from "../../functions/adapters/dynamodb/jobs-table.js";
import { copySlotsContract } from "../support/copy-slots-contract.js";
import { documentClient, newTable } from "../support/services.js";

let table: Awaited<ReturnType<typeof newTable>>;

beforeAll(async () => {
  table = await newTable();
});
afterAll(async () => {
  await table.drop();
});

copySlotsContract(
  "the DynamoDB copy slots",
  async () => new DynamoCopySlots(documentClient(), table.tableName),
);

describe("a queue kept before its copies were counted", () => {
  it("is counted once, and followed from there as copies join, are granted and leave", async () => {
    // Prepare: three copies wait in a pool whose item holds no count (as an older build left it)
    const slots = new DynamoCopySlots(documentClient(), table.tableName);
    const pool = { accountId: "777700001111", region: "ap-chengdu" };
    const at = new Date(Date.UTC(2026, 11, 7)).toISOString();
    await slots.take(pool, "job-holder", 1, at);
    for (const jobId of ["job-a", "job-b", "job-c"]) await slots.enqueue(pool, jobId, at);
    await documentClient().send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: poolKey(pool),
        UpdateExpression: "REMOVE queued",
      }),
    );
    const before = (await slots.view(pool)).queueLength;

    // Act
    await slots.enqueue(pool, "job-d", at);
    const afterJoin = (await slots.view(pool)).queueLength;
    await slots.release(pool, "job-holder");
    await slots.grant(pool, "job-a", 1, at);
    await slots.leave(pool, "job-b");

    // Assess
    expect([before, afterJoin]).toEqual([3, 4]);
    expect((await slots.view(pool)).queueLength).toBe(2);
  });
});
