// One DynamoDB Local for the whole test run (it takes seconds to start); each test file makes
// its own table in it. Stopped, java and all, when the run ends.
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "../../local/dynamodb.js";
import { freePort } from "./free-port.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal(await freePort());
  project.provide("dynamoEndpoint", dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}
