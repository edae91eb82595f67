// The DynamoDB leases against the real DynamoDB Local, through the port's contract suite.
import { afterAll, beforeAll } from "vitest";
import { DynamoLeases } from "../../functions/adapters/dynamodb/leases.js";
import { leasesContract } from "../support/leases-contract.js";
import { documentClient, newTable } from "../support/services.js";

let table: Awaited<ReturnType<typeof newTable>>;

beforeAll(async () => {
  table = await newTable();
});
afterAll(async () => {
  await table.drop();
});

leasesContract(
  "the DynamoDB leases",
  async () => new DynamoLeases(documentClient(), table.tableName),
);
