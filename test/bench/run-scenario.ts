// Runs one benchmark scenario on a local stack of its own: makes the snapshots, posts the jobs as a
// careful client would (50 at a time, retrying 503s under the same Idempotency-Key), samples the
// region while they run, and collects what the metrics need once every job has ended.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CopySnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import {
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  type HistoryEvent,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { isFinishedJob } from "../../functions/core/job.js";
import { localCredentialsFor } from "../../local/cloud/index.js";
import { LOCAL } from "../../local/defaults.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { credentials } from "../support/services.js";
import { type Signer, signedAs } from "../support/signed-as.js";
import { startStackProcess } from "../support/stack-process.js";
import {
  type EndedJob,
  type RegionSample,
  type ScenarioResult,
  scenarioResult,
} from "./metrics.js";
import { copyTimeline } from "./timelines.js";

export interface ScenarioPlan {
  name: string;
  jobs: number;
  destination: string;
  /** The compressed clock: how many clock seconds pass in a real one. */
  clockSpeed: number;
  /** How long each copy lasts, in clock seconds; jobs take them in turn. */
  copySeconds: number[];
  /** Slots per account in the destination (snaprelay's limit; the cloud allows 20). */
  slots: number;
  /** Copies of the same account that snaprelay did not start, holding the cloud's room. */
  foreignCopies?: number;
  /** Posts one job of a second account once the first's queue is this long. */
  otherAccountWhenQueued?: number;
  /** Every wait for a copy's end this long (clock seconds): a fixed poll, as the baseline. */
  pollFixedSeconds?: number;
  /** The share of the cloud's copy events dropped (1: none sent, the safety polls alone). */
  eventDropRate?: number;
  /**
   * Runs one copy of the shortest length to its end before the measured jobs, so that the first
   * measured copy does not pay for loading each handler (a cold start, which a running deployment
   * pays once per sandbox, not per copy).
   */
  warmUp?: boolean;
  /** Real ms to wait for every job to end. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

const A = LOCAL.demoAccountId;
const B = "444455556666";
const SOURCE = "ap-shanghai";
const BLOCK = 4096;

interface JobBody {
  jobId: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  executionArn: string | null;
  error: { message: string } | null;
  copies: { destinationSnapshotId: string | null; error: { message: string } | null }[];
}

/** Runs `task` over `items` with at most `width` at once. */
const inBatches = async <T, R>(items: T[], width: number, task: (item: T) => Promise<R>) => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
};

const history = async (sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> => {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page: GetExecutionHistoryCommandOutput = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
};

export const runScenario = async (plan: ScenarioPlan): Promise<ScenarioResult> => {
  const log = plan.log ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), "snaprelay-bench-"));
  // One block moves in `unit` clock seconds, so a copy of n blocks lasts n × unit; the shortest
  // copy has 16 blocks, so its progress moves in steps the poller can read a speed from.
  const unit = Math.min(...plan.copySeconds) / 16;
  const stack = await startStackProcess({
    dataDir,
    env: {
      SNAPRELAY_CLOCK_SPEED: String(plan.clockSpeed),
      LOCAL_CLOUD_BLOCK_SIZE_BYTES: String(BLOCK),
      LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(BLOCK / unit),
      COPY_SLOTS_PER_REGION: `20,${plan.destination}=${plan.slots}`,
      ALLOWLISTED_ACCOUNTS: `${A},${B}`,
      SNAPSHOT_QUOTA_PER_REGION: "100000",
      // The bench measures the copy pipeline under a burst, not the API's rate limit (which its
      // own tests hold): one account may post its thousand jobs as fast as the API takes them.
      LIMIT_REQUESTS_PER_SECOND: "10000",
      LOCAL_CLOUD_EVENT_DROP_RATE: String(plan.eventDropRate ?? 0),
      ...(plan.pollFixedSeconds
        ? {
            POLL_MIN_SECONDS: String(plan.pollFixedSeconds),
            POLL_MAX_SECONDS: String(plan.pollFixedSeconds),
          }
        : {}),
    },
  });
  const ec2 = new EC2Client({
    region: plan.destination,
    endpoint: stack.cloudUrl,
    credentials: localCredentialsFor(stack.cloudUrl, A),
    maxAttempts: 10,
  });
  const sfn = new SFNClient({ region: LOCAL.homeRegion, endpoint: stack.sfnUrl, credentials });
  let sampling = true;
  try {
    log(`${plan.name}: stack ready in ${stack.readyAfterMs} ms; making ${plan.jobs} snapshots`);
    // Each account proves itself with its own local keys, a fresh proof when the last is old.
    const signers: Record<string, Signer> = { [A]: stack.token(), [B]: signedAs(stack, B) };
    const authorizationOf = (account: string): Promise<string> => {
      const signer = signers[account];
      if (!signer) throw new Error(`no signer for account ${account}`);
      return signer.authorization();
    };
    const snapshots: string[] = [];
    for (const seconds of new Set(plan.copySeconds)) {
      const count = Math.ceil(plan.jobs / plan.copySeconds.length);
      const made = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, count, {
        blocks: Math.round(seconds / unit),
        blockSizeBytes: BLOCK,
        label: `bench-${seconds}`,
      });
      snapshots.push(...made);
    }
    // Interleave the copy lengths, as jobs of mixed sizes would come.
    const perLength = plan.copySeconds.length;
    const count = Math.ceil(plan.jobs / perLength);
    const ordered = Array.from({ length: plan.jobs }, (_, index) => {
      const length = index % perLength;
      return snapshots[length * count + Math.floor(index / perLength)] ?? "";
    });

    const foreign: string[] = [];
    if (plan.foreignCopies) {
      const [big] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
        blocks: 4096,
        blockSizeBytes: BLOCK,
        label: "foreign",
      });
      for (let index = 0; index < plan.foreignCopies; index++) {
        const { SnapshotId } = await ec2.send(
          new CopySnapshotCommand({
            SourceRegion: SOURCE,
            SourceSnapshotId: big,
            Description: "not snaprelay's",
          }),
        );
        if (SnapshotId) foreign.push(SnapshotId);
      }
      log(`${plan.name}: ${foreign.length} copies that are not snaprelay's hold the cloud's room`);
    }

    const samples: RegionSample[] = [];
    const sampler = (async () => {
      while (sampling) {
        const [stats, slots] = await Promise.all([
          fetch(`${stack.cloudUrl}/_admin/stats?account=${A}`).then((r) => r.json()),
          fetch(`${stack.api}/regions/${plan.destination}/copy-slots`, {
            headers: { authorization: await authorizationOf(A) },
          }).then((r) => r.json()),
        ]);
        const pending =
          (stats as { regions: Record<string, { pendingCopies: number }> }).regions[
            plan.destination
          ]?.pendingCopies ?? 0;
        samples.push({
          at: Date.now(),
          pendingCopies: Math.max(0, pending - foreign.length),
          queueLength: (slots as { queueLength?: number }).queueLength ?? 0,
        });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    const post = async (account: string, snapshotId: string): Promise<string> => {
      const key = randomUUID();
      for (;;) {
        const response = await fetch(`${stack.api}/replications`, {
          method: "POST",
          headers: {
            authorization: await authorizationOf(account),
            "content-type": "application/json",
            "idempotency-key": key,
          },
          body: JSON.stringify({
            snapshotId,
            sourceRegion: SOURCE,
            destinationRegions: [plan.destination],
          }),
        });
        const body = (await response.json()) as { jobId?: string };
        if (response.status === 202 && body.jobId) return body.jobId;
        if (response.status !== 503 && response.status !== 429)
          throw new Error(`POST answered ${response.status}: ${JSON.stringify(body)}`);
        // Busy: again in a second, as before; past the rate: when the answer says.
        const wait = response.status === 429 ? Number(response.headers.get("retry-after") ?? 1) : 1;
        await new Promise((resolve) => setTimeout(resolve, wait * 1_000));
      }
    };

    if (plan.warmUp) {
      const [warm] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
        blocks: 16,
        blockSizeBytes: BLOCK,
        label: "warm-up",
      });
      const warmJob = await post(A, warm ?? "");
      const warmStart = Date.now();
      for (;;) {
        const response = await fetch(`${stack.api}/replications/${warmJob}`, {
          headers: { authorization: await authorizationOf(A) },
        });
        const { status } = (await response.json()) as JobBody;
        if (isFinishedJob(status)) {
          log(`${plan.name}: warm-up copy ${status} in ${Date.now() - warmStart} ms`);
          break;
        }
        if (Date.now() - warmStart > 300_000) throw new Error("the warm-up copy never ended");
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    const started = Date.now();
    const posting = inBatches(ordered, 50, (snapshotId) => post(A, snapshotId));
    let other: { jobId: string; postedAt: number; queueLength: number } | undefined;
    if (plan.otherAccountWhenQueued !== undefined) {
      await fetch(`${stack.cloudUrl}/_admin/roles`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          accountId: B,
          roleName: LOCAL.accountRoleName,
          externalId: LOCAL.accountRoleExternalId,
        }),
      });
      const [ofB] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
        blocks: 1,
        blockSizeBytes: BLOCK,
        label: "other-account",
        accountId: B,
      });
      for (;;) {
        const last = samples.at(-1);
        if (last && last.queueLength >= plan.otherAccountWhenQueued) {
          const postedAt = Date.now();
          other = { jobId: await post(B, ofB ?? ""), postedAt, queueLength: last.queueLength };
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    const jobIds = await posting;
    log(`${plan.name}: ${jobIds.length} jobs posted in ${Date.now() - started} ms`);

    const bodies = new Map<string, JobBody>();
    const deadline = Date.now() + (plan.timeoutMs ?? 3_600_000);
    const everyone = [...jobIds, ...(other ? [other.jobId] : [])];
    while (bodies.size < everyone.length) {
      if (Date.now() > deadline)
        throw new Error(`${everyone.length - bodies.size} jobs never ended`);
      await inBatches(
        everyone.filter((id) => !bodies.has(id)),
        20,
        async (jobId) => {
          const account = jobId === other?.jobId ? B : A;
          const response = await fetch(`${stack.api}/replications/${jobId}`, {
            headers: { authorization: await authorizationOf(account) },
          });
          const body = (await response.json()) as JobBody;
          if (isFinishedJob(body.status)) bodies.set(jobId, body);
        },
      );
      if (bodies.size < everyone.length) await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    sampling = false;
    await sampler;
    log(`${plan.name}: every job ended ${Date.now() - started} ms after the first POST`);

    for (const id of foreign) await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    const copyIds = jobIds.flatMap((id) => bodies.get(id)?.copies[0]?.destinationSnapshotId ?? []);
    const cloudCopies = new Map<string, Snapshot>();
    for (let index = 0; index < copyIds.length; index += 200) {
      const { Snapshots = [] } = await ec2.send(
        new DescribeSnapshotsCommand({ SnapshotIds: copyIds.slice(index, index + 200) }),
      );
      for (const snapshot of Snapshots) cloudCopies.set(snapshot.SnapshotId ?? "", snapshot);
    }
    const histories = new Map<string, HistoryEvent[]>();
    const timelines = await inBatches(jobIds, 10, async (jobId) => {
      const events = await history(sfn, bodies.get(jobId)?.executionArn ?? "");
      if (process.env.BENCH_DUMP) histories.set(jobId, events);
      return copyTimeline(jobId, events);
    });
    if (process.env.BENCH_DUMP) {
      const dump = { timelines, samples, histories: Object.fromEntries(histories) };
      writeFileSync(process.env.BENCH_DUMP, JSON.stringify(dump, null, 1));
    }
    const jobs: EndedJob[] = jobIds.map((jobId) => {
      const body = bodies.get(jobId) as JobBody;
      const cloud = cloudCopies.get(body.copies[0]?.destinationSnapshotId ?? "");
      const startedAt = cloud?.StartTime?.getTime();
      const completedAt = cloud?.CompletionTime?.getTime();
      return {
        jobId,
        status: body.status,
        errors: [body.error?.message, ...body.copies.map((c) => c.error?.message)].filter(
          (message): message is string => typeof message === "string",
        ),
        durationMs: Date.parse(body.updatedAt) - Date.parse(body.createdAt),
        transferMs:
          startedAt !== undefined && completedAt !== undefined
            ? (completedAt - startedAt) * plan.clockSpeed
            : undefined,
        cloudCompletedAt: completedAt,
      };
    });
    const stats = (await (await fetch(`${stack.cloudUrl}/_admin/stats?account=${A}`)).json()) as {
      regions: Record<string, { mostPendingCopies: number }>;
    };
    // With a few copies (the copy-length scenarios), each copy's own figures.
    const perCopy =
      jobIds.length > 10
        ? {}
        : {
            copies: jobIds.map((jobId, index) => {
              const timeline = timelines.find((t) => t.jobId === jobId);
              const job = jobs.find((j) => j.jobId === jobId);
              const recorded = timeline?.completionRecordedAt;
              return {
                copySeconds: plan.copySeconds[index % plan.copySeconds.length],
                status: job?.status,
                polls: timeline?.polls,
                detectLatencySeconds:
                  recorded !== undefined && job?.cloudCompletedAt !== undefined
                    ? Math.round(((recorded - job.cloudCompletedAt) * plan.clockSpeed) / 10) / 100
                    : null,
                // The same in real time: under the compressed clock every real millisecond of
                // the local stack's own work counts as clockSpeed milliseconds.
                detectLatencyRealMs:
                  recorded !== undefined && job?.cloudCompletedAt !== undefined
                    ? recorded - job.cloudCompletedAt
                    : null,
              };
            }),
          };
    let otherFigures: Record<string, unknown> = {};
    if (other) {
      const otherHistory = await history(sfn, bodies.get(other.jobId)?.executionArn ?? "");
      const otherStart = copyTimeline(other.jobId, otherHistory).startedAt;
      otherFigures = {
        otherAccount: {
          queueLengthAhead: other.queueLength,
          startSeconds:
            otherStart === undefined
              ? null
              : Math.round(((otherStart - other.postedAt) * plan.clockSpeed) / 10) / 100,
          status: bodies.get(other.jobId)?.status,
        },
      };
    }
    return scenarioResult({
      name: plan.name,
      clockSpeed: plan.clockSpeed,
      slots: plan.slots,
      jobs,
      timelines,
      samples,
      maxPending: stats.regions[plan.destination]?.mostPendingCopies ?? 0,
      extra: {
        copySeconds: [...new Set(plan.copySeconds)],
        wallSeconds: Math.round((Date.now() - started) / 1000),
        ...(plan.foreignCopies ? { foreignCopies: plan.foreignCopies } : {}),
        ...(plan.pollFixedSeconds
          ? { poll: `fixed:${plan.pollFixedSeconds}` }
          : { poll: "adaptive" }),
        ...otherFigures,
        ...perCopy,
      },
    });
  } finally {
    sampling = false;
    ec2.destroy();
    sfn.destroy();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};
