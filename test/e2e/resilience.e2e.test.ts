// Nothing lost or stuck, on the real local stack run as `npm start` runs it: a burst of 100
// POSTs at once on a freshly started stack, a job left PENDING without an execution for the
// sweeper, and the stack SIGKILLed while copies run and started again. Outcomes, not times.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoJobStore } from "../../functions/adapters/dynamodb/job-store.js";
import { TAG_JOB_ID } from "../../functions/core/copy-tags.js";
import { newJob } from "../../functions/core/create-replication.js";
import { isFinishedJob, JOB_STATUSES } from "../../functions/core/job.js";
import { jobsTableName, LOCAL } from "../../local/defaults.js";
import { dynamoClient } from "../../local/dynamodb.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots, snapshotsTagged } from "../support/cloud-snapshots.js";
import { assertConforms } from "../support/openapi-conformance.js";
import { credentials } from "../support/services.js";
import { signedAs } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";

const SOURCE = "ap-shanghai";
const LISTING_ACCOUNT = "444455556666";
const DESTINATION = "ap-mumbai";
const BLOCK_SIZE = 512 * 1024;
// What a runtime's error object or a stack trace looks like in a body.
const RUNTIME_ERROR = /errorType|errorMessage|stackTrace|"trace"|\n\s+at\s|Lambda timeout/;

interface Job {
  jobId: string;
  status: string;
  executionArn: string | null;
  copies: { status: string; destinationSnapshotId: string | null; error: unknown }[];
}

const api = (stack: StackProcess) => {
  const headers = { "content-type": "application/json" };
  return {
    async post(snapshotId: string) {
      const request = { snapshotId, sourceRegion: SOURCE, destinationRegions: [DESTINATION] };
      const response = await fetch(`${stack.api}/replications`, {
        method: "POST",
        headers: { ...headers, authorization: await stack.token().authorization() },
        body: JSON.stringify(request),
      });
      // The raw text is kept: the tests look for a runtime's error in it.
      const text = await response.text();
      let responseBody: unknown;
      try {
        responseBody = JSON.parse(text);
      } catch {
        responseBody = text;
      }
      assertConforms({
        method: "POST",
        path: "/replications",
        status: response.status,
        requestBody: request,
        responseBody,
      });
      return { status: response.status, text, requestId: response.headers.get("x-request-id") };
    },
    async job(jobId: string): Promise<Job> {
      return (await apiCall(stack.api, "GET", `/replications/${jobId}`, { token: stack.token() }))
        .body as unknown as Job;
    },
    async listed(): Promise<string[]> {
      const ids: string[] = [];
      let nextToken: string | undefined;
      do {
        const query = `limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ""}`;
        const page = (
          await apiCall(stack.api, "GET", `/replications?${query}`, { token: stack.token() })
        ).body as unknown as { jobs: Job[]; nextToken?: string };
        ids.push(...page.jobs.map((job) => job.jobId));
        nextToken = page.nextToken;
      } while (nextToken);
      return ids;
    },
  };
};

/** Polls every job until all have ended; the jobs as they ended. */
const untilAllEnded = async (stack: StackProcess, jobIds: string[], timeoutMs: number) => {
  const client = api(stack);
  const ended = new Map<string, Job>();
  const deadline = Date.now() + timeoutMs;
  while (ended.size < jobIds.length) {
    for (const jobId of jobIds) {
      if (ended.has(jobId)) continue;
      const job = await client.job(jobId);
      if (isFinishedJob(job.status)) ended.set(jobId, job);
    }
    if (ended.size === jobIds.length) break;
    if (Date.now() > deadline) {
      const open = jobIds.filter((id) => !ended.has(id));
      throw new Error(`${open.length} jobs never ended, e.g. ${open[0]}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return [...ended.values()];
};

/** How many copies each job has in the destination, by its job-id tag. */
const copiesPerJob = async (stack: StackProcess, jobIds: string[]) => {
  const copies = await snapshotsTagged(stack.cloudUrl, DESTINATION, TAG_JOB_ID, jobIds);
  const counts = new Map<string, number>(jobIds.map((id) => [id, 0]));
  for (const copy of copies) {
    const jobId = copy.Tags?.find((tag) => tag.Key === TAG_JOB_ID)?.Value ?? "";
    counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
  }
  return counts;
};

const mostPendingCopies = async (stack: StackProcess): Promise<number> => {
  const stats = (await (await fetch(`${stack.cloudUrl}/_admin/stats`)).json()) as {
    regions: Record<string, { mostPendingCopies: number }>;
  };
  return stats.regions[DESTINATION]?.mostPendingCopies ?? 0;
};

describe("a burst of 100 POSTs at once on a freshly started stack", () => {
  let dataDir: string;
  let stack: StackProcess;
  let answers: Awaited<ReturnType<ReturnType<typeof api>["post"]>>[];
  let planted: { jobId: string; at: number };
  let burstStarted: number;
  let documents: DynamoDBDocumentClient;
  let answeredAfterMs: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "snaprelay-burst-"));
    stack = await startStackProcess({
      dataDir,
      env: {
        // Each copy moves 2 MiB at 1 MiB/s: copies last seconds, so the region's 20 slots fill.
        LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(1024 * 1024),
        SNAPRELAY_WAIT_SCALE: "0.1",
        ALLOWLISTED_ACCOUNTS: `${LOCAL.demoAccountId},${LISTING_ACCOUNT}`,
      },
    });
    const snapshots = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 101, {
      blocks: 4,
      blockSizeBytes: BLOCK_SIZE,
      label: "burst",
    });

    // A job as a crash between writing it and starting it leaves it: PENDING, no execution.
    documents = DynamoDBDocumentClient.from(
      dynamoClient(`http://127.0.0.1:${stack.ports.dynamodb}`),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    const orphan = newJob(
      LOCAL.demoAccountId,
      {
        snapshotId: snapshots[100] ?? "",
        sourceRegion: SOURCE,
        destinationRegions: [DESTINATION],
        name: "left behind by a crash",
        tags: {},
      },
      `job-planted-${Date.now()}`,
      new Date(Date.now() - 60_000),
    );
    await new DynamoJobStore(documents, jobsTableName).create(orphan);
    planted = { jobId: orphan.jobId, at: Date.now() };

    const client = api(stack);
    // One proof for the whole burst, made before it, as a client signs once for its requests.
    await stack.token().authorization();
    burstStarted = Date.now();
    answers = await Promise.all(snapshots.slice(0, 100).map((id) => client.post(id)));
    answeredAfterMs = Date.now() - burstStarted;
  }, 240_000);

  afterAll(async () => {
    documents?.destroy();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("answers every request with 202 and a job, or a contract error, never a runtime's error", () => {
    // Assess
    for (const answer of answers) {
      expect(answer.text).not.toMatch(RUNTIME_ERROR);
      const body = JSON.parse(answer.text) as { jobId?: string; error?: object };
      if (answer.status === 202) expect(body.jobId).toMatch(/^job-/);
      else {
        // Busy, or past the account's request rate: both say when to try again.
        expect([429, 503]).toContain(answer.status);
        expect(Object.keys(body.error ?? {}).sort()).toEqual(["code", "message"]);
      }
    }
    expect(answers.filter((answer) => answer.status === 202).length).toBeGreaterThan(0);
  });

  it("gives every answer a request id of its own", () => {
    // Act
    const ids = answers.map((answer) => answer.requestId);

    // Assess
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id ?? ""))).toBe(true);
    expect(new Set(ids).size).toBe(answers.length);
  });

  it("completes every accepted job with one copy each, never over 20 pending in the region", async () => {
    // Prepare
    const accepted = answers
      .filter((answer) => answer.status === 202)
      .map((answer) => (JSON.parse(answer.text) as { jobId: string }).jobId);

    // Act
    const ended = await untilAllEnded(stack, accepted, 240_000);
    const copies = await copiesPerJob(stack, accepted);

    // Assess
    const most = await mostPendingCopies(stack);
    console.info(
      `burst: ${accepted.length} of 100 accepted, all answered in ${answeredAfterMs} ms, all ended ${Date.now() - burstStarted} ms after the first POST; at most ${most} copies pending in ${DESTINATION}`,
    );
    expect(ended.filter((job) => job.status !== "COMPLETED")).toEqual([]);
    expect([...copies.values()].every((count) => count === 1)).toBe(true);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(20);
  }, 300_000);

  it("starts a job left PENDING with no execution within one sweep, and completes it", async () => {
    // Act
    const client = api(stack);
    let job = await client.job(planted.jobId);
    while (job.executionArn === null && Date.now() - planted.at < 90_000) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      job = await client.job(planted.jobId);
    }
    const [ended] = await untilAllEnded(stack, [planted.jobId], 120_000);
    // When the sweep started it, as its execution says: this test may begin long after that,
    // once the tests before it are done.
    const sfn = new SFNClient({ region: LOCAL.homeRegion, endpoint: stack.sfnUrl, credentials });
    const execution = job.executionArn
      ? await sfn.send(new DescribeExecutionCommand({ executionArn: job.executionArn }))
      : undefined;
    sfn.destroy();
    const startedAfterMs =
      (execution?.startDate?.getTime() ?? Number.POSITIVE_INFINITY) - planted.at;

    // Assess: the sweep runs each minute and takes jobs unstarted for 30 s
    expect(job.executionArn).toMatch(/:execution:.+:job-planted-/);
    expect(startedAfterMs).toBeLessThan(75_000);
    expect(ended?.status).toBe("COMPLETED");
  }, 240_000);
  it("lists 250 jobs under every status through the API, a page at a time, each once", async () => {
    // Prepare: jobs of another account in every status, made a day ahead so that the sweeper
    // leaves these made-up jobs alone
    const store = new DynamoJobStore(documents, jobsTableName);
    const made: { jobId: string; status: string }[] = [];
    const tomorrow = Date.now() + 86_400_000;
    for (let index = 0; index < 250; index++) {
      const status = JOB_STATUSES[index % JOB_STATUSES.length] ?? "PENDING";
      const job = newJob(
        LISTING_ACCOUNT,
        {
          snapshotId: `snap-${String(index % 5).padStart(8, "0")}`,
          sourceRegion: SOURCE,
          destinationRegions: [DESTINATION],
          name: "listed",
          tags: {},
        },
        `job-listed-${String(index).padStart(4, "0")}`,
        new Date(tomorrow + index * 1000),
      );
      await store.create({ ...job, status });
      made.push({ jobId: job.jobId, status });
    }
    const token = signedAs(stack, LISTING_ACCOUNT);

    for (const status of JOB_STATUSES) {
      // Act
      const seen: string[] = [];
      let pages = 0;
      let nextToken: string | undefined;
      do {
        const query = `status=${status}&limit=10${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ""}`;
        const response = await apiCall(stack.api, "GET", `/replications?${query}`, { token });
        expect(response.status, `GET /replications?${query}`).toBe(200);
        const page = response.body as unknown as { jobs: Job[]; nextToken?: string };
        seen.push(...page.jobs.map((job) => job.jobId));
        nextToken = page.nextToken;
        pages++;
      } while (nextToken);

      // Assess
      const expected = made
        .filter((job) => job.status === status)
        .map((job) => job.jobId)
        .reverse();
      expect(seen, status).toEqual(expected);
      expect(pages).toBeGreaterThan(3);
    }
  }, 120_000);
});

describe("the stack SIGKILLed while copies run, then started again", () => {
  let dataDir: string;
  let stack: StackProcess;
  let jobIds: string[];
  let copyingAtKill: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "snaprelay-crash-"));
    const start = {
      dataDir,
      env: {
        // 4 MiB a copy at 1 MiB/s: each copy runs about 4 s.
        LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(1024 * 1024),
        // Retries stay longer than a dead attempt's claim on a copy (45 s locally).
        SNAPRELAY_WAIT_SCALE: "0.25",
      },
    };
    const first = await startStackProcess(start);
    const snapshots = await makeDistinctSnapshots(first.cloudUrl, SOURCE, 12, {
      blocks: 8,
      blockSizeBytes: BLOCK_SIZE,
      label: "crash",
    });
    const client = api(first);
    const answers = await Promise.all(snapshots.map((id) => client.post(id)));
    jobIds = answers.map((answer) => (JSON.parse(answer.text) as { jobId: string }).jobId);
    // Kill once copies are under way and before they are all done.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const jobs = await Promise.all(jobIds.map((id) => client.job(id)));
      copyingAtKill = jobs
        .filter((job) => job.copies[0]?.status === "COPYING")
        .map((job) => job.jobId);
      if (copyingAtKill.length >= 3) break;
      if (Date.now() > deadline) throw new Error("no copy was ever seen running");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await first.kill();
    stack = await first.restart();
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("still lists every job after the restart", async () => {
    // Act
    const listed = await api(stack).listed();

    // Assess
    expect(listed).toEqual(expect.arrayContaining(jobIds));
  });

  it("completes every job, with exactly one copy each", async () => {
    // Act
    const ended = await untilAllEnded(stack, jobIds, 240_000);
    const copies = await copiesPerJob(stack, jobIds);

    // Assess
    expect(ended.map((job) => job.status)).toEqual(jobIds.map(() => "COMPLETED"));
    expect([...copies.values()]).toEqual(jobIds.map(() => 1));
  }, 300_000);

  it("keeps each execution's history from before the kill, continued after it", async () => {
    // Prepare
    const sfn = new SFNClient({ region: LOCAL.homeRegion, endpoint: stack.sfnUrl, credentials });
    const client = api(stack);

    // Act
    const histories = await Promise.all(
      copyingAtKill.map(async (jobId) => {
        const { executionArn } = await client.job(jobId);
        const { events = [] } = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn: executionArn ?? "", maxResults: 1000 }),
        );
        return events;
      }),
    );
    sfn.destroy();

    // Assess
    expect(histories.length).toBeGreaterThanOrEqual(3);
    for (const events of histories) {
      const entered = events.flatMap((event) => event.stateEnteredEventDetails?.name ?? []);
      expect(events[0]?.type).toBe("ExecutionStarted");
      expect(entered.slice(0, 3)).toEqual(["Validate", "IsAccepted", "CopyToDestinations"]);
      // Killed inside the copy, the execution resumed by entering that state again.
      expect(entered.filter((name) => name === "CopyToDestinations")).toHaveLength(2);
      expect(events.at(-1)?.type).toBe("ExecutionSucceeded");
      expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    }
  });
});
