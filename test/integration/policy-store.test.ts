// The DynamoDB policy store against the real DynamoDB Local, through the port's contract suite.
import { afterAll, beforeAll } from "vitest";
import { DynamoPolicyStore } from "../../functions/adapters/dynamodb/policy-store.js";
import { policyStoreContract } from "../support/policy-store-contract.js";
import { documentClient, newTable } from "../support/services.js";

let table: Awaited<ReturnType<typeof newTable>>;

beforeAll(async () => {
  table = await newTable();
});
afterAll(async () => {
  await table.drop();
});

policyStoreContract(
  "the DynamoDB policy store",
  async () => new DynamoPolicyStore(documentClient(), table.tableName),
);
