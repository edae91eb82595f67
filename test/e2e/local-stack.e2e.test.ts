// End to end: the local stack started exactly as `npm start` starts it (its own process, on
// ports of its own), driven over HTTP like a caller would, each request proving its AWS identity,
// then stopped with Ctrl-C (SIGINT).
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
import { isFinishedJob } from "../../functions/core/job.js";
import { localCredentialsFor } from "../../local/cloud/index.js";
import { LOCAL } from "../../local/defaults.js";
import { fetchRecipe, makeProof } from "../../scripts/cli/proof.js";
import { apiCall, type CallerAuth } from "../support/api-call.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { commandOf, isLoopback, listenersOf, processTree } from "../support/listeners.js";
import { credentials } from "../support/services.js";
import { type Signer, signedAs } from "../support/signed-as.js";
import { type StackPorts, type StackProcess, startStackProcess } from "../support/stack-process.js";

const OTHER_ACCOUNT = "444455556666";
const STRANGER_ACCOUNT = "777788889999";

let stack: StackProcess;
let output = "";
let dataDir: string;
let ports: StackPorts;
let api: string;
let demoSnapshotId: string;
let token: Signer;

const call = (
  method: string,
  path: string,
  options: { token?: CallerAuth; body?: unknown; headers?: Record<string, string> } = {},
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
  it("prints a demo snapshot and a ready-to-paste curl whose Authorization proves the demo account", async () => {
    // Prepare: the printed proof command, run from a shell that knows nothing of the stack's ports
    const proofCommand = /-H "Authorization: \$\((npm run -s proof -- [^)]+)\)"/.exec(output)?.[1];
    const shell = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^SNAPRELAY_.*PORT$/.test(name)),
    );
    const { stdout: proof } = await promisify(execFile)("bash", ["-c", proofCommand ?? "false"], {
      env: shell,
    });

    // Act
    const who = await call("GET", "/session", { headers: { authorization: proof.trim() } });

    // Assess
    expect(demoSnapshotId).toMatch(/^snap-/);
    expect(output).toContain(`curl -s -X POST ${api}/replications`);
    expect(output).toContain(`"destinationRegions":["ap-mumbai"]`);
    // The stack runs on ports of its own, so the command names them.
    expect(proofCommand).toBe(
      `npm run -s proof -- --account ${LOCAL.demoAccountId} --api ${api} --cloud http://127.0.0.1:${ports.cloud}`,
    );
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ accountId: LOCAL.demoAccountId, via: "proof" });
  });

  it("prints one command that points the AWS CLI at the local cloud with the demo account's keys, and it works", async () => {
    // Prepare: the printed lines, the `aws` one swapped for an SDK call (the CLI may be missing).
    const printed = output.split("\n").map((line) => line.trim());
    const setUp = printed.find((line) => line.includes("cloud-env")) ?? "";
    const awsCommand = printed.find((line) => line.startsWith("aws "));
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

  it("answers /health without credentials", async () => {
    const { status, body } = await call("GET", "/health");
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok" });
  });

  it("serves its OpenAPI document without credentials, the one generated from its schemas", async () => {
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
  it("refuses an account outside the allowlist with 403 NotAllowlisted and starts nothing", async () => {
    const before = await listJobs();
    const { status, body } = await call("POST", "/replications", {
      token: signedAs(stack, STRANGER_ACCOUNT),
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
});

describe("identity proven by AWS", () => {
  const DEMO_PRINCIPAL = `arn:aws:iam::${LOCAL.demoAccountId}:user/local`;
  let other: Signer;
  let othersJobId: string;
  let demoPolicyId: string;

  /** A proof as `makeProof` makes it from the published recipe, with what a test changes. */
  const proofWith = async (
    change: { secretAccessKey?: string; audience?: string; signedAt?: Date } = {},
  ) => {
    const recipe = await fetchRecipe(api);
    const keys = await localCredentialsFor(stack.cloudUrl, LOCAL.demoAccountId)();
    return makeProof(
      { ...recipe, audience: change.audience ?? recipe.audience },
      { ...keys, secretAccessKey: change.secretAccessKey ?? keys.secretAccessKey },
      change.signedAt,
    );
  };

  const refusalOf = (answer: { body: Record<string, unknown> }) =>
    answer.body.error as { code: string; message: string };

  beforeAll(async () => {
    // The other account lets snaprelay in as the demo account does, and copies a snapshot of its own.
    const role = await fetch(`${stack.cloudUrl}/_admin/roles`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        accountId: OTHER_ACCOUNT,
        roleName: LOCAL.accountRoleName,
        externalId: LOCAL.accountRoleExternalId,
      }),
    });
    expect(role.status).toBe(200);
    other = signedAs(stack, OTHER_ACCOUNT);
    const [othersSnapshotId = ""] = await makeDistinctSnapshots(stack.cloudUrl, "ap-shanghai", 1, {
      blocks: 1,
      blockSizeBytes: 512 * 1024,
      label: "other-account",
      accountId: OTHER_ACCOUNT,
    });
    const job = await call("POST", "/replications", {
      token: other,
      body: replicationOf(othersSnapshotId),
    });
    expect(job.status, JSON.stringify(job.body)).toBe(202);
    othersJobId = String(job.body.jobId);
    const policy = await call("POST", "/policies", {
      token,
      body: {
        name: "orders-db-dr",
        sourceRegion: "ap-shanghai",
        selector: { tags: { fleet: "orders" } },
        destinationRegions: ["ap-mumbai"],
        schedule: "rate(1 day)",
        retention: { count: 3 },
        rpoMinutes: 60,
      },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    demoPolicyId = String(policy.body.policyId);
  }, 60_000);

  it("lists only the signing account's jobs, and hides another account's job, policy and snapshot behind a 404", async () => {
    // Prepare
    const [demoJob] = await listJobs();

    // Act
    const listed = await listJobs(other);
    const job = await call("GET", `/replications/${demoJob?.jobId}`, { token: other });
    const policy = await call("GET", `/policies/${demoPolicyId}`, { token: other });
    const snapshot = await call("GET", `/regions/ap-shanghai/snapshots/${demoSnapshotId}`, {
      token: other,
    });
    const ownersPolicy = await call("GET", `/policies/${demoPolicyId}`, { token });
    const ownersSnapshot = await call("GET", `/regions/ap-shanghai/snapshots/${demoSnapshotId}`, {
      token,
    });

    // Assess
    expect(listed.map((listedJob) => listedJob.jobId)).toEqual([othersJobId]);
    expect(job.status).toBe(404);
    expect(refusalOf(job).code).toBe("JobNotFound");
    expect(policy.status).toBe(404);
    expect(refusalOf(policy).code).toBe("PolicyNotFound");
    expect(snapshot.status).toBe(404);
    expect(refusalOf(snapshot).code).toBe("SnapshotNotFound");
    expect(ownersPolicy.status).toBe(200);
    expect(ownersSnapshot.status).toBe(200);
  });

  it("refuses a request that sends no proof with 401, saying what to send", async () => {
    // Act
    const unsigned = await call("GET", "/replications");

    // Assess
    expect(unsigned.status).toBe(401);
    expect(refusalOf(unsigned).code).toBe("Unauthorized");
    expect(refusalOf(unsigned).message).toContain("no credentials were sent");
    expect(refusalOf(unsigned).message).toContain("Send `Authorization: SnapRelay-STS <proof>`");
  });

  it("refuses an unsigned request that names a caller in serverless-offline's override header, as API Gateway, which has no such header, would", async () => {
    // Act
    const claimed = {
      lambda: {
        accountId: LOCAL.demoAccountId,
        principalArn: LOCAL.adminPrincipal,
        admin: true,
        expiresAt: "2099-01-01T00:00:00.000Z",
        via: "proof",
      },
    };
    const refused = await call("GET", "/admin/access-requests", {
      headers: { "sls-offline-authorizer-override": JSON.stringify(claimed) },
    });

    // Assess
    expect(refused.status).toBe(401);
    expect(refusalOf(refused).message).toContain("no credentials were sent");
  });

  it("refuses a proof signed with another secret for the same access key with 401, saying to sign with your own credentials", async () => {
    // Prepare
    const forged = await proofWith({ secretAccessKey: "someone-elses-secret" });

    // Act
    const refused = await call("GET", "/replications", { headers: { authorization: forged } });

    // Assess
    expect(refused.status).toBe(401);
    expect(refusalOf(refused).code).toBe("Unauthorized");
    expect(refusalOf(refused).message).toContain("SignatureDoesNotMatch");
    expect(refusalOf(refused).message).toContain("sign with your own credentials");
  });

  it("refuses a proof signed 20 minutes ago with 401, saying it is too old and to make a new one", async () => {
    // Prepare
    const stale = await proofWith({ signedAt: new Date(Date.now() - 20 * 60_000) });

    // Act
    const refused = await call("GET", "/replications", { headers: { authorization: stale } });

    // Assess
    expect(refused.status).toBe(401);
    expect(refusalOf(refused).code).toBe("Unauthorized");
    expect(refusalOf(refused).message).toContain("20 minutes ago; a proof is good for 15 minutes");
    expect(refusalOf(refused).message).toContain("Make a new proof");
  });

  it("refuses a proof made for another audience with 401", async () => {
    // Prepare
    const elsewhere = await proofWith({ audience: "snaprelay-prod" });

    // Act
    const refused = await call("GET", "/replications", { headers: { authorization: elsewhere } });

    // Assess: STS is asked with this API's audience, which the signature does not cover
    expect(refused.status).toBe(401);
    expect(refusalOf(refused).code).toBe("Unauthorized");
    expect(refusalOf(refused).message).toContain("SignatureDoesNotMatch");
  });

  it("refuses a bearer token that is not one of its sessions, such as a shared-secret token, with 401", async () => {
    // Act
    const refused = await call("GET", "/replications", {
      token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMTExMjIyMjMzMzMifQ.c2lnbmF0dXJl",
    });

    // Assess
    expect(refused.status).toBe(401);
    expect(refusalOf(refused).message).toContain("the bearer token is not a session this API made");
  });

  it("lets the admin principal call an admin route, and refuses another principal with 403 NotAdmin naming it", async () => {
    // Act
    const byAdmin = await call("GET", "/admin/access-requests", {
      token: signedAs(stack, LOCAL.adminAccountId),
    });
    const byTenant = await call("GET", "/admin/access-requests", { token });

    // Assess
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(byTenant.status).toBe(403);
    expect(refusalOf(byTenant).code).toBe("NotAdmin");
    expect(refusalOf(byTenant).message).toContain(DEMO_PRINCIPAL);
  });

  it("names the account and the principal that signed a proof at GET /session", async () => {
    // Act
    const who = await call("GET", "/session", { token });
    const admin = await call("GET", "/session", { token: signedAs(stack, LOCAL.adminAccountId) });

    // Assess
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({
      accountId: LOCAL.demoAccountId,
      principalArn: DEMO_PRINCIPAL,
      admin: false,
      via: "proof",
    });
    expect(admin.body).toMatchObject({ principalArn: LOCAL.adminPrincipal, admin: true });
  });

  it("makes a session from a proof that works as a bearer token until it is signed out", async () => {
    // Act
    const signedIn = await call("POST", "/sessions", { token });
    const session = String(signedIn.body.sessionToken);
    const who = await call("GET", "/session", { token: session });
    const jobs = await call("GET", "/replications", { token: session });
    const signedOut = await call("DELETE", "/session", { token: session });
    const after = await call("GET", "/replications", { token: session });

    // Assess
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(201);
    expect(signedIn.body).toMatchObject({
      sessionToken: expect.stringMatching(/^srs_/),
      accountId: LOCAL.demoAccountId,
      principalArn: DEMO_PRINCIPAL,
      via: "session",
    });
    expect(who.body).toMatchObject({ principalArn: DEMO_PRINCIPAL, via: "session" });
    expect(jobs.status).toBe(200);
    expect(signedOut.status).toBe(200);
    expect(after.status).toBe(401);
    expect(refusalOf(after).message).toContain("signed out");
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
