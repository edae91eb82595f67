// A copy's end told by its own event, on the real local stack: the local cloud sends EBS's
// copySnapshot event to the local EventBridge, whose rule calls the copyEvents function, which
// ends the copy's wait. A dropped event is made good by the wait's safety poll; a failed copy
// fails with the cloud's cause; a repeated event changes nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetExecutionHistoryCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFinishedJob } from "../../functions/core/job.js";
import { copyEventEntry } from "../../local/cloud/copy-events.js";
import { LOCAL } from "../../local/defaults.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { credentials } from "../support/services.js";
import type { Signer } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";
import { until as waitUntil } from "../support/until.js";

const SOURCE = "ap-shanghai";
const BLOCK = 512 * 1024;
// 4 MiB/s: a copy of n blocks of 512 KiB lasts n/8 seconds.
const BYTES_PER_SECOND = 4 * 1024 * 1024;

interface Copy {
  status: string;
  progress: number;
  etaSeconds: number | null;
  startedAt: string | null;
  destinationSnapshotId: string | null;
  completedAt: string | null;
  error: { code: string; message: string } | null;
}
interface Job {
  jobId: string;
  status: string;
  updatedAt: string;
  executionArn: string | null;
  copies: Copy[];
}
interface EventCounts {
  sent: number;
  dropped: number;
  undelivered: number;
}

let dataDir: string;
let stack: StackProcess;
let token: Signer;
let sfn: SFNClient;

const call = (method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token, body });

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000) =>
  waitUntil(what, probe, timeoutMs, 100);

/**
 * Copies one fresh snapshot of `blocks` blocks to ap-mumbai; answers the job once it ended.
 * `watch` sees the job body at each look while it runs.
 */
const copyOnce = async (
  blocks: number,
  label: string,
  watch: (job: Job) => void = () => {},
): Promise<Job> => {
  const [snapshotId] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
    blocks,
    blockSizeBytes: BLOCK,
    label,
  });
  const posted = await call("POST", "/replications", {
    snapshotId,
    sourceRegion: SOURCE,
    destinationRegions: ["ap-mumbai"],
  });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  const jobId = String(posted.body.jobId);
  return until(`job ${jobId} to end`, async () => {
    const job = (await call("GET", `/replications/${jobId}`)).body as unknown as Job;
    if (isFinishedJob(job.status)) return job;
    watch(job);
    return undefined;
  });
};

/** The states the job's execution entered, in order. */
const statesOf = async (job: Job): Promise<string[]> => {
  const history = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn: String(job.executionArn), maxResults: 1000 }),
  );
  return (history.events ?? []).flatMap((event) => {
    const name = event.stateEnteredEventDetails?.name;
    return name ? [name] : [];
  });
};

const cloudAdmin = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${stack.cloudUrl}/_admin/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok, `${method} ${path}`).toBe(true);
  return response.json();
};

const eventCounts = async () =>
  ((await cloudAdmin("GET", "stats")) as { events: EventCounts }).events;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-events-"));
  stack = await startStackProcess({
    dataDir,
    env: {
      LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(BYTES_PER_SECOND),
      // The first wait lasts a 1 GiB volume at 50 MiB/s: 24 s, far past these copies' ends, so
      // only an event or a lost event's safety poll (after 24 s) can end them.
      COPY_ASSUMED_MIB_PER_SECOND: "50",
    },
  });
  token = stack.token();
  sfn = new SFNClient({ region: LOCAL.homeRegion, endpoint: stack.sfnUrl, credentials });
}, 200_000);

afterAll(async () => {
  sfn?.destroy();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("a copy's end", () => {
  it("is noticed by its event within a few seconds, with no poll of the copy", async () => {
    // Prepare
    const before = await eventCounts();

    // Act: a copy of 2 s
    const started = Date.now();
    const job = await copyOnce(16, "event");
    const tookMs = Date.now() - started;

    // Assess
    expect(job.status).toBe("COMPLETED");
    const states = await statesOf(job);
    expect(states).toContain("AwaitCopy");
    expect(states).not.toContain("PollCopy");
    expect((await eventCounts()).sent).toBeGreaterThan(before.sent);
    // Far sooner than the 24 s first wait: the event ended it.
    expect(tookMs).toBeLessThan(15_000);
  }, 120_000);

  it("is found by the safety poll when its event is lost", async () => {
    // Prepare
    await cloudAdmin("PUT", "knobs", { eventDropRate: 1 });
    const before = await eventCounts();

    // Act
    const job = await copyOnce(16, "dropped").finally(() =>
      cloudAdmin("PUT", "knobs", { eventDropRate: 0 }),
    );

    // Assess
    expect(job.status).toBe("COMPLETED");
    expect((await eventCounts()).dropped).toBe(before.dropped + 1);
    expect((await statesOf(job)).filter((state) => state === "PollCopy")).toHaveLength(1);
  }, 120_000);

  it("fails a copy the cloud failed, with the cloud's cause, at once", async () => {
    // Prepare
    await cloudAdmin("PUT", "knobs", { copyFailureRate: 1 });

    // Act
    const started = Date.now();
    const job = await copyOnce(16, "failing").finally(() =>
      cloudAdmin("PUT", "knobs", { copyFailureRate: 0 }),
    );
    const tookMs = Date.now() - started;

    // Assess
    expect(job.status).toBe("FAILED");
    expect(job.copies[0]?.error?.code).toBe("CopyFailed");
    expect(job.copies[0]?.error?.message).toMatch(/failed at \d+%/);
    expect(await statesOf(job)).not.toContain("PollCopy");
    expect(tookMs).toBeLessThan(15_000);
    // The copy sends for at most 2 s before it fails; its failure is recorded within 5 s of that.
    const copy = job.copies[0];
    expect(
      Date.parse(String(copy?.completedAt ?? job.updatedAt)) - Date.parse(String(copy?.startedAt)),
    ).toBeLessThan(7_000);
  }, 120_000);

  it("is foretold by the job's ETA: in the second half of a steady copy, within a quarter of the time left", async () => {
    // Prepare: a copy of 30 s, looked at every 100 ms
    const looks: { at: number; progress: number; etaSeconds: number | null }[] = [];

    // Act
    const job = await copyOnce(240, "eta", (current) => {
      const copy = current.copies[0];
      if (copy?.status === "COPYING") {
        looks.push({ at: Date.now(), progress: copy.progress, etaSeconds: copy.etaSeconds });
      }
    });

    // Assess: each look from halfway to 80% of the copy's time, against its real end
    const endedAt = Date.parse(String(job.copies[0]?.completedAt));
    const duration = endedAt - Date.parse(String(job.copies[0]?.startedAt));
    const secondHalf = looks.filter(
      (look) => endedAt - look.at <= duration * 0.5 && endedAt - look.at >= duration * 0.2,
    );
    expect(secondHalf.length).toBeGreaterThan(10);
    const worst = Math.max(
      ...secondHalf.map((look) => {
        const left = (endedAt - look.at) / 1000;
        return Math.abs((look.etaSeconds ?? 0) - left) / left;
      }),
    );
    console.log(
      `ETA: ${secondHalf.length} looks, worst error ${(worst * 100).toFixed(1)}% of the time left`,
    );
    for (const look of secondHalf) {
      const left = (endedAt - look.at) / 1000;
      expect(look.etaSeconds, JSON.stringify({ ...look, left })).not.toBeNull();
      expect(Math.abs((look.etaSeconds ?? 0) - left)).toBeLessThanOrEqual(left * 0.25);
    }
  }, 120_000);

  it("told twice changes nothing the first told", async () => {
    // Prepare
    const job = await copyOnce(8, "twice");
    const copy = job.copies[0];
    const events = new EventBridgeClient({
      region: LOCAL.homeRegion,
      endpoint: stack.eventsUrl,
      credentials,
    });

    // Act: the event again, now saying the copy failed
    await events.send(
      new PutEventsCommand({
        Entries: [
          copyEventEntry({
            accountId: LOCAL.demoAccountId,
            sourceRegion: SOURCE,
            sourceSnapshotId: "snap-00000000",
            destinationRegion: "ap-mumbai",
            destinationSnapshotId: String(copy?.destinationSnapshotId),
            result: "failed",
            cause: "a late and wrong event",
            startTime: new Date().toISOString(),
            endTime: new Date().toISOString(),
            incremental: false,
          }),
        ],
      }),
    );
    events.destroy();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = (await call("GET", `/replications/${job.jobId}`)).body as unknown as Job;

    // Assess
    expect(job.status).toBe("COMPLETED");
    expect(after.status).toBe("COMPLETED");
    expect(after.copies[0]).toEqual(copy);
  }, 120_000);
});
