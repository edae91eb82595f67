// Cancel and history on the real local stack. A job cancelled while its copy waits, or while it
// copies, ends CANCELLED with who cancelled it; it leaves no place in the queue, no slot held and
// no snapshot in its destination, and its slot goes to the next copy. A finished job answers 409.
// A job's history reads as the states it went through, oldest first, a page at a time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TAG_JOB_ID } from "../../functions/core/copy-tags.js";
import { isFinishedJob } from "../../functions/core/job.js";
import { LOCAL } from "../../local/defaults.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots, snapshotsTagged } from "../support/cloud-snapshots.js";
import { credentials } from "../support/services.js";
import type { Signer } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";
import { until } from "../support/until.js";

const A = LOCAL.demoAccountId;
const SOURCE = "ap-shanghai";
// One slot in ap-chongqing: one copy runs, the others wait.
const REGION = "ap-chongqing";
const BLOCK = 512 * 1024;

interface Copy {
  status: string;
  queuePosition?: number | null;
  destinationSnapshotId: string | null;
  cleanup?: { snapshotId: string; state: string; message?: string };
}
interface Job {
  jobId: string;
  status: string;
  executionArn: string | null;
  copies: Copy[];
  cancellation?: { by: string; at: string; reason?: string };
}

let dataDir: string;
let stack: StackProcess;
let token: Signer;

const call = (method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token, body });

const replicate = async (snapshotId: string) => {
  const { status, body } = await call("POST", "/replications", {
    snapshotId,
    sourceRegion: SOURCE,
    destinationRegions: [REGION],
  });
  expect(status, JSON.stringify(body)).toBe(202);
  return String(body.jobId);
};

const job = async (jobId: string) =>
  (await call("GET", `/replications/${jobId}`)).body as unknown as Job;

const ended = (jobId: string) =>
  until(`job ${jobId} to end`, async () => {
    const current = await job(jobId);
    return isFinishedJob(current.status) ? current : undefined;
  });

const inStatus = (jobId: string, status: string) =>
  until(`job ${jobId}'s copy to be ${status}`, async () => {
    const current = await job(jobId);
    return current.copies[0]?.status === status ? current : undefined;
  });

/** The snapshots in the destination that a job's copies made (none, once cleaned up). */
const copiesMadeBy = async (jobId: string) =>
  snapshotsTagged(stack.cloudUrl, REGION, TAG_JOB_ID, [jobId]);

const slots = async () =>
  (await call("GET", `/regions/${REGION}/copy-slots`)).body as {
    inUse: number;
    queueLength: number;
    holders: { jobId: string }[];
  };

const executionStatus = async (executionArn: string) => {
  const sfn = new SFNClient({ region: LOCAL.homeRegion, endpoint: stack.sfnUrl, credentials });
  try {
    return (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
  } finally {
    sfn.destroy();
  }
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-cancel-"));
  stack = await startStackProcess({
    dataDir,
    env: {
      COPY_SLOTS_PER_REGION: `20,${REGION}=1`,
      // 1 MiB/s: a copy of n blocks of 512 KiB lasts n/2 seconds.
      LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(1024 * 1024),
      SNAPRELAY_WAIT_SCALE: "0.1",
    },
  });
  token = stack.token();
}, 200_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("cancelling jobs", () => {
  it("a QUEUED copy leaves the queue, a COPYING copy is deleted and its slot goes to the next copy", async () => {
    // Prepare: a long copy holds the region's only slot; two short ones wait behind it
    const [long] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 400,
      blockSizeBytes: BLOCK,
      label: "cancel-long",
    });
    const [second, third] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 2, {
      blocks: 2,
      blockSizeBytes: BLOCK,
      label: "cancel-short",
    });
    const holder = await replicate(long ?? "");
    await inStatus(holder, "COPYING");
    const queued = await replicate(second ?? "");
    const next = await replicate(third ?? "");
    await until("both to wait in the queue", async () =>
      (await slots()).queueLength === 2 ? true : undefined,
    );

    // Act: cancel the first waiting copy, then the running one
    const cancelQueued = await call("POST", `/replications/${queued}/cancel`, {
      reason: "snapshot no longer needed",
    });
    const afterQueuedCancel = await slots();
    const running = await job(holder);
    const cancelRunning = await call("POST", `/replications/${holder}/cancel`);
    const nextOutcome = await ended(next);

    // Assess: the queued copy
    expect(cancelQueued.status, JSON.stringify(cancelQueued.body)).toBe(202);
    expect(cancelQueued.body).toMatchObject({
      status: "CANCELLED",
      copies: [{ status: "CANCELLED" }],
      cancellation: { by: A, reason: "snapshot no longer needed" },
    });
    expect(afterQueuedCancel).toMatchObject({ inUse: 1, queueLength: 1 });
    expect(await copiesMadeBy(queued)).toEqual([]);
    // The running copy: its partial snapshot deleted, its execution stopped
    expect(cancelRunning.status, JSON.stringify(cancelRunning.body)).toBe(202);
    expect(cancelRunning.body).toMatchObject({
      status: "CANCELLED",
      copies: [
        {
          status: "CANCELLED",
          cleanup: { snapshotId: running.copies[0]?.destinationSnapshotId, state: "DELETED" },
        },
      ],
    });
    expect(await copiesMadeBy(holder)).toEqual([]);
    expect(await executionStatus(running.executionArn ?? "")).toBe("ABORTED");
    // Its slot went on: the next copy completed, and nothing is left held or waiting
    expect(nextOutcome.status).toBe("COMPLETED");
    expect(await slots()).toMatchObject({ inUse: 0, queueLength: 0 });
  }, 240_000);

  it("answers a second cancel with the cancelled job, unchanged", async () => {
    // Prepare
    const [id] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 200,
      blockSizeBytes: BLOCK,
      label: "twice",
    });
    const jobId = await replicate(id ?? "");
    await inStatus(jobId, "COPYING");
    const first = await call("POST", `/replications/${jobId}/cancel`);

    // Act
    const second = await call("POST", `/replications/${jobId}/cancel`);

    // Assess
    expect(second.status).toBe(202);
    expect(second.body.cancellation).toEqual(first.body.cancellation);
    expect(second.body.status).toBe("CANCELLED");
    expect(await slots()).toMatchObject({ inUse: 0, queueLength: 0 });
  }, 120_000);

  it("refuses a job that has completed with 409 JobFinished, leaving it and its copy as they were", async () => {
    // Prepare
    const [id] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 2,
      blockSizeBytes: BLOCK,
      label: "done",
    });
    const jobId = await replicate(id ?? "");
    const done = await ended(jobId);

    // Act
    const refused = await call("POST", `/replications/${jobId}/cancel`);

    // Assess
    expect(done.status).toBe("COMPLETED");
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: {
        code: "JobFinished",
        message: `Job ${jobId} has already ended COMPLETED; only a job that is still running can be cancelled.`,
      },
    });
    expect((await job(jobId)).status).toBe("COMPLETED");
    expect((await copiesMadeBy(jobId)).map((s) => s.State)).toEqual(["completed"]);
  }, 120_000);

  it("refuses a reason that is not text with 400 naming the field, and cancels nothing", async () => {
    // Prepare
    const [id] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 200,
      blockSizeBytes: BLOCK,
      label: "bad-reason",
    });
    const jobId = await replicate(id ?? "");

    // Act
    const refused = await call("POST", `/replications/${jobId}/cancel`, { reason: 42 });

    // Assess
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("reason");
    expect((await job(jobId)).status).not.toBe("CANCELLED");
    await call("POST", `/replications/${jobId}/cancel`);
  }, 120_000);
});

describe("a job's history", () => {
  it("lists the states its execution went through, oldest first, with times, a page at a time", async () => {
    // Prepare
    const [id] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 2,
      blockSizeBytes: BLOCK,
      label: "history",
    });
    const jobId = await replicate(id ?? "");
    await ended(jobId);

    // Act
    const whole = await call("GET", `/replications/${jobId}/history?limit=1000`);
    const pages: unknown[] = [];
    let nextToken: string | undefined;
    do {
      const query = nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : "";
      const page = await call("GET", `/replications/${jobId}/history?limit=3${query}`);
      expect(page.status).toBe(200);
      const pageEntries = page.body.entries as { enteredAt: string }[];
      // A page gives a state once it has ended: oldest entered first within the page.
      const pageTimes = pageEntries.map((entry) => entry.enteredAt);
      expect([...pageTimes].sort()).toEqual(pageTimes);
      pages.push(...pageEntries);
      nextToken = page.body.nextToken as string | undefined;
    } while (nextToken);

    // Assess
    expect(whole.status).toBe(200);
    const entries = whole.body.entries as {
      state: string;
      event: string;
      enteredAt: string;
      durationMs: number | null;
      destinationRegion: string | null;
    }[];
    const states = entries.map((entry) => entry.state);
    for (const state of ["Validate", "AcquireSlot", "StartCopy", "AwaitCopy", "FinalizeJob"]) {
      expect(states).toContain(state);
    }
    expect(entries[0]).toMatchObject({ state: "Execution", event: "Started" });
    expect(entries.at(-1)).toMatchObject({ state: "Execution", event: "Succeeded" });
    expect(entries.find((entry) => entry.state === "StartCopy")).toMatchObject({
      event: "Succeeded",
      destinationRegion: REGION,
    });
    const times = entries.map((entry) => entry.enteredAt);
    expect([...times].sort()).toEqual(times);
    // The pages hold every entry once, a state entered early perhaps on a later page.
    const inSomeOrder = (list: unknown[]) => list.map((entry) => JSON.stringify(entry)).sort();
    expect(inSomeOrder(pages)).toEqual(inSomeOrder(entries));
    expect(whole.body).not.toHaveProperty("executionArn");
  }, 120_000);

  it("refuses a page size out of range with 400 naming it", async () => {
    // Prepare
    const [id] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 2,
      blockSizeBytes: BLOCK,
      label: "history-limit",
    });
    const jobId = await replicate(id ?? "");

    // Act
    const refused = await call("GET", `/replications/${jobId}/history?limit=0`);

    // Assess
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("limit");
    await ended(jobId);
  }, 120_000);
});
