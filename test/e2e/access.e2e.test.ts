// Access applications on the real local stack: an account not on the allowlist is refused, applies,
// is approved by an admin with an external id of its own and the template of the role to create,
// stays out (403 naming the role) until that role exists with that id, and is then let in at its
// next request, with no restart. A revoked account is refused at once and its job in flight is
// cancelled; it may apply again. snaprelay's own account is never a tenant. A rejected account
// stays refused; bad input is named, a second open request is a conflict, and only an admin
// principal may review.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LOCAL } from "../../local/defaults.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { type Signer, shellSignedAs, signedAs } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";
import { until } from "../support/until.js";

const SOURCE = "ap-shanghai";
const NEWCOMER = "444455556666";
const REFUSED = "777788889999";
const REVOKED = "333344445555";
const BY_CLI = "222233334444";
const ADMIN: string = LOCAL.adminAccountId;
const SERVICE = LOCAL.serviceAccountId;

let dataDir: string;
let stack: StackProcess;
const tokens: Record<string, Signer> = {};

const call = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token: tokens[who], body });

const replicate = async (who: string, snapshotId: string) =>
  call(who, "POST", "/replications", {
    snapshotId,
    sourceRegion: SOURCE,
    destinationRegions: ["ap-mumbai"],
  });

const application = {
  reason: "Copies of the orders database to ap-mumbai for DR",
  contact: "ops@example.com",
};

/** What the tenant does in its own account: the role snaprelay assumes, trusting `externalId`. */
const createRole = async (accountId: string, externalId: string) => {
  const response = await fetch(`${stack.cloudUrl}/_admin/roles`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ accountId, roleName: LOCAL.accountRoleName, externalId }),
  });
  expect(response.status).toBe(200);
};

const assumeRoleCalls = async (accountId: string): Promise<number> => {
  const stats = (await (await fetch(`${stack.cloudUrl}/_admin/stats`)).json()) as {
    sts: { assumeRoleCallsByAccount: Record<string, number> };
  };
  return stats.sts.assumeRoleCallsByAccount[accountId] ?? 0;
};

const snapshotOf = async (accountId: string, label: string, blocks = 2) => {
  const [snapshotId] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
    blocks,
    blockSizeBytes: 512 * 1024,
    label,
    accountId,
  });
  return snapshotId ?? "";
};

interface Onboarding {
  roleArn: string;
  trustedAccountId: string;
  externalId: string;
  roleTemplate: string;
  deployCommand: string;
  connect: string;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-access-"));
  // Only the demo account is seeded (npm start's default). Copies of 1 MiB/s keep a job of 64
  // blocks of 512 KiB in flight for half a minute.
  stack = await startStackProcess({
    dataDir,
    env: { LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(1024 * 1024) },
  });
  // The admin is the local user of the admin account (ADMIN_PRINCIPALS); the others are tenants.
  for (const account of [
    NEWCOMER,
    REFUSED,
    REVOKED,
    BY_CLI,
    SERVICE,
    LOCAL.demoAccountId,
    "888899990000",
    ADMIN,
  ]) {
    tokens[account] = signedAs(stack, account);
  }
}, 200_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("an account that applies for access", () => {
  it("is approved with its own external id and role template, stays out until its role exists, then is let in at its next request without a restart", async () => {
    // Prepare
    const snapshotId = await snapshotOf(NEWCOMER, "newcomer");
    const before = await replicate(NEWCOMER, snapshotId);

    // Act: apply, and be approved
    const applied = await call(NEWCOMER, "POST", "/access-requests", application);
    const requestId = String(applied.body.requestId);
    const again = await call(NEWCOMER, "POST", "/access-requests", application);
    const ownView = await call(NEWCOMER, "GET", `/access-requests/${requestId}`);
    const othersView = await call(LOCAL.demoAccountId, "GET", `/access-requests/${requestId}`);
    const listed = await call(ADMIN, "GET", "/admin/access-requests?status=OPEN");
    const approved = await call(ADMIN, "POST", `/admin/access-requests/${requestId}/approve`, {
      note: "the orders team",
    });
    const onboarding = approved.body.onboarding as Onboarding;

    // Act: no role yet; requests in a burst cost one AssumeRole
    const pending = await replicate(NEWCOMER, snapshotId);
    const triesAfterFirst = await assumeRoleCalls(NEWCOMER);
    const burst = [];
    for (let request = 0; request < 3; request++) burst.push(await replicate(NEWCOMER, snapshotId));
    const triesAfterBurst = await assumeRoleCalls(NEWCOMER);
    const tenantView = await call(NEWCOMER, "GET", `/access-requests/${requestId}`);

    // Act: a role that asks the deployment's external id is not this account's
    await createRole(NEWCOMER, LOCAL.accountRoleExternalId);
    const connectWrongId = await call(NEWCOMER, "POST", "/account/connect");

    // Act: the role as the template makes it; the account's next request after the wait is in
    await createRole(NEWCOMER, onboarding.externalId);
    const after = await until(
      "the newcomer's request to be accepted once its role exists",
      async () => {
        const answer = await replicate(NEWCOMER, snapshotId);
        return answer.status === 202 ? answer : undefined;
      },
      90_000,
      2_000,
    );
    const connectedView = await call(NEWCOMER, "GET", `/access-requests/${requestId}`);

    // Assess: the application and its review
    expect(before.status).toBe(403);
    expect(before.body).toMatchObject({ error: { code: "NotAllowlisted" } });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    expect(applied.body).toMatchObject({ accountId: NEWCOMER, status: "OPEN", decision: null });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: "AccessRequestOpen" } });
    expect(ownView.body).toMatchObject({ requestId, status: "OPEN", onboarding: null });
    expect(othersView.status).toBe(404);
    expect(
      (listed.body.requests as { requestId: string }[]).map((request) => request.requestId),
    ).toContain(requestId);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({
      status: "APPROVED",
      decision: { by: ADMIN, note: "the orders team" },
      access: { status: "PENDING_CONNECTION", connectedAt: null },
    });

    // Assess: the onboarding names the role, the trusted account, the account's own external id
    const roleArn = `arn:aws:iam::${NEWCOMER}:role/${LOCAL.accountRoleName}`;
    expect(onboarding).toMatchObject({
      roleArn,
      trustedAccountId: SERVICE,
      externalId: expect.stringMatching(/^snaprelay-[0-9a-f]{32}$/),
      connect: "POST /account/connect",
    });
    expect(onboarding.externalId).not.toBe(LOCAL.accountRoleExternalId);
    expect(onboarding.deployCommand).toContain("aws cloudformation deploy");
    expect(onboarding.deployCommand).toContain(`ExternalId=${onboarding.externalId}`);
    const template = parse(onboarding.roleTemplate);
    expect(template.Parameters.ExternalId.Default).toBe(onboarding.externalId);
    expect(template.Parameters.ServiceAccountId.Default).toBe(SERVICE);
    expect(tenantView.body.onboarding).toEqual(onboarding);

    // Assess: refused, naming everything needed to fix it, and tried once for the burst
    expect(pending.status).toBe(403);
    const refusal = (pending.body.error as { code: string; message: string }) ?? {};
    expect(refusal.code).toBe("AccountNotConnected");
    for (const part of [roleArn, `trusting account ${SERVICE}`, onboarding.externalId]) {
      expect(refusal.message).toContain(part);
    }
    expect(refusal.message).toContain(`GET /access-requests/${requestId}`);
    expect(burst.map((answer) => answer.status)).toEqual([403, 403, 403]);
    expect(triesAfterFirst).toBe(1);
    expect(triesAfterBurst).toBe(1);
    expect(connectWrongId.status).toBe(403);
    expect(connectWrongId.body).toMatchObject({ error: { code: "AccountNotConnected" } });

    // Assess: let in, with no restart, and CONNECTED
    expect(after.body).toMatchObject({
      status: expect.stringMatching(/PENDING|VALIDATING|RUNNING/),
    });
    expect(connectedView.body).toMatchObject({
      access: { status: "CONNECTED", connectedAt: expect.any(String), connectFailure: null },
    });
  }, 180_000);

  it("stays refused once an admin rejects it", async () => {
    // Prepare
    const applied = await call(REFUSED, "POST", "/access-requests", application);

    // Act
    const rejected = await call(
      REFUSED,
      "POST",
      `/admin/access-requests/${String(applied.body.requestId)}/reject`,
    );
    const byAdmin = await call(
      ADMIN,
      "POST",
      `/admin/access-requests/${String(applied.body.requestId)}/reject`,
      { note: "not in the beta's regions" },
    );
    const decidedTwice = await call(
      ADMIN,
      "POST",
      `/admin/access-requests/${String(applied.body.requestId)}/approve`,
    );
    const after = await replicate(REFUSED, "snap-0123abcd");

    // Assess
    expect(rejected.status).toBe(403);
    expect(rejected.body).toMatchObject({ error: { code: "NotAdmin" } });
    expect(byAdmin.body).toMatchObject({
      status: "REJECTED",
      decision: { by: ADMIN, note: "not in the beta's regions" },
      onboarding: null,
    });
    expect(decidedTwice.status).toBe(409);
    expect(decidedTwice.body).toMatchObject({ error: { code: "AccessRequestDecided" } });
    expect(after.status).toBe(403);
    expect(after.body).toMatchObject({ error: { code: "NotAllowlisted" } });
  }, 60_000);

  it("names the field of a bad application, and records nothing", async () => {
    // Act
    const refused = await call("888899990000", "POST", "/access-requests", {
      reason: "short",
      contact: "ops@example.com",
    });
    const listed = await call(ADMIN, "GET", "/admin/access-requests?status=OPEN&limit=100");

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: { code: "InvalidRequest", message: expect.stringContaining("reason") },
    });
    expect(
      (listed.body.requests as { accountId: string }[]).some(
        (request) => request.accountId === "888899990000",
      ),
    ).toBe(false);
  }, 60_000);
});

describe("an account whose access is revoked", () => {
  it("is refused at its next request, its job in flight is cancelled as the README says, and it may apply again", async () => {
    // Prepare: onboarded and connected, with a job copying
    const applied = await call(REVOKED, "POST", "/access-requests", application);
    const requestId = String(applied.body.requestId);
    const approved = await call(ADMIN, "POST", `/admin/access-requests/${requestId}/approve`);
    const firstId = (approved.body.onboarding as Onboarding).externalId;
    await createRole(REVOKED, firstId);
    const connected = await call(REVOKED, "POST", "/account/connect");
    const started = await replicate(REVOKED, await snapshotOf(REVOKED, "revoked", 64));
    const jobId = String(started.body.jobId);
    await until("the job's copy to be under way", async () => {
      const { body } = await call(REVOKED, "GET", `/replications/${jobId}`);
      const copies = body.copies as { status: string }[];
      return copies[0]?.status === "COPYING" ? body : undefined;
    });

    // Act
    const byTenant = await call(REVOKED, "POST", `/admin/accounts/${REVOKED}/revoke`);
    const revoked = await call(ADMIN, "POST", `/admin/accounts/${REVOKED}/revoke`, {
      note: "left the beta",
    });
    const nextRead = await call(REVOKED, "GET", `/replications/${jobId}`);
    const nextJob = await replicate(REVOKED, "snap-0123abcd");
    const nextConnect = await call(REVOKED, "POST", "/account/connect");
    const oldRequest = await call(REVOKED, "GET", `/access-requests/${requestId}`);

    // Act: it applies again, is approved with a new external id, and reads its cancelled job
    const reapplied = await call(REVOKED, "POST", "/access-requests", application);
    const reapproved = await call(
      ADMIN,
      "POST",
      `/admin/access-requests/${String(reapplied.body.requestId)}/approve`,
    );
    const secondId = (reapproved.body.onboarding as Onboarding).externalId;
    await createRole(REVOKED, secondId);
    const reconnected = await call(REVOKED, "POST", "/account/connect");
    const job = await call(REVOKED, "GET", `/replications/${jobId}`);

    // Assess
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    expect(connected.body).toMatchObject({
      accountId: REVOKED,
      status: "CONNECTED",
      seeded: false,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(byTenant.status).toBe(403);
    expect(byTenant.body).toMatchObject({ error: { code: "NotAdmin" } });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body).toMatchObject({
      accountId: REVOKED,
      status: "REVOKED",
      revocation: { by: ADMIN, note: "left the beta" },
      cancelledJobs: [jobId],
      jobsStillInFlight: false,
    });
    for (const refused of [nextRead, nextJob, nextConnect]) {
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({
        error: { code: "AccountRevoked", message: expect.stringContaining("left the beta") },
      });
    }
    expect(oldRequest.body).toMatchObject({
      access: { status: "REVOKED" },
      revocation: { by: ADMIN, note: "left the beta" },
      onboarding: null,
    });
    expect(reapplied.status, JSON.stringify(reapplied.body)).toBe(201);
    expect(secondId).not.toBe(firstId);
    expect(reconnected.status, JSON.stringify(reconnected.body)).toBe(200);
    expect(job.body).toMatchObject({
      status: "CANCELLED",
      cancellation: { reason: `account revoked by ${ADMIN}: left the beta` },
      copies: [{ status: "CANCELLED" }],
    });
  }, 180_000);
});

/** `npx snaprelay …` in a shell holding `who`'s keys, as the ops CLI's own e2e runs it. */
const cli = async (who: string, args: string[]) => {
  const env = await shellSignedAs(stack, who);
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["scripts/cli/snaprelay.mjs", ...args],
      { env, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
};

describe("the ops CLI on an account's access", () => {
  it("shows an approved account's onboarding and template, connects it, and revokes it as an admin", async () => {
    // Prepare
    const applied = await call(BY_CLI, "POST", "/access-requests", application);
    const requestId = String(applied.body.requestId);
    const approved = await call(ADMIN, "POST", `/admin/access-requests/${requestId}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);

    // Act
    const onboarding = await cli(BY_CLI, ["onboarding", requestId]);
    const template = await cli(BY_CLI, ["onboarding", requestId, "--template"]);
    const externalId = String(parse(template.stdout).Parameters.ExternalId.Default);
    await createRole(BY_CLI, externalId);
    const connected = await cli(BY_CLI, ["connect"]);
    const revoked = await cli(ADMIN, ["revoke", BY_CLI, "--note", "by the CLI"]);
    const refused = await cli(BY_CLI, ["connect"]);

    // Assess
    expect(onboarding.code, onboarding.stderr).toBe(0);
    expect(onboarding.stdout).toContain(`arn:aws:iam::${BY_CLI}:role/${LOCAL.accountRoleName}`);
    expect(onboarding.stdout).toContain(`external id:     ${externalId}`);
    expect(onboarding.stdout).toContain("aws cloudformation deploy");
    expect(externalId).toMatch(/^snaprelay-[0-9a-f]{32}$/);
    expect(connected.code, connected.stderr).toBe(0);
    expect(connected.stdout).toContain(`account ${BY_CLI}: CONNECTED`);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`account ${BY_CLI}: REVOKED by ${ADMIN}`);
    expect(revoked.stdout).toContain("no job in flight was cancelled");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("snaprelay: AccountRevoked:");
  }, 60_000);
});

describe("snaprelay's own account", () => {
  it("can neither apply nor replicate as a tenant, and is told why", async () => {
    // Act
    const applied = await call(SERVICE, "POST", "/access-requests", application);
    const replicated = await replicate(SERVICE, "snap-0123abcd");
    const connected = await call(SERVICE, "POST", "/account/connect");

    // Assess
    for (const refused of [applied, replicated, connected]) {
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({
        error: {
          code: "ServiceAccountNotTenant",
          message: expect.stringContaining("the account snaprelay is deployed in"),
        },
      });
    }
  }, 60_000);
});

describe("an account's limits", () => {
  const DEMO = LOCAL.demoAccountId;
  const setLimits = (limits: Record<string, number>, who = ADMIN) =>
    call(who, "PUT", `/admin/accounts/${DEMO}/limits`, { limits, note: "e2e" });
  const aPolicy = (schedule: string, name: string) => ({
    name,
    sourceRegion: SOURCE,
    selector: { tags: { fleet: "limits" } },
    destinationRegions: ["ap-mumbai"],
    schedule,
    retention: { count: 1 },
    rpoMinutes: 120,
  });

  it("are set by an admin only, and the account reads them with what it uses", async () => {
    // Act
    const byTenant = await setLimits({ jobsInFlight: 1 }, DEMO);
    const byAdmin = await setLimits({ jobsInFlight: 1, policies: 1 });
    const own = await call(DEMO, "GET", "/limits");

    // Assess
    expect(byTenant.status).toBe(403);
    expect(byTenant.body).toMatchObject({ error: { code: "NotAdmin" } });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(own.body).toMatchObject({
      accountId: DEMO,
      limits: { jobsInFlight: 1, policies: 1 },
      overrides: { by: ADMIN, note: "e2e" },
      usage: { jobsInFlight: expect.any(Number), policies: 0 },
    });
  }, 60_000);

  it("refuse a job past the jobs in flight with 429 and a Retry-After, and start nothing", async () => {
    // Prepare
    const [first, second] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 2, {
      blocks: 64,
      blockSizeBytes: 512 * 1024,
      label: "limits",
      accountId: DEMO,
    });
    const started = await replicate(DEMO, first ?? "");

    // Act
    const refused = await replicate(DEMO, second ?? "");
    const jobs = await call(DEMO, "GET", `/replications?snapshotId=${second}`);

    // Assess
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(refused.status, JSON.stringify(refused.body)).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(refused.body).toMatchObject({
      error: {
        code: "TooManyJobsInFlight",
        message: expect.stringContaining("has 1 jobs in flight, its limit"),
      },
    });
    expect(jobs.body.jobs).toEqual([]);
  }, 120_000);

  it("refuse a policy past the account's number, and one that runs too often", async () => {
    // Act
    const first = await call(DEMO, "POST", "/policies", aPolicy("rate(6 hours)", "limits-1"));
    const second = await call(DEMO, "POST", "/policies", aPolicy("rate(6 hours)", "limits-2"));
    const tooOften = await call(DEMO, "PUT", `/policies/${String(first.body.policyId)}`, {
      ...aPolicy("rate(1 minute)", "limits-1"),
    });

    // Assess
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: { code: "PolicyLimitExceeded" } });
    expect(tooOften.status).toBe(400);
    expect(tooOften.body).toMatchObject({
      error: {
        code: "InvalidRequest",
        message: expect.stringContaining("may run at most every 1 hour"),
      },
    });
  }, 60_000);

  it("refuse requests past the account's rate with 429 TooManyRequests, and admit them the next second", async () => {
    // Prepare
    await setLimits({ requestsPerSecond: 3 });

    // Act
    const burst = await Promise.all(
      Array.from({ length: 12 }, () =>
        apiCall(stack.api, "GET", "/replications?limit=1", {
          token: tokens[DEMO],
          retryThrottled: false,
        }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const after = await call(DEMO, "GET", "/replications?limit=1");
    await setLimits({});

    // Assess
    const refused = burst.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.headers.get("retry-after")).toBe("1");
    expect(refused[0]?.body).toMatchObject({ error: { code: "TooManyRequests" } });
    expect(after.status).toBe(200);
  }, 60_000);
});
