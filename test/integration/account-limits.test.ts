// The DynamoDB account limits against the real DynamoDB Local, through the port's contract suite.
import { afterAll, beforeAll } from "vitest";
import { DynamoAccountLimits } from "../../functions/adapters/dynamodb/account-limits.js";
import { DynamoJobStore } from "../../functions/adapters/dynamodb/job-store.js";
import { DynamoPolicyStore } from "../../functions/adapters/dynamodb/policy-store.js";
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
