// The DynamoDB sessions against the real DynamoDB Local, through the port's contract suite; and
// the item a session is kept in: no token, and a time-to-live a day past the session's end.
import { createHash } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionKey, TTL_ATTRIBUTE } from "../../functions/adapters/dynamodb/jobs-table.js";
import { DynamoSessionStore } from "../../functions/adapters/dynamodb/session-store.js";
import { documentClient, newTable } from "../support/services.js";
import { sessionStoreContract } from "../support/session-store-contract.js";

let table: Awaited<ReturnType<typeof newTable>>;

beforeAll(async () => {
  table = await newTable();
});
afterAll(async () => {
  await table.drop();
});

sessionStoreContract(
  "the DynamoDB session store",
  async () => new DynamoSessionStore(documentClient(), table.tableName),
);

describe("a session's item in the jobs table", () => {
  it("is keyed by the token's hash, and removed by the table a day after the session ends", async () => {
    // Prepare
    const client = documentClient();
    const sessions = new DynamoSessionStore(client, table.tableName);
    const token = "srs_the-token-itself";
    const hash = createHash("sha256").update(token).digest("hex");

    // Act
    await sessions.create(hash, {
      accountId: "111122223333",
      principalArn: "arn:aws:iam::111122223333:user/alice",
      createdAt: "2026-12-07T12:00:00.000Z",
      expiresAt: "2026-12-07T13:00:00.000Z",
    });

    // Assess
    const { Item: item } = await client.send(
      new GetCommand({ TableName: table.tableName, Key: sessionKey(hash) }),
    );
    expect(item?.pk).toBe(`SESSION#${hash}`);
    expect(item?.endsAt).toBe("2026-12-07T13:00:00.000Z");
    expect(item?.[TTL_ATTRIBUTE]).toBe(Date.parse("2026-12-08T13:00:00.000Z") / 1000);
    expect(JSON.stringify(item)).not.toContain(token);
  });
});
