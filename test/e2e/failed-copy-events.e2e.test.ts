// A copy event that copyEvents fails on, on the real local stack: the local cloud throttles every
// EC2 call while the copy ends, so copyEvents cannot confirm the copy on the snapshot and fails;
// the local EventBridge runs it twice more (1 and 2 minutes later, on a clock 20 times fast) and
// then sends Lambda's invocation record to the function's on-failure destination, the local SQS
// queue; once EC2 answers again, the next sweep replays the event and the copy completes, long
// before its wait's first safety poll (set by an assumed copy rate of 0.05 MiB/s: 5.9 clock
// hours for a 1 GiB volume, 18 minutes at this clock) could have noticed it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SFNClient } from "@aws-sdk/client-sfn";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFinishedJob } from "../../functions/core/job.js";
import { failedCopyEventsQueueName, LOCAL } from "../../local/defaults.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { statesOf } from "../support/execution-states.js";
import { credentials } from "../support/services.js";
import type { Signer } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";
import { until } from "../support/until.js";

const SOURCE = "ap-shanghai";
const BLOCK = 512 * 1024;
const CLOCK_SPEED = 20;
// 256 KiB per clock second: 48 blocks take 96 clock seconds, 4.8 s.
const BYTES_PER_SECOND = 256 * 1024;

interface Job {
  jobId: string;
  status: string;
  executionArn: string | null;
  copies: Array<{ status: string; destinationSnapshotId: string | null; startedAt: string | null }>;
}

let dataDir: string;
let stack: StackProcess;
let token: Signer;
let sfn: SFNClient;
let sqs: SQSClient;

const call = (method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token, body });

const setKnobs = async (knobs: Record<string, number>) => {
  const response = await fetch(`${stack.cloudUrl}/_admin/knobs`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(knobs),
  });
  expect(response.ok).toBe(true);
};

const cloudStats = async () =>
  (await (await fetch(`${stack.cloudUrl}/_admin/stats`)).json()) as Record<string, unknown>;

/** Records in the failed copy events' queue, received or not. */
const recordsQueued = async (): Promise<number> => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: `${stack.sqsUrl}/${LOCAL.serviceAccountId}/${failedCopyEventsQueueName}`,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-failed-events-"));
  stack = await startStackProcess({
    dataDir,
    env: {
      SNAPRELAY_CLOCK_SPEED: String(CLOCK_SPEED),
      LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(BYTES_PER_SECOND),
      COPY_ASSUMED_MIB_PER_SECOND: "0.05",
    },
  });
  token = stack.token();
  sfn = new SFNClient({ region: LOCAL.homeRegion, endpoint: stack.sfnUrl, credentials });
  sqs = new SQSClient({ region: LOCAL.homeRegion, endpoint: stack.sqsUrl, credentials });
}, 200_000);

afterAll(async () => {
  sfn?.destroy();
  sqs?.destroy();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("a copy event copyEvents fails on", () => {
  it("goes to the failure destination after two retries, and the next sweep replays it: the copy completes, with no safety poll", async () => {
    // Prepare: a copy of 4.8 s under way
    const [snapshotId] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 48,
      blockSizeBytes: BLOCK,
      label: "failed-event",
    });
    const posted = await call("POST", "/replications", {
      snapshotId,
      sourceRegion: SOURCE,
      destinationRegions: ["ap-mumbai"],
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const jobId = String(posted.body.jobId);
    const copying = await until(
      `job ${jobId}'s copy to start`,
      async () => {
        const job = (await call("GET", `/replications/${jobId}`)).body as unknown as Job;
        return job.copies[0]?.destinationSnapshotId ? job : undefined;
      },
      60_000,
      50,
    );
    const queuedBefore = await recordsQueued();

    // Act: EC2 refuses every call from before the copy ends until its record is in the queue
    await setKnobs({ throttleRate: 1 });
    const throttledAt = Date.now();
    await until(
      "the failed event's record to reach the queue",
      async () => ((await recordsQueued()) > queuedBefore ? true : undefined),
      90_000,
      50,
    );
    const queuedAt = Date.now();
    await setKnobs({ throttleRate: 0 });
    const throttled = Number((await cloudStats()).throttledRequests ?? 0);
    const job = await until(
      `job ${jobId} to end`,
      async () => {
        const seen = (await call("GET", `/replications/${jobId}`)).body as unknown as Job;
        return isFinishedJob(seen.status) ? seen : undefined;
      },
      120_000,
      100,
    );
    const endedAt = Date.now();

    // Assess
    console.log(
      `record queued ${queuedAt - throttledAt} ms after EC2 began refusing (${throttled} calls refused); job ended ${endedAt - queuedAt} ms after`,
    );
    expect(copying.copies[0]?.status).toBe("COPYING");
    expect(job.status).toBe("COMPLETED");
    const states = await statesOf(sfn, job);
    expect(states).toContain("AwaitCopy");
    // The wait ended by the replayed event: its safety poll never ran.
    expect(states).not.toContain("PollCopy");
    // Two retries, 3 and then 6 s apart at this clock, came before the record.
    expect(queuedAt - throttledAt).toBeGreaterThanOrEqual(9_000);
    expect(await recordsQueued()).toBe(queuedBefore);
  }, 300_000);
});
