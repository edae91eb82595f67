// Access applications on the real local stack: an account not on the allowlist is refused, applies,
// is approved by an admin, and its very next request is accepted, with no restart; a rejected
// account stays refused. Bad input is named, a second open request is a conflict, and only an
// admin's token may review.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ROLE, issueToken } from "../../functions/api/tokens.js";
import { LOCAL } from "../../local/defaults.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";

const SOURCE = "ap-shanghai";
const NEWCOMER = "444455556666";
const REFUSED = "777788889999";
const ADMIN = "000011112222";

let dataDir: string;
let stack: StackProcess;
const tokens: Record<string, string> = {};

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

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-access-"));
  // Only the demo account is seeded (npm start's default).
  stack = await startStackProcess({ dataDir });
  for (const account of [NEWCOMER, REFUSED]) {
    await fetch(`${stack.cloudUrl}/_admin/roles`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        accountId: account,
        roleName: LOCAL.accountRoleName,
        externalId: LOCAL.accountRoleExternalId,
      }),
    });
  }
  const settings = { secret: LOCAL.authTokenSecret, issuer: LOCAL.authTokenIssuer };
  for (const account of [NEWCOMER, REFUSED, LOCAL.demoAccountId, "888899990000"]) {
    tokens[account] = await issueToken(account, settings);
  }
  tokens[ADMIN] = await issueToken(ADMIN, settings, 3600, [ADMIN_ROLE]);
}, 200_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("an account that applies for access", () => {
  it("is refused, applies, is approved by an admin, and its next request is accepted without a restart", async () => {
    // Prepare
    const [snapshotId] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 2,
      blockSizeBytes: 512 * 1024,
      label: "newcomer",
      accountId: NEWCOMER,
    });
    const before = await replicate(NEWCOMER, snapshotId ?? "");

    // Act
    const applied = await call(NEWCOMER, "POST", "/access-requests", application);
    const requestId = String(applied.body.requestId);
    const again = await call(NEWCOMER, "POST", "/access-requests", application);
    const ownView = await call(NEWCOMER, "GET", `/access-requests/${requestId}`);
    const othersView = await call(LOCAL.demoAccountId, "GET", `/access-requests/${requestId}`);
    const listed = await call(ADMIN, "GET", "/admin/access-requests?status=OPEN");
    const approved = await call(ADMIN, "POST", `/admin/access-requests/${requestId}/approve`, {
      note: "the orders team",
    });
    const after = await replicate(NEWCOMER, snapshotId ?? "");

    // Assess
    expect(before.status).toBe(403);
    expect(before.body).toMatchObject({ error: { code: "NotAllowlisted" } });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    expect(applied.body).toMatchObject({ accountId: NEWCOMER, status: "OPEN", decision: null });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: "AccessRequestOpen" } });
    expect(ownView.body).toMatchObject({ requestId, status: "OPEN" });
    expect(othersView.status).toBe(404);
    expect(
      (listed.body.requests as { requestId: string }[]).map((request) => request.requestId),
    ).toContain(requestId);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({
      status: "APPROVED",
      decision: { by: ADMIN, note: "the orders team" },
    });
    expect(after.status, JSON.stringify(after.body)).toBe(202);
    expect(after.body).toMatchObject({
      status: expect.stringMatching(/PENDING|VALIDATING|RUNNING/),
    });
  }, 120_000);

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
