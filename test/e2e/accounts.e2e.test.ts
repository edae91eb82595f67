// Each account copies only its own snapshots, on the real local stack with several allowlisted
// accounts: another account's snapshot is not found, an account whose role snaprelay cannot
// assume is told how to fix it (by its job, and by POST /account/connect), role credentials are
// reused, and the quota counts per account. Seeded accounts use the deployment's external id.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TAG_JOB_ID } from "../../functions/core/copy-tags.js";
import { isFinishedJob } from "../../functions/core/job.js";
import { localCredentialsFor } from "../../local/cloud/index.js";
import { LOCAL } from "../../local/defaults.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { type Signer, signedAs } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";

const A = LOCAL.demoAccountId;
const B = "444455556666";
const WITHOUT_ROLE = "555566667777";
const WRONG_EXTERNAL_ID = "666677778888";
const QUOTA = 25;
const SOURCE = "ap-shanghai";

interface Job {
  jobId: string;
  status: string;
  error: { code: string; message: string } | null;
  copies: { destinationSnapshotId: string | null }[];
}

let dataDir: string;
let stack: StackProcess;
const tokens: Record<string, Signer> = {};
const snapshotOf: Record<string, string> = {};

const call = (account: string, method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token: tokens[account], body });

const replicate = async (account: string, snapshotId: string, destination = "ap-mumbai") => {
  const { status, body } = await call(account, "POST", "/replications", {
    snapshotId,
    sourceRegion: SOURCE,
    destinationRegions: [destination],
  });
  expect(status, JSON.stringify(body)).toBe(202);
  return String(body.jobId);
};

const ended = async (account: string, jobId: string): Promise<Job> => {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { body } = await call(account, "GET", `/replications/${jobId}`);
    if (isFinishedJob(String(body.status))) return body as unknown as Job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is still ${String(body.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
};

const stats = async () =>
  (await (await fetch(`${stack.cloudUrl}/_admin/stats`)).json()) as {
    accounts: Record<string, { copies: { started: number } }>;
    sts: {
      assumeRoleCallsByAccount: Record<string, number>;
      sessionNamesByAccount: Record<string, string[]>;
    };
  };

const copiesStarted = async (account: string) =>
  (await stats()).accounts[account]?.copies.started ?? 0;

/** The snapshots of job `jobId` that `account` sees in `region`, as the AWS CLI would list them. */
const copiesSeenBy = async (account: string, region: string, jobId: string) => {
  const ec2 = new EC2Client({
    region,
    endpoint: stack.cloudUrl,
    credentials: localCredentialsFor(stack.cloudUrl, account),
  });
  const { Snapshots = [] } = await ec2.send(
    new DescribeSnapshotsCommand({
      OwnerIds: ["self"],
      Filters: [{ Name: `tag:${TAG_JOB_ID}`, Values: [jobId] }],
    }),
  );
  ec2.destroy();
  return Snapshots;
};

const createRole = async (accountId: string, externalId: string) => {
  const response = await fetch(`${stack.cloudUrl}/_admin/roles`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ accountId, roleName: LOCAL.accountRoleName, externalId }),
  });
  expect(response.status).toBe(200);
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-accounts-"));
  stack = await startStackProcess({
    dataDir,
    env: {
      ALLOWLISTED_ACCOUNTS: [A, B, WITHOUT_ROLE, WRONG_EXTERNAL_ID].join(","),
      SNAPSHOT_QUOTA_PER_REGION: String(QUOTA),
      SNAPRELAY_WAIT_SCALE: "0.1",
    },
  });
  // npm start lets snaprelay into the demo account; B lets it in the same way; the account
  // WRONG_EXTERNAL_ID trusts another external id; WITHOUT_ROLE has no role at all.
  await createRole(B, LOCAL.accountRoleExternalId);
  await createRole(WRONG_EXTERNAL_ID, "someone-elses-external-id");
  for (const account of [A, B, WITHOUT_ROLE, WRONG_EXTERNAL_ID]) {
    tokens[account] = signedAs(stack, account);
    const [snapshotId] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 2,
      blockSizeBytes: 512 * 1024,
      label: `own-${account}`,
      accountId: account,
    });
    snapshotOf[account] = snapshotId ?? "";
  }
}, 200_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("another account's snapshot", () => {
  it("is 404 SnapshotNotFound in the snapshot view, while its owner sees it", async () => {
    // Act
    const theirs = await call(B, "GET", `/regions/${SOURCE}/snapshots/${snapshotOf[A]}`);
    const mine = await call(A, "GET", `/regions/${SOURCE}/snapshots/${snapshotOf[A]}`);

    // Assess
    expect(theirs.status).toBe(404);
    expect(theirs.body.error).toMatchObject({ code: "SnapshotNotFound" });
    expect(mine.status).toBe(200);
  });

  it("ends a job for it REJECTED with SnapshotNotFound, and nothing is copied", async () => {
    // Prepare
    const before = { a: await copiesStarted(A), b: await copiesStarted(B) };

    // Act
    const job = await ended(B, await replicate(B, snapshotOf[A] ?? ""));

    // Assess
    expect(job.status).toBe("REJECTED");
    expect(job.error?.code).toBe("SnapshotNotFound");
    expect({ a: await copiesStarted(A), b: await copiesStarted(B) }).toEqual(before);
  });
});

describe("each account's own job", () => {
  it("copies its own snapshot into its own account's destination region", async () => {
    // Act
    const jobOfA = await replicate(A, snapshotOf[A] ?? "");
    const jobOfB = await replicate(B, snapshotOf[B] ?? "");
    const [endedA, endedB] = await Promise.all([ended(A, jobOfA), ended(B, jobOfB)]);

    // Assess
    expect([endedA.status, endedB.status]).toEqual(["COMPLETED", "COMPLETED"]);
    const seen = {
      aOwnCopy: await copiesSeenBy(A, "ap-mumbai", jobOfA),
      bOwnCopy: await copiesSeenBy(B, "ap-mumbai", jobOfB),
      aSeesB: await copiesSeenBy(A, "ap-mumbai", jobOfB),
      bSeesA: await copiesSeenBy(B, "ap-mumbai", jobOfA),
    };
    expect(seen.aOwnCopy.map((s) => s.SnapshotId)).toEqual([
      endedA.copies[0]?.destinationSnapshotId,
    ]);
    expect(seen.aOwnCopy[0]?.OwnerId).toBe(A);
    expect(seen.bOwnCopy.map((s) => s.SnapshotId)).toEqual([
      endedB.copies[0]?.destinationSnapshotId,
    ]);
    expect(seen.bOwnCopy[0]?.OwnerId).toBe(B);
    expect(seen.aSeesB).toEqual([]);
    expect(seen.bSeesA).toEqual([]);
  });
});

describe("an account snaprelay cannot enter", () => {
  it.each([
    ["without the role", WITHOUT_ROLE],
    ["whose role trusts another external id", WRONG_EXTERNAL_ID],
  ])(
    "ends a job REJECTED with AccountAccessDenied, naming the role to create, for an account %s",
    async (_case, account) => {
      // Prepare
      const before = await copiesStarted(account);

      // Act
      const job = await ended(account, await replicate(account, snapshotOf[account] ?? ""));

      // Assess
      expect(job.status).toBe("REJECTED");
      expect(job.error?.code).toBe("AccountAccessDenied");
      expect(job.error?.message).toContain(`arn:aws:iam::${account}:role/${LOCAL.accountRoleName}`);
      expect(job.error?.message).toContain("Create that role");
      expect(await copiesStarted(account)).toBe(before);
    },
  );
});

describe("an account's role sessions", () => {
  it("name the job each call was made for, one session per job and function: 20 jobs cost at most one AssumeRole per job and function that acts for it", async () => {
    // Prepare
    const snapshots = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 20, {
      blocks: 1,
      blockSizeBytes: 512 * 1024,
      label: "reuse",
      accountId: B,
    });
    const before = await stats();

    // Act
    const jobs = await Promise.all(snapshots.map((id) => replicate(B, id, "ap-beijing")));
    const outcomes = await Promise.all(jobs.map((jobId) => ended(B, jobId)));
    const after = await stats();

    // Assess: what the tenant's CloudTrail would show as the sessions that acted in it
    const calls =
      (after.sts.assumeRoleCallsByAccount[B] ?? 0) - (before.sts.assumeRoleCallsByAccount[B] ?? 0);
    const sessions = (after.sts.sessionNamesByAccount[B] ?? []).slice(
      (before.sts.sessionNamesByAccount[B] ?? []).length,
    );
    console.info(`AssumeRole calls for account ${B} over ${jobs.length} jobs: ${calls}`);
    expect(outcomes.map((job) => job.status)).toEqual(jobs.map(() => "COMPLETED"));
    const named = new Set([...jobs.map((jobId) => `snaprelay-${jobId}`), "snaprelay-api"]);
    expect(sessions.filter((name) => !named.has(name))).toEqual([]);
    for (const jobId of jobs) expect(sessions).toContain(`snaprelay-${jobId}`);
    // validate, startCopy, pollCopy, copyEvents (confirming the copy's event, now that the
    // tenant's events reach it) and finalize: each keeps a job's session across its calls.
    expect(calls).toBeLessThanOrEqual(jobs.length * 5 + 1);
  });
});

describe("the snapshot quota", () => {
  it("counts per account: account A filling a region does not refuse account B there", async () => {
    // Prepare: A holds the whole quota in ap-chengdu
    await makeDistinctSnapshots(stack.cloudUrl, "ap-chengdu", QUOTA, {
      blocks: 1,
      blockSizeBytes: 512 * 1024,
      label: "quota",
      accountId: A,
    });

    // Act
    const [jobOfA, jobOfB] = await Promise.all([
      replicate(A, snapshotOf[A] ?? "", "ap-chengdu").then((jobId) => ended(A, jobId)),
      replicate(B, snapshotOf[B] ?? "", "ap-chengdu").then((jobId) => ended(B, jobId)),
    ]);

    // Assess
    expect(jobOfA.status).toBe("REJECTED");
    expect(jobOfA.error?.code).toBe("QuotaExceeded");
    expect(jobOfB.status).toBe("COMPLETED");
  });
});

describe("connecting a seeded account (POST /account/connect)", () => {
  it("assumes its role with the deployment's external id, and names the role when that fails", async () => {
    // Act
    const ready = await call(B, "POST", "/account/connect");
    const withoutRole = await call(WITHOUT_ROLE, "POST", "/account/connect");
    const wrongId = await call(WRONG_EXTERNAL_ID, "POST", "/account/connect");

    // Assess
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);
    expect(ready.body).toMatchObject({
      accountId: B,
      status: "CONNECTED",
      roleArn: `arn:aws:iam::${B}:role/${LOCAL.accountRoleName}`,
      seeded: true,
    });
    for (const [account, refused] of [
      [WITHOUT_ROLE, withoutRole],
      [WRONG_EXTERNAL_ID, wrongId],
    ] as const) {
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({
        error: {
          code: "AccountAccessDenied",
          message: expect.stringContaining(`arn:aws:iam::${account}:role/${LOCAL.accountRoleName}`),
        },
      });
    }
  });
});
