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
    // Prepare: three copies wait in a pool whose item holds no count (as an older build left it),
    // read by this build afresh
    const older = new DynamoCopySlots(documentClient(), table.tableName);
    const pool = { accountId: "777700001111", region: "ap-chengdu" };
    const at = new Date(Date.UTC(2026, 11, 7)).toISOString();
    await older.take(pool, "job-holder", 1, at);
    for (const jobId of ["job-a", "job-b", "job-c"]) await older.enqueue(pool, jobId, at);
    const slots = new DynamoCopySlots(documentClient(), table.tableName);
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

describe("a pool whose own limit is lowered", () => {
  it("gives no more than its places, even to many copies asking at once", async () => {
    // Prepare: 5 of the cloud's 20 places taken by copies that are not snaprelay's
    const slots = new DynamoCopySlots(documentClient(), table.tableName);
    const pool = { accountId: "777700002222", region: "ap-chengdu" };
    const at = new Date(Date.UTC(2026, 11, 7)).toISOString();
    await slots.setLimit(
      pool,
      { places: 15, reason: "foreign", foreignPending: 5, changedAt: at, checkedAt: at },
      undefined,
    );

    // Act
    const taken = await Promise.all(
      Array.from({ length: 30 }, (_, index) => slots.take(pool, `job-${index}`, 20, at)),
    );

    // Assess
    expect(taken.filter(Boolean)).toHaveLength(15);
    expect(await slots.inUse(pool)).toBe(15);
  });

  it("puts a copy granted from a queue kept by an older build back at the time of its grant", async () => {
    // Prepare: a holder whose arrival was never recorded (granted before it was)
    const slots = new DynamoCopySlots(documentClient(), table.tableName);
    const pool = { accountId: "777700003333", region: "ap-chengdu" };
    const at = (second: number) => new Date(Date.UTC(2026, 11, 7, 0, 0, second)).toISOString();
    await slots.take(pool, "job-a", 2, at(1));
    await documentClient().send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: poolKey(pool),
        UpdateExpression: "REMOVE #arrived",
        ExpressionAttributeNames: { "#arrived": "arrived:job-a" },
      }),
    );
    await slots.enqueue(pool, "job-b", at(2));

    // Act
    const back = await slots.requeue(pool, "job-a");

    // Assess
    expect(back?.queuedAt).toBe(at(1));
    expect((await slots.head(pool, 5)).map((waiting) => waiting.jobId)).toEqual(["job-a", "job-b"]);
  });
});
