// Runs one benchmark scenario on a local stack of its own: makes the snapshots, posts the jobs as a
// careful client would (50 at a time, retrying 503s under the same Idempotency-Key), samples the
// regions while they run, and collects what the metrics need once every job has ended: every
// execution's history (adopted ones too), the copies as the cloud has them, the cloud's counts.
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
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { CLOUD_COPY_LIMIT } from "../../functions/core/copy-queue.js";
import { isFinishedJob } from "../../functions/core/job.js";
import { localCredentialsFor } from "../../local/cloud/index.js";
import { LOCAL } from "../../local/defaults.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { credentials } from "../support/services.js";
import { type Signer, signedAs } from "../support/signed-as.js";
import { startStackProcess } from "../support/stack-process.js";
import {
  type CloudCounts,
  type EndedJob,
  type ExecutionCount,
  type RegionSample,
  type ScenarioResult,
  scenarioResult,
} from "./metrics.js";
import { billedTransitions, copyTimeline } from "./timelines.js";

export interface ScenarioPlan {
  name: string;
  jobs: number;
  /** Every job copies into each of these regions. */
  destinations: string[];
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
  /**
   * Jobs posted before the measured ones, to each destination, whose copies (this long, clock
   * seconds) hold the regions' slots and queues: the measured jobs wait behind them.
   */
  ahead?: { jobs: number; copySeconds: number };
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
  copies: {
    destinationRegion: string;
    destinationSnapshotId: string | null;
    error: { message: string } | null;
  }[];
}

/** Runs `task` over `items` with at most `width` at once. */
export const inBatches = async <T, R>(items: T[], width: number, task: (item: T) => Promise<R>) => {
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

export const history = async (sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> => {
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

/**
 * Every execution of every state machine, by the job it works for: an execution is named after its
 * job (the job's id, `<jobId>-adopted-N` for one that took it over, or any `<jobId>-…`).
 */
export const executionsByJob = async (
  sfn: SFNClient,
  jobIds: readonly string[],
): Promise<Map<string, { name: string; arn: string; startedAt: number }[]>> => {
  const wanted = new Set(jobIds);
  const byJob = new Map<string, { name: string; arn: string; startedAt: number }[]>();
  let machinesToken: string | undefined;
  do {
    const machines = await sfn.send(new ListStateMachinesCommand({ nextToken: machinesToken }));
    for (const machine of machines.stateMachines ?? []) {
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new ListExecutionsCommand({
            stateMachineArn: machine.stateMachineArn,
            maxResults: 1000,
            nextToken,
          }),
        );
        for (const execution of page.executions ?? []) {
          const name = execution.name ?? "";
          const jobId = wanted.has(name)
            ? name
            : [...wanted].find((id) => name.startsWith(`${id}-`));
          if (!jobId || !execution.executionArn) continue;
          const found = byJob.get(jobId) ?? [];
          found.push({
            name,
            arn: execution.executionArn,
            startedAt: execution.startDate?.getTime() ?? 0,
          });
          byJob.set(jobId, found);
        }
        nextToken = page.nextToken;
      } while (nextToken);
    }
    machinesToken = machines.nextToken;
  } while (machinesToken);
  for (const found of byJob.values()) found.sort((a, b) => a.startedAt - b.startedAt);
  return byJob;
};

interface AdminStats {
  regions: Record<string, { pendingCopies: number; mostPendingCopies: number }>;
  copyRefusals: Record<string, Record<string, number>>;
  deletedCopies: Record<string, { pending: number; completed: number; error: number }>;
  accounts: Record<string, { regions: Record<string, { mostPendingCopies: number }> }>;
}

/** What the cloud counted, in every account. */
export const cloudCounts = (stats: AdminStats): CloudCounts => {
  const mostPending: Record<string, number> = {};
  for (const [account, { regions }] of Object.entries(stats.accounts)) {
    for (const [region, { mostPendingCopies }] of Object.entries(regions)) {
      if (mostPendingCopies > 0) mostPending[`${account} ${region}`] = mostPendingCopies;
    }
  }
  const deletedCopies = { pending: 0, completed: 0, error: 0 };
  for (const counts of Object.values(stats.deletedCopies ?? {})) {
    deletedCopies.pending += counts.pending;
    deletedCopies.completed += counts.completed;
    deletedCopies.error += counts.error;
  }
  return { refusals: stats.copyRefusals ?? {}, mostPending, deletedCopies };
};

export const readCloudStats = async (cloudUrl: string, account?: string): Promise<AdminStats> =>
  (await (
    await fetch(`${cloudUrl}/_admin/stats${account ? `?account=${account}` : ""}`)
  ).json()) as AdminStats;

const clockHours = (realMs: number, clockSpeed: number) =>
  Math.round(((realMs * clockSpeed) / 3_600_000) * 100) / 100;

export const runScenario = async (plan: ScenarioPlan): Promise<ScenarioResult> => {
  const log = plan.log ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), "snaprelay-bench-"));
  const lengths = [...plan.copySeconds, ...(plan.ahead ? [plan.ahead.copySeconds] : [])];
  // One block moves in `unit` clock seconds, so a copy of n blocks lasts n × unit; the shortest
  // copy has 16 blocks, so its progress moves in steps the poller can read a speed from.
  const unit = Math.min(...lengths) / 16;
  const stack = await startStackProcess({
    dataDir,
    env: {
      SNAPRELAY_CLOCK_SPEED: String(plan.clockSpeed),
      LOCAL_CLOUD_BLOCK_SIZE_BYTES: String(BLOCK),
      LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(BLOCK / unit),
      COPY_SLOTS_PER_REGION: `20,${plan.destinations.map((region) => `${region}=${plan.slots}`).join(",")}`,
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
  const ec2Of = new Map<string, EC2Client>();
  const ec2 = (region: string): EC2Client => {
    let client = ec2Of.get(region);
    if (!client) {
      client = new EC2Client({
        region,
        endpoint: stack.cloudUrl,
        credentials: localCredentialsFor(stack.cloudUrl, A),
        maxAttempts: 10,
      });
      ec2Of.set(region, client);
    }
    return client;
  };
  const [firstDestination = SOURCE] = plan.destinations;
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
    const aheadSnapshots = plan.ahead
      ? await makeDistinctSnapshots(stack.cloudUrl, SOURCE, plan.ahead.jobs, {
          blocks: Math.round(plan.ahead.copySeconds / unit),
          blockSizeBytes: BLOCK,
          label: "ahead",
        })
      : [];

    const foreign: string[] = [];
    if (plan.foreignCopies) {
      const [big] = await makeDistinctSnapshots(stack.cloudUrl, SOURCE, 1, {
        blocks: 4096,
        blockSizeBytes: BLOCK,
        label: "foreign",
      });
      for (let index = 0; index < plan.foreignCopies; index++) {
        const { SnapshotId } = await ec2(firstDestination).send(
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
    /** The copies that are not snaprelay's still pending: each takes one of the cloud's places. */
    const foreignPending = async (): Promise<number> => {
      if (foreign.length === 0) return 0;
      const { Snapshots = [] } = await ec2(firstDestination).send(
        new DescribeSnapshotsCommand({ SnapshotIds: foreign }),
      );
      return Snapshots.filter((snapshot) => snapshot.State === "pending").length;
    };
    const sample = async (): Promise<void> => {
      const [stats, othersPending, ...slots] = await Promise.all([
        readCloudStats(stack.cloudUrl, A),
        foreignPending(),
        ...plan.destinations.map(async (region) =>
          fetch(`${stack.api}/regions/${region}/copy-slots`, {
            headers: { authorization: await authorizationOf(A) },
          }).then((r) => r.json() as Promise<{ queueLength?: number }>),
        ),
      ]);
      const at = Date.now();
      plan.destinations.forEach((region, index) => {
        const pending = stats.regions[region]?.pendingCopies ?? 0;
        const others = region === firstDestination ? othersPending : 0;
        samples.push({
          at,
          ...(plan.destinations.length > 1 ? { region } : {}),
          pendingCopies: Math.max(0, pending - others),
          queueLength: slots[index]?.queueLength ?? 0,
          ...(others > 0 ? { places: CLOUD_COPY_LIMIT - others } : {}),
        });
      });
    };
    const sampler = (async () => {
      while (sampling) {
        await sample().catch((error: unknown) => log(`${plan.name}: a sample failed: ${error}`));
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
            destinationRegions: plan.destinations,
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
    const getJob = async (account: string, jobId: string): Promise<JobBody> => {
      const response = await fetch(`${stack.api}/replications/${jobId}`, {
        headers: { authorization: await authorizationOf(account) },
      });
      return (await response.json()) as JobBody;
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
        const { status } = await getJob(A, warmJob);
        if (isFinishedJob(status)) {
          log(`${plan.name}: warm-up copy ${status} in ${Date.now() - warmStart} ms`);
          break;
        }
        if (Date.now() - warmStart > 300_000) throw new Error("the warm-up copy never ended");
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    // The jobs ahead first, each copy holding a slot or its place in the queue, before the others.
    const aheadIds = await inBatches(aheadSnapshots, 10, (snapshotId) => post(A, snapshotId));
    if (aheadIds.length > 0) {
      const placed = Date.now() + 600_000;
      for (;;) {
        const bodies = await inBatches(aheadIds, 10, (jobId) => getJob(A, jobId));
        const copies = bodies.flatMap((body) => body.copies);
        const slotsHeld = copies.filter((copy) => copy.destinationSnapshotId !== null).length;
        const queued = samples.at(-1)?.queueLength;
        if (slotsHeld >= Math.min(copies.length, plan.slots * plan.destinations.length)) break;
        if (Date.now() > placed) throw new Error("the jobs ahead never took their slots");
        log(`${plan.name}: ${slotsHeld} copies ahead started, ${queued ?? 0} queued`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      log(`${plan.name}: ${aheadIds.length} jobs ahead hold the slots`);
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
      // Or, should the queue never grow that long, two minutes after the last POST.
      let postedAt: number | undefined;
      void posting.then(() => {
        postedAt = Date.now();
      });
      for (;;) {
        const last = samples.at(-1);
        const longEnough = last && last.queueLength >= plan.otherAccountWhenQueued;
        if (last && (longEnough || (postedAt !== undefined && Date.now() - postedAt > 120_000))) {
          const postedAt = Date.now();
          other = { jobId: await post(B, ofB ?? ""), postedAt, queueLength: last.queueLength };
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    const measuredIds = await posting;
    const jobIds = [...aheadIds, ...measuredIds];
    log(`${plan.name}: ${measuredIds.length} jobs posted in ${Date.now() - started} ms`);

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
          const body = await getJob(jobId === other?.jobId ? B : A, jobId);
          if (isFinishedJob(body.status)) bodies.set(jobId, body);
        },
      );
      if (bodies.size < everyone.length) await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    sampling = false;
    await sampler;
    log(`${plan.name}: every job ended ${Date.now() - started} ms after the first POST`);

    // What the cloud counted, before the bench deletes its own foreign copies.
    const cloud = cloudCounts(await readCloudStats(stack.cloudUrl));
    const ownStats = await readCloudStats(stack.cloudUrl, A);
    for (const id of foreign) {
      await ec2(firstDestination).send(new DeleteSnapshotCommand({ SnapshotId: id }));
    }
    // Every copy a job recorded, as the cloud has it now.
    const cloudCopies = new Map<string, Snapshot>();
    for (const region of plan.destinations) {
      const ids = jobIds.flatMap((id) =>
        (bodies.get(id)?.copies ?? [])
          .filter((copy) => copy.destinationRegion === region)
          .flatMap((copy) => copy.destinationSnapshotId ?? []),
      );
      for (let index = 0; index < ids.length; index += 200) {
        const { Snapshots = [] } = await ec2(region).send(
          new DescribeSnapshotsCommand({
            Filters: [{ Name: "snapshot-id", Values: ids.slice(index, index + 200) }],
          }),
        );
        for (const snapshot of Snapshots) cloudCopies.set(snapshot.SnapshotId ?? "", snapshot);
      }
    }
    const recorded = jobIds.flatMap((id) =>
      (bodies.get(id)?.copies ?? []).flatMap((copy) => copy.destinationSnapshotId ?? []),
    );
    const recordedCopiesLost = recorded.filter(
      (id) => cloudCopies.get(id)?.State !== "completed",
    ).length;

    const executions = await executionsByJob(sfn, jobIds);
    const histories = new Map<string, HistoryEvent[]>();
    const counts: ExecutionCount[] = [];
    const perRegion = plan.destinations.length > 1;
    const timelines = (
      await inBatches(jobIds, 10, async (jobId) => {
        const known = executions.get(jobId) ?? [];
        const arns =
          known.length > 0 ? known : [{ name: jobId, arn: bodies.get(jobId)?.executionArn ?? "" }];
        const events: HistoryEvent[] = [];
        for (const { name, arn } of arns) {
          const own = await history(sfn, arn);
          counts.push({
            jobId,
            name,
            events: own.length,
            transitions: billedTransitions(own),
          });
          events.push(...own);
        }
        if (process.env.BENCH_DUMP) histories.set(jobId, events);
        return perRegion
          ? plan.destinations.map((region) => copyTimeline(jobId, events, region))
          : [copyTimeline(jobId, events)];
      })
    ).flat();
    // When each copy began in the cloud: its CopySnapshot, whichever step called it.
    for (const timeline of timelines) {
      const copies = bodies.get(timeline.jobId)?.copies ?? [];
      const copy = timeline.region
        ? copies.find((c) => c.destinationRegion === timeline.region)
        : copies[0];
      timeline.cloudStartedAt = cloudCopies
        .get(copy?.destinationSnapshotId ?? "")
        ?.StartTime?.getTime();
    }
    if (process.env.BENCH_DUMP) {
      const dump = { timelines, samples, histories: Object.fromEntries(histories) };
      writeFileSync(process.env.BENCH_DUMP, JSON.stringify(dump, null, 1));
    }
    const jobs: EndedJob[] = jobIds.map((jobId) => {
      const body = bodies.get(jobId) as JobBody;
      return {
        jobId,
        status: body.status,
        errors: [body.error?.message, ...body.copies.map((c) => c.error?.message)].filter(
          (message): message is string => typeof message === "string",
        ),
        durationMs: Date.parse(body.updatedAt) - Date.parse(body.createdAt),
        copies: body.copies.map((copy) => {
          const inCloud = cloudCopies.get(copy.destinationSnapshotId ?? "");
          const startedAt = inCloud?.StartTime?.getTime();
          const completedAt = inCloud?.CompletionTime?.getTime();
          return {
            region: copy.destinationRegion,
            transferMs:
              startedAt !== undefined && completedAt !== undefined
                ? (completedAt - startedAt) * plan.clockSpeed
                : undefined,
            cloudCompletedAt: completedAt,
          };
        }),
      };
    });
    // With a few copies (the copy-length scenarios), each copy's own figures.
    const perCopy =
      measuredIds.length > 10 || perRegion
        ? {}
        : {
            copies: measuredIds.map((jobId, index) => {
              const timeline = timelines.find((t) => t.jobId === jobId);
              const cloudEnd = jobs.find((j) => j.jobId === jobId)?.copies[0]?.cloudCompletedAt;
              const recordedAt = timeline?.completionRecordedAt;
              return {
                copySeconds: plan.copySeconds[index % plan.copySeconds.length],
                status: bodies.get(jobId)?.status,
                polls: timeline?.polls,
                detectLatencySeconds:
                  recordedAt !== undefined && cloudEnd !== undefined
                    ? Math.round(((recordedAt - cloudEnd) * plan.clockSpeed) / 10) / 100
                    : null,
                // The same in real time: under the compressed clock every real millisecond of
                // the local stack's own work counts as clockSpeed milliseconds.
                detectLatencyRealMs:
                  recordedAt !== undefined && cloudEnd !== undefined ? recordedAt - cloudEnd : null,
              };
            }),
          };
    // Behind jobs ahead, what the measured jobs waited and what their executions hold.
    const measured = plan.ahead
      ? {
          measured: measuredIds.map((jobId) => ({
            status: bodies.get(jobId)?.status,
            waitHoursByRegion: Object.fromEntries(
              timelines
                .filter((t) => t.jobId === jobId)
                .map((t) => [
                  t.region ?? firstDestination,
                  t.askedAt !== undefined && t.startedAt !== undefined
                    ? clockHours(t.startedAt - t.askedAt, plan.clockSpeed)
                    : null,
                ]),
            ),
            executions: counts
              .filter((c) => c.jobId === jobId)
              .map(({ name, events, transitions }) => ({ name, events, transitions })),
          })),
        }
      : {};
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
      executions: counts,
      samples,
      maxPending: Math.max(
        0,
        ...plan.destinations.map((region) => ownStats.regions[region]?.mostPendingCopies ?? 0),
      ),
      cloud,
      recordedCopiesLost,
      extra: {
        destinations: plan.destinations,
        copySeconds: [...new Set(plan.copySeconds)],
        ...(plan.ahead ? { ahead: plan.ahead } : {}),
        wallSeconds: Math.round((Date.now() - started) / 1000),
        ...(plan.foreignCopies ? { foreignCopies: plan.foreignCopies } : {}),
        ...(plan.pollFixedSeconds
          ? { poll: `fixed:${plan.pollFixedSeconds}` }
          : { poll: "adaptive" }),
        ...otherFigures,
        ...measured,
        ...perCopy,
      },
    });
  } finally {
    sampling = false;
    for (const client of ec2Of.values()) client.destroy();
    sfn.destroy();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};
