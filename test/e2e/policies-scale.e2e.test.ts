// A DR policy at fleet scale, on the local stack with the compressed clock: one run selects 200
// volumes by tag, makes 200 ordinary jobs in batches, and every one of them goes through the copy
// queue of one destination region and completes.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall } from "../support/api-call.js";
import { type CloudVolumes, cloudVolumes } from "../support/cloud-volumes.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";

const SOURCE = "ap-shanghai";
const DR = "ap-chengdu";
const VOLUMES = 200;

let dataDir: string;
let stack: StackProcess;
let cloud: CloudVolumes;

const call = (method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token: stack.token(), body });

/** How many of the account's jobs are in `status`, walking every page. */
const countJobs = async (status: string): Promise<number> => {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const query = `status=${status}&limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ""}`;
    const { body } = await call("GET", `/replications?${query}`);
    count += (body.jobs as unknown[]).length;
    nextToken = body.nextToken as string | undefined;
  } while (nextToken);
  return count;
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-fleet-"));
  stack = await startStackProcess({
    dataDir,
    env: { SNAPRELAY_CLOCK_SPEED: "20", SWEEP_START_GRACE_SECONDS: "30" },
  });
  cloud = cloudVolumes(stack.cloudUrl);
  // The fleet, ten volumes at a time.
  for (let index = 0; index < VOLUMES; index += 10) {
    await Promise.all(
      Array.from({ length: 10 }, async () =>
        cloud.snapshot(SOURCE, await cloud.volume(SOURCE, 1, { fleet: "big" })),
      ),
    );
  }
}, 300_000);

afterAll(async () => {
  cloud?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("a policy selecting 200 volumes by tag into one region", () => {
  it("makes 200 jobs in one run, and all of them complete", async () => {
    // Prepare: due half a day from now, so that no scheduled run comes while the test runs (the
    // clock runs 20× faster: with a fixed hour, a suite run an hour or so before it met that
    // hour's run, which found every volume copied and skipped them all).
    const dueHour = (new Date().getUTCHours() + 12) % 24;
    const created = await call("POST", "/policies", {
      name: "fleet-dr",
      sourceRegion: SOURCE,
      selector: { tags: { fleet: "big" } },
      destinationRegions: [DR],
      schedule: `cron(0 ${dueHour} * * ? *)`,
      retention: { count: 2 },
      rpoMinutes: 1440,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const policyId = String(created.body.policyId);

    // Act
    const run = await call("POST", `/policies/${policyId}/run`);
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    // A run that runs out of the request's time is finished by the scheduler's next tick.
    const recorded = await waitFor(async () => {
      const { status, body } = await call("GET", `/policies/${policyId}`);
      // A busy API may answer 503 (ServiceBusy): ask again. Anything else is a failure.
      if (status === 503) return undefined;
      expect(status, JSON.stringify(body)).toBe(200);
      const [last] = body.lastRuns as {
        status: string;
        jobs: unknown[];
        counts: { jobs: number; skipped: number; failures: number };
        volumesHref: string;
      }[];
      return last?.status === "STARTED" ? last : undefined;
    }, 180_000);
    const completed = await waitFor(async () => {
      const done = await countJobs("COMPLETED");
      return done === VOLUMES ? done : undefined;
    }, 600_000);

    // Assess: the run counts every volume, lists the first 100, and pages through them all.
    expect(recorded.counts.jobs, JSON.stringify({ ...recorded, jobs: recorded.jobs.length })).toBe(
      VOLUMES,
    );
    expect(recorded.jobs).toHaveLength(Math.min(VOLUMES, 100));
    let listed = 0;
    let nextToken: string | undefined;
    do {
      const page = await call(
        "GET",
        `${recorded.volumesHref}?outcome=job&limit=500${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ""}`,
      );
      listed += (page.body.volumes as unknown[]).length;
      nextToken = page.body.nextToken as string | undefined;
    } while (nextToken);
    expect(listed).toBe(VOLUMES);
    expect(completed).toBe(VOLUMES);
    expect(await countJobs("FAILED")).toBe(0);
  }, 900_000);
});

const waitFor = async <T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("gave up waiting");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
};
