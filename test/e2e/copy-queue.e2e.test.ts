// The copy queue on the real local stack: copies beyond a region's slots wait, oldest first, and
// show their place; another account's copy never waits behind them; a copy whose execution was
// stopped mid-copy is taken over by a new execution and completes, its slot then handed on.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SFNClient, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFinishedJob } from "../../functions/core/job.js";
import { LOCAL } from "../../local/defaults.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { credentials } from "../support/services.js";
import { type Signer, signedAs } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";
import { until } from "../support/until.js";

const A = LOCAL.demoAccountId;
const B = "444455556666";
const SOURCE = "ap-shanghai";
// Three slots in ap-chengdu, one in ap-chongqing; every other region has EC2's 20.
const SLOTS = "20,ap-chengdu=3,ap-chongqing=1";
const BLOCK = 512 * 1024;

interface Copy {
  status: string;
  queuePosition?: number | null;
  destinationSnapshotId: string | null;
  startedAt: string | null;
  completedAt: string | null;
  error: { code: string; message: string } | null;
}
interface Job {
  jobId: string;
  status: string;
  executionArn: string | null;
  error: { code: string; message: string } | null;
  copies: Copy[];
}

let dataDir: string;
let stack: StackProcess;
const tokens: Record<string, Signer> = {};

const call = (account: string, method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token: tokens[account], body });

const replicate = async (account: string, snapshotId: string, destination: string) => {
  const { status, body } = await call(account, "POST", "/replications", {
    snapshotId,
    sourceRegion: SOURCE,
    destinationRegions: [destination],
  });
  expect(status, JSON.stringify(body)).toBe(202);
  return String(body.jobId);
};

const job = async (account: string, jobId: string) =>
  (await call(account, "GET", `/replications/${jobId}`)).body as unknown as Job;

const ended = (account: string, jobId: string) =>
  until(`job ${jobId} to end`, async () => {
    const current = await job(account, jobId);
    return isFinishedJob(current.status) ? current : undefined;
  });

const snapshots = (account: string, count: number, blocks: number, label: string) =>
  makeDistinctSnapshots(stack.cloudUrl, SOURCE, count, {
    blocks,
    blockSizeBytes: BLOCK,
    label,
    accountId: account,
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-queue-"));
  stack = await startStackProcess({
    dataDir,
    env: {
      COPY_SLOTS_PER_REGION: SLOTS,
      ALLOWLISTED_ACCOUNTS: `${A},${B}`,
      // 1 MiB/s: a copy of n blocks of 512 KiB lasts n/2 seconds.
      LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(1024 * 1024),
      SNAPRELAY_WAIT_SCALE: "0.1",
      // The sweeper looks at a job 5 s after it was made, then every 5 s.
      SWEEP_START_GRACE_SECONDS: "5",
      SWEEP_CHECK_SECONDS: "5",
    },
  });
  await fetch(`${stack.cloudUrl}/_admin/roles`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      accountId: B,
      roleName: LOCAL.accountRoleName,
      externalId: LOCAL.accountRoleExternalId,
    }),
  });
  for (const account of [A, B]) tokens[account] = signedAs(stack, account);
}, 200_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("copies beyond a region's slots", () => {
  it("wait their turn oldest first, show their place, and all complete with no cloud refusal", async () => {
    // Prepare: 9 copies of 8 s each into a region of 3 slots
    const ids = await snapshots(A, 9, 16, "fifo");

    // Act
    const jobs: string[] = [];
    for (const id of ids) jobs.push(await replicate(A, id, "ap-chengdu"));
    // The queue at one moment: every waiting copy and its place.
    const places = await until("six copies to wait, each with its place", async () => {
      const seen = await Promise.all(jobs.map((jobId) => job(A, jobId)));
      // A copy in the queue has a place; QUEUED alone may also mean "about to start".
      const waiting = seen.filter(
        (current) => typeof current.copies[0]?.queuePosition === "number",
      );
      return waiting.length === 6 ? waiting : undefined;
    });
    const slotsView = (await call(A, "GET", "/regions/ap-chengdu/copy-slots")).body;
    const outcomes = await Promise.all(jobs.map((jobId) => ended(A, jobId)));

    // Assess
    expect(places.map((waiting) => waiting.copies[0]?.queuePosition).sort()).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(slotsView).toMatchObject({ region: "ap-chengdu", limit: 3, inUse: 3, queueLength: 6 });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(jobs.map(() => "COMPLETED"));
    // Served in the order of their places: each started no earlier than the one before it.
    const startedByPlace = [...places]
      .sort((a, b) => (a.copies[0]?.queuePosition ?? 0) - (b.copies[0]?.queuePosition ?? 0))
      .map(
        (waiting) => outcomes.find((o) => o.jobId === waiting.jobId)?.copies[0]?.startedAt ?? "",
      );
    expect([...startedByPlace].sort()).toEqual(startedByPlace);
    const stats = (await (await fetch(`${stack.cloudUrl}/_admin/stats?account=${A}`)).json()) as {
      regions: Record<string, { mostPendingCopies: number }>;
    };
    expect(stats.regions["ap-chengdu"]?.mostPendingCopies).toBe(3);
  }, 180_000);
});

describe("another account's copy", () => {
  it("starts at once while the first account's copies wait in the same region", async () => {
    // Prepare: A fills ap-chengdu's 3 slots and queues 6 more (copies of 10 s)
    const idsOfA = await snapshots(A, 9, 20, "crowd");
    const [idOfB] = await snapshots(B, 1, 2, "alone");
    const jobsOfA: string[] = [];
    for (const id of idsOfA) jobsOfA.push(await replicate(A, id, "ap-chengdu"));
    await until("A's copies to queue", async () =>
      (await job(A, jobsOfA.at(-1) ?? "")).copies[0]?.status === "QUEUED" ? true : undefined,
    );

    // Act
    const jobOfB = await replicate(B, idOfB ?? "", "ap-chengdu");
    const outcomeOfB = await ended(B, jobOfB);
    const stillQueued = await Promise.all(jobsOfA.map((jobId) => job(A, jobId)));

    // Assess
    expect(outcomeOfB.status).toBe("COMPLETED");
    expect(stillQueued.some((queued) => queued.copies[0]?.status === "QUEUED")).toBe(true);
    await Promise.all(jobsOfA.map((jobId) => ended(A, jobId)));
  }, 240_000);
});

describe("a copy whose execution was stopped mid-copy", () => {
  it("is taken over by a new execution and completes, never deleted, while the next copy waits for its slot", async () => {
    // Prepare: a 60 s copy holds ap-chongqing's only slot and a short one waits behind it
    const [long] = await snapshots(A, 1, 120, "adopted-holder");
    const [short] = await snapshots(A, 1, 1, "adopted-next");
    const holder = await replicate(A, long ?? "", "ap-chongqing");
    const holding = await until("the long copy to be under way", async () => {
      const current = await job(A, holder);
      return current.copies[0]?.status === "COPYING" ? current : undefined;
    });
    const next = await replicate(A, short ?? "", "ap-chongqing");
    await until("the short copy to queue", async () =>
      (await job(A, next)).copies[0]?.status === "QUEUED" ? true : undefined,
    );

    // Act: stopped by hand, outside the state machine's own Catch
    const sfn = new SFNClient({ region: LOCAL.homeRegion, endpoint: stack.sfnUrl, credentials });
    await sfn.send(new StopExecutionCommand({ executionArn: holding.executionArn ?? "" }));
    sfn.destroy();
    const adopted = await until("a new execution to take the job over", async () => {
      const current = await job(A, holder);
      return current.executionArn?.endsWith(`${holder}-adopted-1`) ? current : undefined;
    });
    const holderOutcome = await ended(A, holder);
    const nextOutcome = await ended(A, next);

    // Assess
    expect(adopted.status).toBe("RUNNING");
    expect(holderOutcome.status).toBe("COMPLETED");
    expect(holderOutcome.copies[0]?.destinationSnapshotId).toBe(
      holding.copies[0]?.destinationSnapshotId,
    );
    expect(nextOutcome.status).toBe("COMPLETED");
    expect(Date.parse(nextOutcome.copies[0]?.startedAt ?? "")).toBeGreaterThanOrEqual(
      Date.parse(holderOutcome.copies[0]?.completedAt ?? ""),
    );
    const slots = (await call(A, "GET", "/regions/ap-chongqing/copy-slots")).body;
    expect(slots).toMatchObject({ limit: 1, inUse: 0, queueLength: 0 });
  }, 240_000);
});
