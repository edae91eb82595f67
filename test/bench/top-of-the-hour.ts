// The top of the hour, at real speed (clock speed 1): many DR policies of many accounts, all due
// at the same minute, and the DR scheduler that serverless-offline fires every minute. What is
// measured is the scheduler's fan-out: for each policy, from the minute it was due to its jobs'
// executions starting, and whether any account's first job started after another's last.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SFNClient } from "@aws-sdk/client-sfn";
import { isFinishedJob } from "../../functions/core/job.js";
import { LOCAL } from "../../local/defaults.js";
import { cloudVolumes } from "../support/cloud-volumes.js";
import { credentials } from "../support/services.js";
import { type Signer, signedAs } from "../support/signed-as.js";
import { startStackProcess } from "../support/stack-process.js";
import { type ExecutionCount, type ScenarioResult, scenarioResult, spreadOf } from "./metrics.js";
import {
  cloudCounts,
  executionsByJob,
  history,
  inBatches,
  readCloudStats,
} from "./run-scenario.js";
import { billedTransitions, copyTimeline } from "./timelines.js";

export interface TopOfTheHourPlan {
  policies: number;
  volumes: number;
  accounts: number;
  destination: string;
  /** Real ms to wait for every job to end once all have started. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

const SOURCE = "ap-shanghai";

/** The `accounts` tenants: twelve digits each, none of them the stack's own. */
export const tenantAccounts = (accounts: number): string[] =>
  Array.from({ length: accounts }, (_, index) => String(500_000_000_000 + index));

/** Policy `index` of an account selects volumes tagged with its group; volumes are dealt out in turn. */
export const groupOf = (index: number) => `group-${index}`;

/**
 * Per account and overall, when its jobs started: the number of accounts whose first job started
 * after another account's last one (0: no account waited behind another's whole run).
 */
export const accountsFirstAfterAnotherLast = (
  startsByAccount: ReadonlyMap<string, readonly number[]>,
): number => {
  const spans = [...startsByAccount.values()]
    .filter((starts) => starts.length > 0)
    .map((starts) => ({ first: Math.min(...starts), last: Math.max(...starts) }));
  return spans.filter((span, index) =>
    spans.some((other, otherIndex) => otherIndex !== index && span.first > other.last),
  ).length;
};

/** The next whole minute at least `leadMs` from `now`. */
export const dueMinuteAfter = (now: number, leadMs: number): number =>
  Math.ceil((now + leadMs) / 60_000) * 60_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const runTopOfTheHour = async (plan: TopOfTheHourPlan): Promise<ScenarioResult> => {
  const log = plan.log ?? (() => {});
  const name = "top of the hour";
  const accounts = tenantAccounts(plan.accounts);
  const perAccount = Math.ceil(plan.policies / plan.accounts);
  const volumesPerAccount = Math.ceil(plan.volumes / plan.accounts);
  const dataDir = mkdtempSync(join(tmpdir(), "snaprelay-bench-"));
  const stack = await startStackProcess({
    dataDir,
    env: {
      SNAPRELAY_CLOCK_SPEED: "1",
      ALLOWLISTED_ACCOUNTS: accounts.join(","),
      SNAPSHOT_QUOTA_PER_REGION: "100000",
      LIMIT_REQUESTS_PER_SECOND: "10000",
      LIMIT_POLICIES: String(Math.max(100, perAccount)),
    },
  });
  const sfn = new SFNClient({ region: LOCAL.homeRegion, endpoint: stack.sfnUrl, credentials });
  const signers = new Map<string, Signer>(accounts.map((id) => [id, signedAs(stack, id)]));
  const call = async (account: string, method: string, path: string, body?: unknown) => {
    for (;;) {
      const response = await fetch(`${stack.api}${path}`, {
        method,
        headers: {
          authorization: (await signers.get(account)?.authorization()) ?? "",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (response.status === 503 || response.status === 429) {
        await pause(1_000);
        continue;
      }
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }
  };
  try {
    log(`${name}: stack ready in ${stack.readyAfterMs} ms; ${plan.volumes} volumes in ${SOURCE}`);
    const started = Date.now();
    // Each account lets snaprelay in and has its volumes, a snapshot each, dealt to its policies;
    // the accounts side by side.
    await inBatches(accounts, accounts.length, async (account) => {
      await fetch(`${stack.cloudUrl}/_admin/roles`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          accountId: account,
          roleName: LOCAL.accountRoleName,
          externalId: LOCAL.accountRoleExternalId,
        }),
      });
      const cloud = cloudVolumes(stack.cloudUrl, account);
      try {
        await inBatches(
          Array.from({ length: volumesPerAccount }, (_, index) => index),
          5,
          async (index) =>
            cloud.snapshot(
              SOURCE,
              await cloud.volume(SOURCE, 1, { group: groupOf(index % perAccount) }),
            ),
        );
      } finally {
        cloud.close();
      }
      log(`${name}: account ${account} has ${volumesPerAccount} volumes`);
    });
    // Due at a minute far enough ahead for every policy to be made first.
    const due = dueMinuteAfter(Date.now(), 60_000 + plan.policies * 150);
    const minute = new Date(due).getUTCMinutes();
    const policyIds = new Map<string, string>();
    await inBatches(
      accounts.flatMap((account) =>
        Array.from({ length: perAccount }, (_, index) => ({ account, index })),
      ),
      10,
      async ({ account, index }) => {
        const created = await call(account, "POST", "/policies", {
          name: `top-of-hour-${index}`,
          sourceRegion: SOURCE,
          selector: { tags: { group: groupOf(index) } },
          destinationRegions: [plan.destination],
          schedule: `cron(${minute} * * * ? *)`,
          retention: { count: 2 },
          rpoMinutes: 120,
        });
        if (created.status !== 201) {
          throw new Error(
            `POST /policies answered ${created.status}: ${JSON.stringify(created.body)}`,
          );
        }
        policyIds.set(String(created.body.policyId), account);
      },
    );
    if (Date.now() >= due) throw new Error("the policies were made after the minute they are due");
    log(`${name}: ${policyIds.size} policies due at ${new Date(due).toISOString()}`);
    await pause(due - Date.now());

    // Each policy's run, once the scheduler has made its jobs.
    const runs = new Map<string, { jobId: string }[]>();
    const runsBy = Date.now() + 600_000;
    while (runs.size < policyIds.size && Date.now() < runsBy) {
      await inBatches(
        [...policyIds].filter(([policyId]) => !runs.has(policyId)),
        10,
        async ([policyId, account]) => {
          const { body } = await call(account, "GET", `/policies/${policyId}`);
          const [last] = (body.lastRuns ?? []) as { status: string; jobs: { jobId: string }[] }[];
          if (last && last.status !== "STARTING") runs.set(policyId, last.jobs);
        },
      );
      if (runs.size < policyIds.size) await pause(2_000);
    }
    log(`${name}: ${runs.size} of ${policyIds.size} policies ran`);
    const accountOfJob = new Map<string, string>();
    for (const [policyId, jobs] of runs) {
      for (const { jobId } of jobs) accountOfJob.set(jobId, policyIds.get(policyId) ?? "");
    }
    const jobIds = [...accountOfJob.keys()];

    // Then every job to its end.
    const ended = new Map<string, Record<string, unknown>>();
    const endBy = Date.now() + (plan.timeoutMs ?? 1_800_000);
    while (ended.size < jobIds.length && Date.now() < endBy) {
      await inBatches(
        jobIds.filter((jobId) => !ended.has(jobId)),
        20,
        async (jobId) => {
          const { body } = await call(
            accountOfJob.get(jobId) ?? "",
            "GET",
            `/replications/${jobId}`,
          );
          if (isFinishedJob(String(body.status))) ended.set(jobId, body);
        },
      );
      if (ended.size < jobIds.length) await pause(5_000);
    }
    log(`${name}: ${ended.size} of ${jobIds.length} jobs ended`);

    const executions = await executionsByJob(sfn, jobIds);
    const startOf = (jobId: string) => executions.get(jobId)?.[0]?.startedAt;
    const delays = [...runs].map(([, jobs]) => {
      const starts = jobs.map(({ jobId }) => startOf(jobId));
      return starts.some((at) => at === undefined)
        ? Number.POSITIVE_INFINITY
        : (Math.max(due, ...(starts as number[])) - due) / 1000;
    });
    // A policy that never ran, or whose jobs never started, waited longer than anything measured.
    const unstarted = policyIds.size - delays.filter(Number.isFinite).length;
    const startsByAccount = new Map<string, number[]>(accounts.map((id) => [id, []]));
    for (const [jobId, account] of accountOfJob) {
      const at = startOf(jobId);
      if (at !== undefined) startsByAccount.get(account)?.push(at);
    }
    const counts: ExecutionCount[] = [];
    const timelines = (
      await inBatches(jobIds, 10, async (jobId) =>
        Promise.all(
          (executions.get(jobId) ?? []).map(async ({ name: executionName, arn }) => {
            const events = await history(sfn, arn);
            counts.push({
              jobId,
              name: executionName,
              events: events.length,
              transitions: billedTransitions(events),
            });
            return { ...copyTimeline(jobId, events), account: accountOfJob.get(jobId) };
          }),
        ),
      )
    ).flat(2);
    const cloud = cloudCounts(await readCloudStats(stack.cloudUrl));
    const intoDestination = Object.entries(cloud.mostPending)
      .filter(([pool]) => pool.endsWith(` ${plan.destination}`))
      .map(([, most]) => most);
    return scenarioResult({
      name,
      clockSpeed: 1,
      slots: 20,
      jobs: jobIds.map((jobId) => {
        const body = ended.get(jobId);
        return {
          jobId,
          status: String(body?.status ?? "UNFINISHED"),
          errors: [],
          durationMs:
            body === undefined
              ? 0
              : Date.parse(String(body.updatedAt)) - Date.parse(String(body.createdAt)),
          copies: [],
        };
      }),
      timelines,
      executions: counts,
      samples: [],
      maxPending: Math.max(0, ...intoDestination),
      cloud,
      // Not looked at here: the scenario measures the scheduler, not the copies.
      recordedCopiesLost: null,
      extra: {
        policies: policyIds.size,
        accounts: accounts.length,
        volumes: volumesPerAccount * accounts.length,
        dueAt: new Date(due).toISOString(),
        wallSeconds: Math.round((Date.now() - started) / 1000),
        startDelaySeconds: spreadOf(
          delays.filter(Number.isFinite).map((s) => Math.round(s * 10) / 10),
        ),
        policiesNotStarted: unstarted,
        policiesStartedWithin120s: delays.filter((s) => s <= 120).length,
        accountsFirstAfterAnotherLast: accountsFirstAfterAnotherLast(startsByAccount),
      },
    });
  } finally {
    sfn.destroy();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};
