// Scheduled DR policies on the real local stack: a tick (sent for the policy's due moment, not
// waited for) copies the newest snapshot of each selected volume once, two racing ticks start each
// job once, retention keeps the newest three and never what is not its own or in use, the recovery
// point turns BREACHED and back to OK, bad policies are refused, and everything survives a restart.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTagsCommand, DescribeSnapshotsCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFinishedJob } from "../../functions/core/job.js";
import { apiCall } from "../support/api-call.js";
import { type CloudVolumes, cloudVolumes } from "../support/cloud-volumes.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";
import { until as waitUntil } from "../support/until.js";

const SOURCE = "ap-shanghai";
const DR = "ap-mumbai";

interface Run {
  runId: string;
  status: string;
  counts: { jobs: number; skipped: number; failures: number };
  volumesHref: string;
  jobs: { volumeId: string; snapshotId: string; jobId: string }[];
  skipped: { volumeId: string; reason: string }[];
}
interface Policy {
  policyId: string;
  nextRunAt: string;
  warnings?: string[];
  lastRuns: Run[];
  recoveryPoints: { volumeId: string; status: string; ageMinutes: number | null }[];
  recentDeletions: { snapshotId: string; status: string; reason: string }[];
}
interface TickSummary {
  runs: { policyId: string; jobs: number; dispatched?: boolean }[];
  claimedElsewhere: number;
}

let dataDir: string;
let stack: StackProcess;
let cloud: CloudVolumes;

const call = (method: string, path: string, body?: unknown) =>
  apiCall(stack.api, method, path, { token: stack.token(), body });

/** The scheduler's tick for the moment `time`, as EventBridge would send it. */
const tick = async (time: string): Promise<TickSummary> => {
  const response = await fetch(
    `http://127.0.0.1:${stack.ports.lambda}/2015-03-31/functions/snaprelay-dev-scheduler/invocations`,
    {
      method: "POST",
      body: JSON.stringify({ "detail-type": "Scheduled Event", source: "aws.events", time }),
    },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as TickSummary;
};

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 150_000) =>
  waitUntil(what, probe, timeoutMs, 300);

const jobStatus = async (jobId: string) =>
  String((await call("GET", `/replications/${jobId}`)).body.status);

const ended = (jobId: string) =>
  until(`job ${jobId} to end`, async () => {
    const status = await jobStatus(jobId);
    return isFinishedJob(status) ? status : undefined;
  });

const policyBody = (fields: Record<string, unknown>) => ({
  name: "orders-db-dr",
  sourceRegion: SOURCE,
  destinationRegions: [DR],
  schedule: "rate(1 day)",
  retention: { count: 3 },
  rpoMinutes: 60,
  ...fields,
});

const createPolicy = async (fields: Record<string, unknown>): Promise<Policy> => {
  const { status, body } = await call("POST", "/policies", policyBody(fields));
  expect(status, JSON.stringify(body)).toBe(201);
  return body as unknown as Policy;
};

const policy = async (policyId: string) =>
  (await call("GET", `/policies/${policyId}`)).body as unknown as Policy;

/** The policy's newest run once its worker has carried it out (STARTED). */
const carriedOut = (policyId: string): Promise<Run> =>
  until(`the run of ${policyId} to be carried out`, async () => {
    const [run] = (await policy(policyId)).lastRuns;
    return run?.status === "STARTED" ? run : undefined;
  });

/** Runs the policy now and waits for its jobs to end; the run as it was recorded. */
const runNow = async (policyId: string): Promise<Run> => {
  const { status, body } = await call("POST", `/policies/${policyId}/run`);
  expect(status, JSON.stringify(body)).toBe(202);
  const run = body as unknown as Run;
  for (const job of run.jobs) expect(await ended(job.jobId)).toBe("COMPLETED");
  // The Retention step runs after the job's outcome is recorded: wait for the execution to end.
  await until("the retention steps to run", async () => {
    const current = await policy(policyId);
    const points = current.recoveryPoints.filter((point) =>
      run.jobs.some((job) => job.volumeId === point.volumeId),
    );
    return run.jobs.every((job) =>
      points.some((point) => point.volumeId === job.volumeId && point.ageMinutes !== null),
    ) && (await Promise.all(run.jobs.map((job) => executionEnded(job.jobId)))).every(Boolean)
      ? true
      : undefined;
  });
  return run;
};

const executionEnded = async (jobId: string) => {
  const { body } = await call("GET", `/replications/${jobId}`);
  const arn = String(body.executionArn);
  const response = await fetch(stack.sfnUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": "AWSStepFunctions.DescribeExecution",
    },
    body: JSON.stringify({ executionArn: arn }),
  });
  const execution = (await response.json()) as { status?: string };
  return execution.status !== undefined && execution.status !== "RUNNING";
};

const drCopiesOf = async (policyId: string) => {
  const { Snapshots } = await cloud.ec2(DR).send(
    new DescribeSnapshotsCommand({
      OwnerIds: ["self"],
      Filters: [{ Name: "tag:snaprelay:policy-id", Values: [policyId] }],
    }),
  );
  return (Snapshots ?? []).map((snapshot) => snapshot.SnapshotId ?? "").sort();
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-policies-"));
  stack = await startStackProcess({
    dataDir,
    env: {
      // 1 MiB/s: a first copy of n blocks of 512 KiB lasts n/2 seconds.
      LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(1024 * 1024),
      SNAPRELAY_WAIT_SCALE: "0.1",
      SWEEP_START_GRACE_SECONDS: "5",
      SWEEP_CHECK_SECONDS: "5",
    },
  });
  cloud = cloudVolumes(stack.cloudUrl);
}, 200_000);

afterAll(async () => {
  cloud?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("a DR policy made due by its tick", () => {
  let created: Policy;
  let firstTick: TickSummary;
  let newestOfA: string;
  let newestOfB: string;

  beforeAll(async () => {
    const a = await cloud.volume(SOURCE, 2, { service: "orders", dr: "true" });
    const b = await cloud.volume(SOURCE, 2, { service: "orders", dr: "true" });
    const other = await cloud.volume(SOURCE, 2, { service: "billing", dr: "true" });
    await cloud.snapshot(SOURCE, a);
    newestOfA = await cloud.snapshot(SOURCE, a);
    newestOfB = await cloud.snapshot(SOURCE, b);
    await cloud.snapshot(SOURCE, other);
    created = await createPolicy({ selector: { tags: { service: "orders" } } });
    firstTick = await tick(created.nextRunAt);
  }, 120_000);

  it("copies the newest snapshot of each selected volume, and only those", async () => {
    // Assess: the tick hands the run to a worker of its own, which makes the jobs.
    expect(firstTick.runs).toMatchObject([{ policyId: created.policyId, dispatched: true }]);
    const run = await carriedOut(created.policyId);
    expect(run.counts.jobs).toBe(2);
    expect(run?.jobs.map((job) => job.snapshotId).sort()).toEqual([newestOfA, newestOfB].sort());
    for (const job of run?.jobs ?? []) expect(await ended(job.jobId)).toBe("COMPLETED");
  });

  it("lists every volume of the run, page by page and by outcome, at its volumesHref", async () => {
    // Prepare
    const [run] = (await policy(created.policyId)).lastRuns;
    if (!run) throw new Error("no run");

    // Act
    const first = await call("GET", `${run.volumesHref}?limit=1`);
    const second = await call(
      "GET",
      `${run.volumesHref}?limit=1&nextToken=${encodeURIComponent(String(first.body.nextToken))}`,
    );
    const jobs = await call("GET", `${run.volumesHref}?outcome=job`);
    const malformed = await call("GET", `/policies/${created.policyId}/runs/yesterday/volumes`);
    const unknown = await call(
      "GET",
      `/policies/${created.policyId}/runs/2001-01-01T00:00:00.000Z/volumes`,
    );

    // Assess
    expect(run.counts).toEqual({ jobs: 2, skipped: 0, failures: 0 });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const paged = [...(first.body.volumes as Run["jobs"]), ...(second.body.volumes as Run["jobs"])];
    expect(paged.map((volume) => volume.volumeId).sort()).toEqual(
      run.jobs.map((job) => job.volumeId).sort(),
    );
    expect(jobs.body.volumes).toEqual(run.jobs.map((job) => ({ outcome: "job", ...job })));
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body)).toContain("runId");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "RunNotFound" });
  });

  it("starts nothing new on a second tick for the same moment", async () => {
    // Act
    const second = await tick(created.nextRunAt);

    // Assess
    expect(second.runs.filter((run) => run.policyId === created.policyId)).toEqual([]);
    expect((await policy(created.policyId)).lastRuns).toHaveLength(1);
  });
});

describe("two ticks sent at the same moment", () => {
  it("start each job exactly once", async () => {
    // Prepare
    const volumes = [
      await cloud.volume(SOURCE, 1, { fleet: "race" }),
      await cloud.volume(SOURCE, 1, { fleet: "race" }),
      await cloud.volume(SOURCE, 1, { fleet: "race" }),
    ];
    for (const volume of volumes) await cloud.snapshot(SOURCE, volume);
    const created = await createPolicy({ selector: { tags: { fleet: "race" } } });

    // Act
    const ticks = await Promise.all([tick(created.nextRunAt), tick(created.nextRunAt)]);

    // Assess
    const runs = ticks.flatMap((summary) =>
      summary.runs.filter((run) => run.policyId === created.policyId),
    );
    expect(runs).toMatchObject([{ dispatched: true }]);
    const run = await carriedOut(created.policyId);
    expect((await policy(created.policyId)).lastRuns).toHaveLength(1);
    const jobIds = run.jobs.map((job) => job.jobId);
    expect(new Set(jobIds).size).toBe(3);
    for (const jobId of jobIds) expect(await ended(jobId)).toBe("COMPLETED");
  });
});

describe("retention, after five runs each after a new snapshot", () => {
  it("keeps exactly the 3 newest copies, and never a snapshot it did not make or one a running job copies from", async () => {
    // Prepare: a volume of 96 blocks (a first copy of 48 s at 1 MiB/s), a snapshot in the DR
    // region that snaprelay did not make, and a policy keeping 3 copies.
    const volume = await cloud.volume(SOURCE, 96, { fleet: "retention" });
    const foreignVolume = await cloud.volume(DR, 1);
    const foreign = await cloud.snapshot(DR, foreignVolume);
    const created = await createPolicy({
      selector: { volumeIds: [volume] },
      retention: { count: 3 },
    });

    // Act: run 1, then a job that copies run 1's copy onward (48 s), then runs 2 to 5.
    await cloud.snapshot(SOURCE, volume);
    await runNow(created.policyId);
    const [firstCopy] = await drCopiesOf(created.policyId);
    const onward = await call("POST", "/replications", {
      snapshotId: firstCopy,
      sourceRegion: DR,
      destinationRegions: ["ap-beijing"],
    });
    expect(onward.status).toBe(202);
    for (let run = 2; run <= 5; run++) {
      await cloud.snapshot(SOURCE, volume);
      await runNow(created.policyId);
    }
    const onwardStatus = await jobStatus(String(onward.body.jobId));

    // Assess
    expect(onwardStatus, "the onward copy must still run while runs 2 to 5 prune").toBe("RUNNING");
    const current = await policy(created.policyId);
    const kept = await drCopiesOf(created.policyId);
    expect(kept).toHaveLength(4);
    expect(kept).toContain(firstCopy);
    const deleted = current.recentDeletions.map((deletion) => deletion.snapshotId);
    expect(deleted).toHaveLength(1);
    expect(current.recentDeletions[0]).toMatchObject({
      status: "DELETED",
      reason: "retention deletes copies beyond the newest 3",
    });
    expect(kept).not.toContain(deleted[0]);
    const { Snapshots } = await cloud
      .ec2(DR)
      .send(new DescribeSnapshotsCommand({ SnapshotIds: [foreign] }));
    expect(Snapshots?.[0]?.SnapshotId).toBe(foreign);
  }, 300_000);
});

describe("retention, when the tenant rewrites tags", () => {
  it("deletes by its own records: a re-tagged old copy goes, the genuine newest copy and a snapshot given snaprelay's tags stay", async () => {
    // Prepare: a policy keeping 1 copy, run once; its copy re-tagged with the tenant's own
    // credentials as the newest there could be, and a snapshot of the tenant's dressed up as one
    // of the policy's oldest copies.
    const volume = await cloud.volume(SOURCE, 2, { fleet: "retag" });
    const created = await createPolicy({
      selector: { volumeIds: [volume] },
      retention: { count: 1 },
    });
    await cloud.snapshot(SOURCE, volume);
    await runNow(created.policyId);
    const [firstCopy = ""] = await drCopiesOf(created.policyId);
    await cloud.ec2(DR).send(
      new CreateTagsCommand({
        Resources: [firstCopy],
        Tags: [{ Key: "snaprelay:source-time", Value: "9999-12-31T00:00:00.000Z" }],
      }),
    );
    const dressedUp = await cloud.snapshot(DR, await cloud.volume(DR, 1));
    await cloud.ec2(DR).send(
      new CreateTagsCommand({
        Resources: [dressedUp],
        Tags: [
          { Key: "snaprelay:policy-id", Value: created.policyId },
          { Key: "snaprelay:volume-id", Value: volume },
          { Key: "snaprelay:source-time", Value: "2000-01-01T00:00:00.000Z" },
        ],
      }),
    );

    // Act: the volume's next snapshot, copied by the next run.
    await cloud.snapshot(SOURCE, volume);
    const second = await runNow(created.policyId);

    // Assess
    const { body } = await call("GET", `/replications/${second.jobs[0]?.jobId}`);
    const copies = body.copies as Array<{ destinationSnapshotId: string }>;
    const newest = copies[0]?.destinationSnapshotId ?? "";
    const kept = await drCopiesOf(created.policyId);
    expect(kept).toContain(newest);
    expect(kept).toContain(dressedUp);
    expect(kept).not.toContain(firstCopy);
    const current = await policy(created.policyId);
    expect(current.recentDeletions.map((deletion) => deletion.snapshotId)).toEqual([firstCopy]);
  }, 300_000);
});

describe("the recovery point", () => {
  it("is BREACHED when the newest DR copy's source is 90 minutes old against 60, and OK after the next run", async () => {
    // Prepare
    const volume = await cloud.volume(SOURCE, 1, { fleet: "rpo" });
    const old = await cloud.snapshot(SOURCE, volume);
    await cloud.backdate(SOURCE, old, 90);
    const created = await createPolicy({ selector: { volumeIds: [volume] }, rpoMinutes: 60 });
    await runNow(created.policyId);

    // Act
    const before = await policy(created.policyId);
    await cloud.snapshot(SOURCE, volume);
    await runNow(created.policyId);
    const after = await policy(created.policyId);

    // Assess
    expect(before.recoveryPoints).toMatchObject([{ volumeId: volume, status: "BREACHED" }]);
    expect(before.recoveryPoints[0]?.ageMinutes).toBeGreaterThanOrEqual(90);
    expect(after.recoveryPoints).toMatchObject([{ volumeId: volume, status: "OK" }]);
    expect(after.recoveryPoints[0]?.ageMinutes).toBeLessThan(60);
  }, 200_000);
});

describe("a policy that is not right", () => {
  it.each([
    [{ schedule: "every day" }, "schedule:"],
    [{ retention: { count: 0 } }, "retention.count"],
    [{ destinationRegions: ["eu-west-1"] }, "eu-west-1"],
    [{ destinationRegions: [SOURCE] }, "source region"],
    [{ selector: {} }, "selector"],
  ])("is refused with 400 naming the field (%j) and nothing is made", async (fields, words) => {
    // Prepare
    const before = (await call("GET", "/policies?limit=100")).body.policies as unknown[];

    // Act
    const { status, body } = await call("POST", "/policies", {
      ...policyBody({ selector: { tags: { service: "orders" } } }),
      ...fields,
    });

    // Assess
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain(words);
    expect((await call("GET", "/policies?limit=100")).body.policies).toHaveLength(before.length);
  });

  it("is accepted with a warning when its selector matches nothing today", async () => {
    // Act
    const { status, body } = await call(
      "POST",
      "/policies",
      policyBody({ selector: { tags: { service: "not-yet" } } }),
    );

    // Assess
    expect(status).toBe(201);
    expect(String((body.warnings as string[])[0])).toContain("no volume in ap-shanghai matches");
  });
});

describe("after a restart of the local stack", () => {
  it("keeps the policies and their history", async () => {
    // Prepare
    const before = (await call("GET", "/policies?limit=100")).body.policies as Policy[];
    const withRuns = await policy(before[0]?.policyId ?? "");

    // Act
    await stack.stop();
    stack = await stack.restart();

    // Assess
    const after = (await call("GET", "/policies?limit=100")).body.policies as Policy[];
    expect(after.map((p) => p.policyId)).toEqual(before.map((p) => p.policyId));
    const reread = await policy(withRuns.policyId);
    expect(reread.lastRuns.map((run) => run.runId)).toEqual(
      withRuns.lastRuns.map((run) => run.runId),
    );
    expect(reread.recoveryPoints.length).toBe(withRuns.recoveryPoints.length);
  }, 200_000);
});
