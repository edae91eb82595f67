// A copy's end told by its own event, on the real local stack: the local cloud sends EBS's
// copySnapshot event, signed as the copy's account's forwarding rule, to the local EventBridge,
// which stamps it with that account, admits it by serverless.yml's bus policy and calls the
// copyEvents function, which ends the copy's wait if the account is a tenant. A dropped event is
// made good by the wait's safety poll; a failed copy fails with the cloud's cause; a repeated
// event changes nothing; an account approved at run time gets its events at once; an account that
// is not a tenant gets nothing written; the bus refuses what its policy does not admit. And an
// execution stopped mid-copy is taken over at once by its own status-change event.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { CopySnapshotCommand, DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from "@aws-sdk/client-eventbridge";
import { SFNClient, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFinishedJob } from "../../functions/core/job.js";
import { copyEventEntry, ruleDeliveryClient } from "../../local/cloud/copy-events.js";
import { localCredentialsFor } from "../../local/cloud/local-credentials.js";
import { jobsTableName, LOCAL } from "../../local/defaults.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { statesOf } from "../support/execution-states.js";
import { credentials } from "../support/services.js";
import { type Signer, signedAs } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";
import { until as waitUntil } from "../support/until.js";

const SOURCE = "ap-shanghai";
const DEMO = LOCAL.demoAccountId;
/** Applies for access while the stack runs, and is approved. */
const NEWCOMER = "444455556666";
/** Never applies: not a tenant. */
const STRANGER = "777788889999";
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
const tokens: Record<string, Signer> = {};

const call = (method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token, body });

const callAs = (account: string, method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token: tokens[account], body });

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
  accountId: string = DEMO,
): Promise<Job> => {
  const [snapshotId] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
    blocks,
    blockSizeBytes: BLOCK,
    label,
    accountId,
  });
  const posted = await callAs(accountId, "POST", "/replications", {
    snapshotId,
    sourceRegion: SOURCE,
    destinationRegions: ["ap-mumbai"],
  });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  const jobId = String(posted.body.jobId);
  return until(`job ${jobId} to end`, async () => {
    const job = (await callAs(accountId, "GET", `/replications/${jobId}`)).body as unknown as Job;
    if (isFinishedJob(job.status)) return job;
    watch(job);
    return undefined;
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

/** A copy the account makes itself, straight in the cloud (no job): its event comes all the same. */
const copyInTheCloud = async (accountId: string, label: string): Promise<string> => {
  const [sourceSnapshotId] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
    blocks: 8,
    blockSizeBytes: BLOCK,
    label,
    accountId,
  });
  const ec2 = new EC2Client({
    region: "ap-mumbai",
    endpoint: stack.cloudUrl,
    credentials: localCredentialsFor(stack.cloudUrl, accountId),
  });
  try {
    const copied = await ec2.send(
      new CopySnapshotCommand({ SourceRegion: SOURCE, SourceSnapshotId: sourceSnapshotId }),
    );
    return String(copied.SnapshotId);
  } finally {
    ec2.destroy();
  }
};

/** What the jobs table holds where a copy's wait and its event meet. */
const copyWaitItem = async (region: string, snapshotId: string) => {
  const dynamo = new DynamoDBClient({
    region: LOCAL.homeRegion,
    endpoint: `http://127.0.0.1:${stack.ports.dynamodb}`,
    credentials,
  });
  try {
    const { Item } = await dynamo.send(
      new GetItemCommand({
        TableName: jobsTableName,
        Key: { pk: { S: `COPYWAIT#${region}#${snapshotId}` } },
      }),
    );
    return Item;
  } finally {
    dynamo.destroy();
  }
};

/** One PutEvents to the local bus, signed with the account's local keys. */
const putEvents = async (
  accountId: string,
  entry: { Source: string; DetailType: string; Detail: string },
  as: "call" | "rule" = "call",
): Promise<PutEventsCommandOutput> => {
  const keys = localCredentialsFor(stack.cloudUrl, accountId);
  const events =
    as === "rule"
      ? ruleDeliveryClient({
          accountId,
          region: "ap-mumbai",
          endpoint: stack.eventsUrl,
          credentials: keys,
        })
      : new EventBridgeClient({
          region: "ap-mumbai",
          endpoint: stack.eventsUrl,
          credentials: keys,
        });
  try {
    return await events.send(new PutEventsCommand({ Entries: [entry] }));
  } finally {
    events.destroy();
  }
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-events-"));
  stack = await startStackProcess({
    dataDir,
    env: {
      LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(BYTES_PER_SECOND),
      // The first wait lasts a 1 GiB volume at 50 MiB/s: 24 s, far past these copies' ends, so
      // only an event or a lost event's safety poll (after 24 s) can end them.
      COPY_ASSUMED_MIB_PER_SECOND: "50",
      // The sweeper looks at a running job's execution only after an hour: an execution that
      // ends is taken over by its status-change event, or not within these tests.
      SWEEP_CHECK_SECONDS: "3600",
    },
  });
  token = stack.token();
  for (const account of [DEMO, NEWCOMER, STRANGER, LOCAL.adminAccountId]) {
    tokens[account] = signedAs(stack, account);
  }
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
    const states = await statesOf(sfn, job);
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
    expect((await statesOf(sfn, job)).filter((state) => state === "PollCopy")).toHaveLength(1);
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
    expect(await statesOf(sfn, job)).not.toContain("PollCopy");
    expect(tookMs).toBeLessThan(15_000);
    // The copy sends for at most 2 s before it fails; its failure is recorded within 5 s of that.
    const copy = job.copies[0];
    expect(
      Date.parse(String(copy?.completedAt ?? job.updatedAt)) - Date.parse(String(copy?.startedAt)),
    ).toBeLessThan(7_000);
  }, 120_000);

  it("is foretold by the job's ETA: in the second half of a steady copy, within a quarter of the time left", async () => {
    // Prepare: a copy of 30 s, looked at every 100 ms; the cloud itself watched for its end (the
    // ETA foretells when the copy completes, not when snaprelay's steps get to record it)
    const looks: { at: number; progress: number; etaSeconds: number | null }[] = [];
    const ec2 = new EC2Client({
      region: "ap-mumbai",
      endpoint: stack.cloudUrl,
      credentials: localCredentialsFor(stack.cloudUrl, DEMO),
    });
    let copyId: string | undefined;
    let cloudEndedAt: number | undefined;
    let watching = true;
    const watchCloud = (async () => {
      while (watching && cloudEndedAt === undefined) {
        if (copyId) {
          const { Snapshots } = await ec2.send(
            new DescribeSnapshotsCommand({ SnapshotIds: [copyId] }),
          );
          if (Snapshots?.[0]?.State === "completed") cloudEndedAt = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    // Act
    const job = await copyOnce(240, "eta", (current) => {
      const copy = current.copies[0];
      copyId ??= copy?.destinationSnapshotId ?? undefined;
      if (copy?.status === "COPYING") {
        looks.push({ at: Date.now(), progress: copy.progress, etaSeconds: copy.etaSeconds });
      }
    }).finally(() => {
      watching = false;
    });
    await watchCloud;
    ec2.destroy();

    // Assess: each look from halfway to 80% of the copy's time, against its end in the cloud
    expect(cloudEndedAt).toBeDefined();
    const endedAt = cloudEndedAt ?? 0;
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
      `ETA: ${secondHalf.length} looks, worst error ${(worst * 100).toFixed(1)}% of the time left; recorded ${Date.parse(String(job.copies[0]?.completedAt)) - endedAt} ms after the cloud's end`,
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

    // Act: the event again, as the account's rule would deliver it twice, now saying it failed
    const put = await putEvents(
      DEMO,
      copyEventEntry({
        accountId: DEMO,
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
      "rule",
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = (await call("GET", `/replications/${job.jobId}`)).body as unknown as Job;

    // Assess
    expect(put.FailedEntryCount).toBe(0);
    expect(job.status).toBe("COMPLETED");
    expect(after.status).toBe("COMPLETED");
    expect(after.copies[0]).toEqual(copy);
  }, 120_000);
});

describe("an execution that ends before its job", () => {
  it("has its job taken over within seconds by its status-change event, and the copy completes", async () => {
    // Prepare: a 10 s copy under way
    const [snapshotId] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
      blocks: 80,
      blockSizeBytes: BLOCK,
      label: "stopped",
      accountId: DEMO,
    });
    const posted = await call("POST", "/replications", {
      snapshotId,
      sourceRegion: SOURCE,
      destinationRegions: ["ap-mumbai"],
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const jobId = String(posted.body.jobId);
    const read = async () => (await call("GET", `/replications/${jobId}`)).body as unknown as Job;
    const copying = await until("the copy to be under way", async () => {
      const job = await read();
      return job.copies[0]?.status === "COPYING" ? job : undefined;
    });

    // Act: stopped by hand, outside the state machine's own Catch
    const stoppedAt = Date.now();
    await sfn.send(new StopExecutionCommand({ executionArn: copying.executionArn ?? "" }));
    const adopted = await until(
      "a new execution to take the job over",
      async () => {
        const job = await read();
        return job.executionArn?.endsWith(`${jobId}-adopted-1`) ? job : undefined;
      },
      20_000,
    );
    const tookMs = Date.now() - stoppedAt;
    const ended = await until(`job ${jobId} to end`, async () => {
      const job = await read();
      return isFinishedJob(job.status) ? job : undefined;
    });

    // Assess: far sooner than the sweeper's next look (an hour)
    expect(adopted.status).toBe("RUNNING");
    expect(tookMs).toBeLessThan(20_000);
    expect(ended.status).toBe("COMPLETED");
    expect(ended.copies[0]?.destinationSnapshotId).toBe(copying.copies[0]?.destinationSnapshotId);
  }, 120_000);
});

describe("a tenant's copy events", () => {
  it("an account approved at run time gets its copy events", async () => {
    // Prepare: it applies, an admin approves it, it creates its role and connects; no restart
    const applied = await callAs(NEWCOMER, "POST", "/access-requests", {
      reason: "Copies of the orders database to ap-mumbai for DR",
      contact: "ops@example.com",
    });
    const approved = await callAs(
      LOCAL.adminAccountId,
      "POST",
      `/admin/access-requests/${String(applied.body.requestId)}/approve`,
    );
    const { externalId } = approved.body.onboarding as { externalId: string };
    await cloudAdmin("POST", "roles", {
      accountId: NEWCOMER,
      roleName: LOCAL.accountRoleName,
      externalId,
    });
    const connected = await callAs(NEWCOMER, "POST", "/account/connect");
    const before = await eventCounts();

    // Act: a copy of 2 s
    const started = Date.now();
    const job = await copyOnce(16, "newcomer", () => {}, NEWCOMER);
    const tookMs = Date.now() - started;

    // Assess
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    expect(job.status).toBe("COMPLETED");
    const states = await statesOf(sfn, job);
    expect(states).toContain("AwaitCopy");
    // Its event ended it: no safety poll, and far sooner than the 24 s first wait.
    expect(states).not.toContain("PollCopy");
    expect(tookMs).toBeLessThan(15_000);
    expect((await eventCounts()).sent).toBeGreaterThan(before.sent);
    const item = await copyWaitItem("ap-mumbai", String(job.copies[0]?.destinationSnapshotId));
    expect(item?.[`end#${NEWCOMER}`]?.M?.result?.S).toBe("succeeded");
  }, 120_000);

  it("an account that is not a tenant gets nothing written; a tenant's copy without a job is kept", async () => {
    // Prepare
    const before = await eventCounts();

    // Act: each makes a copy of its own in the cloud, the stranger first
    const strangers = await copyInTheCloud(STRANGER, "stranger");
    const strangersEnded = await until("the stranger's copy event to be sent", async () =>
      (await eventCounts()).sent > before.sent ? true : undefined,
    );
    const tenants = await copyInTheCloud(DEMO, "tenant");
    const tenantsItem = await until("the tenant's copy end to be kept", async () =>
      copyWaitItem("ap-mumbai", tenants),
    );
    const strangersItem = await copyWaitItem("ap-mumbai", strangers);

    // Assess: both events passed the bus; only the tenant's was written
    expect(strangersEnded).toBe(true);
    expect((await eventCounts()).undelivered).toBe(before.undelivered);
    expect(tenantsItem[`end#${DEMO}`]?.M?.result?.S).toBe("succeeded");
    expect(strangersItem).toBeUndefined();
  }, 120_000);
});

describe("the local EventBridge, as AWS's", () => {
  const custom = { Source: "acme.disks", DetailType: "Disk Copied", Detail: '{"disk":"vol-1"}' };

  it("refuses an event its policy does not admit from another account, entry by entry", async () => {
    // Act
    const forwarded = await putEvents(STRANGER, custom, "rule");
    const called = await putEvents(STRANGER, custom);

    // Assess
    for (const answer of [forwarded, called]) {
      expect(answer.FailedEntryCount).toBe(1);
      expect(answer.Entries?.[0]).toMatchObject({ ErrorCode: "NotAuthorizedForSourceException" });
    }
  }, 60_000);

  it("refuses an aws. source from a PutEvents call, whoever signs it: only AWS sends those", async () => {
    // Prepare: a forged end of a copy
    const forged = copyEventEntry({
      accountId: STRANGER,
      sourceRegion: SOURCE,
      sourceSnapshotId: "snap-00000000",
      destinationRegion: "ap-mumbai",
      destinationSnapshotId: "snap-11111111",
      result: "failed",
      cause: "forged",
      startTime: new Date().toISOString(),
      endTime: new Date().toISOString(),
      incremental: false,
    });

    // Act
    const answers = [
      await putEvents(STRANGER, forged),
      await putEvents(LOCAL.serviceAccountId, forged),
    ];

    // Assess
    for (const answer of answers) {
      expect(answer.Entries?.[0]).toMatchObject({ ErrorCode: "NotAuthorizedForSourceException" });
    }
  }, 60_000);

  it("takes the bus owner's own custom events", async () => {
    // Act
    const answer = await putEvents(LOCAL.serviceAccountId, custom);

    // Assess
    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries?.[0]?.EventId).toEqual(expect.any(String));
  }, 60_000);

  it("refuses a request whose signature does not hold", async () => {
    // Prepare: keys no account has
    const events = new EventBridgeClient({
      region: "ap-mumbai",
      endpoint: stack.eventsUrl,
      credentials,
      maxAttempts: 1,
    });

    // Act
    const refused = events.send(new PutEventsCommand({ Entries: [custom] }));

    // Assess
    await expect(refused).rejects.toMatchObject({ name: "UnrecognizedClientException" });
    events.destroy();
  }, 60_000);
});
