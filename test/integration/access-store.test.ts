// The DynamoDB access store against the real DynamoDB Local, through the port's contract suite,
// and a grant an older build wrote (no status, no external id of its own).
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoAccessStore } from "../../functions/adapters/dynamodb/access-store.js";
import { accessStoreContract } from "../support/access-store-contract.js";
import { documentClient, newTable } from "../support/services.js";

let table: Awaited<ReturnType<typeof newTable>>;

beforeAll(async () => {
  table = await newTable();
});
afterAll(async () => {
  await table.drop();
});

accessStoreContract(
  "the DynamoDB access store",
  async () => new DynamoAccessStore(documentClient(), table.tableName),
);

describe("a grant an older build wrote", () => {
  it("reads as CONNECTED with the deployment's external id, is revoked as any other, and is never approved over", async () => {
    // Prepare
    const store = new DynamoAccessStore(documentClient(), table.tableName);
    const account = "123412341234";
    await documentClient().send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          pk: `ALLOW#${account}`,
          accountId: account,
          requestId: "acc-old",
          grantedBy: "000011112222",
          grantedAt: "2026-01-01T00:00:00.000Z",
        },
      }),
    );
    await documentClient().send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: "ACCESSREQ#acc-old", requestId: "acc-old", accountId: account },
      }),
    );
    const request = {
      requestId: "acc-new",
      accountId: account,
      reason: "a second application",
      contact: "ops@example.com",
      status: "OPEN" as const,
      createdAt: "2026-02-01T00:00:00.000Z",
      decision: null,
    };
    await store.submit(request);

    // Act
    const read = await store.grant(account);
    const approval = store.decide(
      "acc-new",
      { status: "APPROVED", externalId: "snaprelay-new" },
      { by: "admin", at: "2026-02-01T00:00:01.000Z", note: null },
    );
    await expect(approval).rejects.toMatchObject({ code: "AlreadyAllowlisted" });
    const revoked = await store.revoke(account, { by: "admin", at: "t", note: null });

    // Assess
    expect(read).toMatchObject({
      status: "CONNECTED",
      externalId: undefined,
      connectedAt: "2026-01-01T00:00:00.000Z",
    });
    expect((await store.get("acc-new"))?.status).toBe("OPEN");
    expect(revoked.status).toBe("REVOKED");
    expect(await store.claimConnectAttempt(account, "t2", "t1")).toBe(false);
  });
});
