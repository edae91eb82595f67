// End to end: the local stack started exactly as `npm start` starts it (its own process, on
// ports of its own), driven over HTTP like a caller would, then stopped with Ctrl-C (SIGINT).
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../functions/api/openapi/document.js";
import { issueToken } from "../../functions/api/tokens.js";
import { isFinishedJob } from "../../functions/core/job.js";
import { localCredentialsFor } from "../../local/cloud/index.js";
import { LOCAL } from "../../local/defaults.js";
import { apiCall } from "../support/api-call.js";
import { commandOf, isLoopback, listenersOf, processTree } from "../support/listeners.js";
import { credentials } from "../support/services.js";
import { type StackPorts, type StackProcess, startStackProcess } from "../support/stack-process.js";

const OTHER_ACCOUNT = "444455556666";
const STRANGER_ACCOUNT = "777788889999";

let stack: StackProcess;
let output = "";
let dataDir: string;
let ports: StackPorts;
let api: string;
let demoSnapshotId: string;
let token: string;

const tokenFor = (account: string) =>
  issueToken(account, { secret: LOCAL.authTokenSecret, issuer: LOCAL.authTokenIssuer });

const call = (
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) => apiCall(api, method, path, options);

const replicationOf = (snapshotId: string, destinationRegions = ["ap-mumbai"]) => ({
  snapshotId,
  sourceRegion: "ap-shanghai",
  destinationRegions,
});

const listJobs = async (forToken = token) =>
  (await call("GET", "/replications?limit=100", { token: forToken })).body.jobs as Array<{
    jobId: string;
  }>;

const waitForJob = async (jobId: string, timeoutMs = 90_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call("GET", `/replications/${jobId}`, { token });
    if (isFinishedJob(String(body.status))) return body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is still ${String(body.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
};

/** The embedded-metric-format documents among the stack's output lines. */
const emfLines = (output: string): Record<string, unknown>[] =>
  output.split("\n").flatMap((line) => {
    const start = line.indexOf('{"_aws"');
    if (start < 0) return [];
    try {
      return [JSON.parse(line.slice(start)) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

const ec2 = (region: string) =>
  new EC2Client({
    region,
    endpoint: `http://127.0.0.1:${ports.cloud}`,
    credentials: localCredentialsFor(`http://127.0.0.1:${ports.cloud}`, LOCAL.demoAccountId),
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-e2e-"));
  stack = await startStackProcess({
    dataDir,
    // Verbose: the functions' own output (their log and metric lines) joins the stack's.
    env: {
      ALLOWLISTED_ACCOUNTS: `${LOCAL.demoAccountId},${OTHER_ACCOUNT}`,
      SNAPRELAY_VERBOSE: "1",
    },
  });
  ports = stack.ports;
  api = stack.api;
  output = stack.output();
  demoSnapshotId = stack.demoSnapshotId();
  token = stack.token();
}, 160_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("npm start", () => {
  it("prints a demo snapshot, a token and a ready-to-paste curl", () => {
    expect(demoSnapshotId).toMatch(/^snap-/);
    expect(token.split(".")).toHaveLength(3);
    expect(output).toContain(`curl -s -X POST ${api}/replications`);
    expect(output).toContain(`"destinationRegions":["ap-mumbai"]`);
  });

  it("prints one command that points the AWS CLI at the local cloud with the demo account's keys, and it works", async () => {
    // Prepare: the printed line, its `aws` part swapped for an SDK call (the CLI may be missing).
    const line = output.split("\n").find((printed) => printed.includes("cloud-env")) ?? "";
    const [setUp = "", awsCommand] = line.trim().split(" && ");
    const callerScript = [
      'import { DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";',
      'const ec2 = new EC2Client({ region: "ap-shanghai" });',
      'const { Snapshots = [] } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));',
      "console.log(Snapshots.map((snapshot) => snapshot.SnapshotId).join());",
    ].join(" ");

    // Act
    const { stdout } = await promisify(execFile)(
      "bash",
      ["-c", `${setUp} && node --input-type=module -e '${callerScript}'`],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" } },
    );

    // Assess
    expect(setUp).toBe(
      `eval "$(npm run -s cloud-env -- ${LOCAL.demoAccountId} --endpoint http://127.0.0.1:${ports.cloud})"`,
    );
    expect(awsCommand).toBe("aws ec2 describe-snapshots --region ap-shanghai --owner-ids self");
    expect(stdout.trim().split(",")).toContain(demoSnapshotId);
  });

  it("answers /health without a token", async () => {
    const { status, body } = await call("GET", "/health");
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok" });
  });

  it("serves its OpenAPI document without a token, the one generated from its schemas", async () => {
    const { status, body, headers } = await call("GET", "/openapi.json");
    expect(status).toBe(200);
    expect(headers.get("content-type")).toContain("application/json");
    expect(body).toEqual(openApiDocument());
  });
});

describe("replicating over HTTP", () => {
  it("copies the demo snapshot to ap-mumbai and completes the job", async () => {
    const created = await call("POST", "/replications", {
      token,
      body: replicationOf(demoSnapshotId),
    });
    expect(created.status).toBe(202);
    const jobId = String(created.body.jobId);

    const job = await waitForJob(jobId);

    expect(job.status).toBe("COMPLETED");
    const [copy] = job.copies as Array<{ destinationSnapshotId: string; status: string }>;
    expect(copy?.status).toBe("COMPLETED");
    const { Snapshots } = await ec2("ap-mumbai").send(
      new DescribeSnapshotsCommand({ SnapshotIds: [copy?.destinationSnapshotId ?? ""] }),
    );
    expect(Snapshots?.[0]?.State).toBe("completed");
    expect(Snapshots?.[0]?.Tags).toContainEqual({
      Key: "Name",
      Value: `Copied ${demoSnapshotId} from ap-shanghai`,
    });

    const sfn = new SFNClient({
      region: LOCAL.homeRegion,
      endpoint: `http://127.0.0.1:${ports.sfn}`,
      credentials,
    });
    const execution = await sfn.send(
      new DescribeExecutionCommand({ executionArn: String(job.executionArn) }),
    );
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: String(job.executionArn), maxResults: 1000 }),
    );
    const entered = (history.events ?? [])
      .map((event) => event.stateEnteredEventDetails?.name)
      .filter(Boolean);
    expect(execution.status).toBe("SUCCEEDED");
    expect(entered.slice(0, 6)).toEqual([
      "Validate",
      "IsAccepted",
      "CopyToDestinations",
      "AcquireSlot",
      "HasSlot",
      "StartCopy",
    ]);
    expect(entered.at(-1)).toBe("Done");
  });

  it("leaves CloudWatch EMF metric lines for the copy it started and completed, and the bytes it moved", async () => {
    // Prepare
    const created = await call("POST", "/replications", {
      token,
      body: replicationOf(demoSnapshotId, ["ap-chengdu"]),
    });
    const job = await waitForJob(String(created.body.jobId));

    // Act
    const metrics = emfLines(stack.output()).filter((m) => m.DestinationRegion === "ap-chengdu");

    // Assess
    expect(job.status).toBe("COMPLETED");
    const started = metrics.find((m) => "CopiesStarted" in m);
    const completed = metrics.find((m) => "CopiesCompleted" in m);
    expect(started).toMatchObject({ service: "snaprelay", CopiesStarted: 1 });
    expect(completed).toMatchObject({ service: "snaprelay", CopiesCompleted: 1 });
    expect(completed?.BytesMoved).toBeGreaterThan(0);
    expect(completed?._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: "snaprelay",
          Dimensions: [["service", "DestinationRegion"], ["service"]],
          Metrics: expect.arrayContaining([{ Name: "BytesMoved", Unit: "Bytes" }]),
        },
      ],
    });
  });

  it("replays a POST with the same Idempotency-Key and body, and refuses it with another body", async () => {
    const key = `e2e-${Date.now()}`;
    const body = replicationOf(demoSnapshotId, ["ap-beijing"]);
    const first = await call("POST", "/replications", {
      token,
      body,
      headers: { "idempotency-key": key },
    });
    const replay = await call("POST", "/replications", {
      token,
      body,
      headers: { "idempotency-key": key },
    });
    const other = await call("POST", "/replications", {
      token,
      body: replicationOf(demoSnapshotId, ["ap-chengdu"]),
      headers: { "idempotency-key": key },
    });

    expect(first.status).toBe(202);
    expect(replay.status).toBe(202);
    expect(replay.body.jobId).toBe(first.body.jobId);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(other.status).toBe(409);
    expect((other.body.error as { code: string }).code).toBe("IdempotencyConflict");
    const jobs = await listJobs();
    expect(jobs.filter((job) => job.jobId === first.body.jobId)).toHaveLength(1);
  });

  it("lists the caller's jobs newest first", async () => {
    const jobs = (await call("GET", "/replications", { token })).body.jobs as Array<{
      createdAt: string;
    }>;
    const times = jobs.map((job) => job.createdAt);
    expect(times.length).toBeGreaterThan(1);
    expect([...times].sort().reverse()).toEqual(times);
  });
});

describe("refusals", () => {
  it("refuses a request without a token with 401", async () => {
    const { status } = await call("GET", "/replications");
    expect(status).toBe(401);
  });

  it("refuses a token signed with another secret with 401 Unauthorized", async () => {
    const forged = await issueToken(LOCAL.demoAccountId, {
      secret: "someone-elses-secret-that-is-long-enough-to-sign",
      issuer: LOCAL.authTokenIssuer,
    });
    const { status, body } = await call("GET", "/replications", { token: forged });
    expect(status).toBe(401);
    expect(body.error).toMatchObject({ code: "Unauthorized" });
  });

  it("refuses an account outside the allowlist with 403 NotAllowlisted and starts nothing", async () => {
    const before = await listJobs();
    const { status, body } = await call("POST", "/replications", {
      token: await tokenFor(STRANGER_ACCOUNT),
      body: replicationOf(demoSnapshotId),
    });
    expect(status).toBe(403);
    expect(body.error).toMatchObject({ code: "NotAllowlisted" });
    expect(await listJobs()).toHaveLength(before.length);
  });

  it("refuses bad input with 400 naming the field, and creates no job", async () => {
    const before = await listJobs();
    const badRegion = await call("POST", "/replications", {
      token,
      body: replicationOf(demoSnapshotId, ["mars-north-1"]),
    });
    const badBody = await call("POST", "/replications", { token, body: "{not json" });
    const longName = await call("POST", "/replications", {
      token,
      body: { ...replicationOf(demoSnapshotId), name: "x".repeat(61) },
    });

    expect(badRegion.status).toBe(400);
    expect(badRegion.body.error).toMatchObject({ code: "UnsupportedRegion" });
    expect((badRegion.body.error as { message: string }).message).toContain("ap-mumbai");
    expect(badBody.status).toBe(400);
    expect(longName.status).toBe(400);
    expect(longName.body.error).toMatchObject({ code: "NameTooLong" });
    expect(await listJobs()).toHaveLength(before.length);
  });

  it("hides another account's job behind a 404", async () => {
    const [mine] = await listJobs();
    const { status, body } = await call("GET", `/replications/${mine?.jobId}`, {
      token: await tokenFor(OTHER_ACCOUNT),
    });
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: "JobNotFound" });
  });
});

describe("the network", () => {
  it("sees no service of the stack: every port listens on the loopback interface only", () => {
    // Act
    const listeners = listenersOf(processTree(stack.pid));

    // Assess
    const listening = new Set(listeners.map((listener) => listener.port));
    for (const [service, port] of Object.entries(ports)) {
      expect(listening.has(port), `${service} (port ${port}) is not among the listeners`).toBe(
        true,
      );
    }
    const exposed = listeners
      .filter((listener) => !isLoopback(listener.address))
      .map(({ address, port, pid }) => `${address}:${port} (pid ${pid}: ${commandOf(pid)})`);
    expect(exposed, "listeners reachable from other machines").toEqual([]);
  });
});

describe("Ctrl-C", () => {
  it("stops every process the stack started, java included", async () => {
    const code = await stack.stop();

    expect(code).toBe(0);
    for (const port of Object.values(ports)) {
      const inUse = await fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      );
      expect(inUse, `port ${port} is still served`).toBe(false);
    }
    const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(processes).not.toMatch(new RegExp(`LoopbackDynamoDbLocal .*-port ${ports.dynamodb}\\b`));
    expect(processes).not.toContain(`--httpPort ${ports.http}`);
  }, 60_000);
});
