// The DynamoDB copy waits against the real DynamoDB Local, through the port's contract suite.
import { afterAll, beforeAll } from "vitest";
import { DynamoCopyWaits } from "../../functions/adapters/dynamodb/copy-waits.js";
import { copyWaitsContract } from "../support/copy-waits-contract.js";
import { documentClient, newTable } from "../support/services.js";

let table: Awaited<ReturnType<typeof newTable>>;

beforeAll(async () => {
  table = await newTable();
});
afterAll(async () => {
  await table.drop();
});

copyWaitsContract(
  "the DynamoDB copy waits",
  async () => new DynamoCopyWaits(documentClient(), table.tableName),
);
