// The DynamoDB copy slots against the real DynamoDB Local, through the port's contract suite.
import { afterAll, beforeAll } from "vitest";
import { DynamoCopySlots } from "../../functions/adapters/dynamodb/copy-slots.js";
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
