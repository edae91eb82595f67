// The DynamoDB access store against the real DynamoDB Local, through the port's contract suite.
import { afterAll, beforeAll } from "vitest";
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
