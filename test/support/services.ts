// Real services for a test file: a fresh jobs table in the shared DynamoDB Local, a local cloud
// on its own port and folder, and the clients and ports the domain uses, all pointed at them.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { inject } from "vitest";
import type { Clock } from "../../functions/core/ports.js";
import { type LocalCloud, startLocalCloud } from "../../local/cloud/index.js";
import { LOCAL } from "../../local/defaults.js";
import { createJobsTable, dynamoClient } from "../../local/dynamodb.js";

/**
 * The dummy identity of the local services that check no signature (DynamoDB Local, the local Step
 * Functions endpoint, EventBridge); the local cloud takes only an account's own keys.
 */
export const credentials = {
  accessKeyId: LOCAL.accessKeyId,
  secretAccessKey: LOCAL.secretAccessKey,
};

export const newTable = async (): Promise<{ tableName: string; drop(): Promise<void> }> => {
  const endpoint = inject("dynamoEndpoint");
  const tableName = `test-jobs-${randomUUID()}`;
  await createJobsTable(endpoint, tableName);
  return {
    tableName,
    async drop() {
      const client = dynamoClient(endpoint);
      await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {});
      client.destroy();
    },
  };
};

export const documentClient = () =>
  DynamoDBDocumentClient.from(dynamoClient(inject("dynamoEndpoint")), {
    marshallOptions: { removeUndefinedValues: true },
  });

export interface CloudUnderTest {
  cloud: LocalCloud;
  /** A client acting in `accountId` (default: the demo account, which the tests' jobs belong to). */
  ec2(region: string, accountId?: string): EC2Client;
  close(): Promise<void>;
}

export const startCloud = async (
  knobs: { copyBytesPerSecond?: number; throttleRate?: number; copyFailureRate?: number } = {},
): Promise<CloudUnderTest> => {
  const dataDir = mkdtempSync(join(tmpdir(), "snaprelay-cloud-"));
  const cloud = await startLocalCloud({
    port: 0,
    dataDir,
    copyBytesPerSecond: 64 * 1024 ** 3,
    ...knobs,
  });
  const clients: EC2Client[] = [];
  return {
    cloud,
    ec2(region, accountId = LOCAL.demoAccountId) {
      const client = new EC2Client({
        region,
        endpoint: cloud.url,
        credentials: cloud.credentialsFor(accountId),
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await cloud.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

export const fixedClock = (iso: string): Clock & { advance(seconds: number): void } => {
  let now = new Date(iso);
  return {
    now: () => now,
    advance(seconds) {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
};
