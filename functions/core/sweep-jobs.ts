// The sweeper, run on a schedule, so that every accepted job reaches a final state: it starts a
// job whose execution did not start (the API's start failed or ran late, or a crash fell between
// writing the job and starting it), starts again one whose execution has vanished, and hands a job
// whose execution ended without finishing it (stopped by hand, its history full, a failure outside
// its own Catch) to a new execution that takes up its copies where they are: a copy under way is
// adopted, never deleted. Only a job whose executions keep ending is failed, saying why, and its
// copies under way are left to finish. Each look is safe to repeat. The accounts share each
// sweep's batch (fair-share.ts), so one account's backlog delays nobody else.
import { actingFor } from "./acting-for.js";
import { cleanUpCancelled } from "./cancel-job.js";
import { errorMessage } from "./errors.js";
import { fairShare } from "./fair-share.js";
import { isFinishedJob, type JobError, type ReplicationJob } from "./job.js";
import type { ExecutionView, SlotPool, Workflow } from "./ports.js";
import { recordJobFailure } from "./record-failure.js";
import type { StepDeps } from "./step-deps.js";

export interface SweepSettings {
  /** A job without an execution is started once it is this old: the API has had its chance. */
  startGraceSeconds: number;
  /** How often the execution of a running job is checked. */
  checkSeconds: number;
  /** A job whose execution could not be started for this long is failed. */
  giveUpSeconds: number;
  /** The most jobs one sweep looks at, shared among the accounts; the rest wait for the next. */
  batchSize: number;
  /** Epoch ms after which the sweep starts no further look; what is left waits for the next. */
  deadline?: number;
}

const pastDeadline = (settings: SweepSettings): boolean =>
  settings.deadline !== undefined && Date.now() > settings.deadline;

export interface SweepDeps extends StepDeps {
  workflow: Workflow;
  sweep: SweepSettings;
}

export type SweepAction =
  | "started"
  | "restarted"
  /** Its execution ended before the job did: a new execution took its copies over. */
  | "adopted"
  | "running"
  /** Its execution finished the job while the sweep looked at it: nothing left to do. */
  | "finished"
  | "failed"
  | "deferred"
  /** A cancelled job's leftovers (slots, places, partial copies) all cleared. */
  | "cleaned"
  /** A cancelled job left the queue with a partial copy given up on: its message tells the tenant. */
  | "abandoned";

export interface SweepReport {
  looked: number;
  /** How many jobs were looked at in each account (a store's legacy queue under its own name). */
  lookedByAccount: Record<string, number>;
  actions: Partial<Record<SweepAction, string[]>>;
  /**
   * Jobs the sweep could not settle this time, and accounts whose queue it could not read, and
   * why; the next sweep looks again.
   */
  problems: ({ jobId: string; message: string } | { accountId: string; message: string })[];
}

const emptyReport = (): SweepReport => ({
  looked: 0,
  lookedByAccount: {},
  actions: {},
  problems: [],
});

const noteLooked = (report: SweepReport, accountId: string) => {
  report.looked++;
  report.lookedByAccount[accountId] = (report.lookedByAccount[accountId] ?? 0) + 1;
};

/**
 * Where this sweep starts in the rotation among accounts: the minute it runs in. The sweeper runs
 * once a minute, so the number grows by one a run and the sweeper keeps no state of its own; a
 * run that comes late or not at all only shifts an account's turn by a run.
 */
export const sweepTurn = (now: Date): number => Math.floor(now.getTime() / 60_000);

const ENDED = new Set<ExecutionView["status"]>(["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]);

const inSeconds = (now: Date, seconds: number) =>
  new Date(now.getTime() + seconds * 1000).toISOString();

const describeEnd = (execution: ExecutionView): string => {
  const error = execution.error ? ` with ${execution.error}` : "";
  const cause = execution.cause ? `: ${execution.cause.slice(0, 500)}` : "";
  return `${execution.status.toLowerCase()}${error}${cause}`;
};

/**
 * How many executions in a row may take over a job whose execution ended before it did. Each
 * takes the copies up where they are, so a job needs another only if its execution ends again
 * (its history filled up, say: about a day of waiting): after this many, something keeps ending
 * them, and the job is failed instead.
 */
export const MAX_ADOPTIONS = 5;

const ADOPTION = /-adopted-(\d+)$/;

/** The name of the `adoption`th execution that takes over the job. */
export const adoptionName = (jobId: string, adoption: number): string =>
  `${jobId}-adopted-${adoption}`;

/** The name an execution's ARN ends with. */
const executionName = (executionArn: string): string => executionArn.split(":").at(-1) ?? "";

/** How many executions have taken the job over, read from its execution's name. */
export const adoptionsOf = (executionArn: string): number =>
  Number(ADOPTION.exec(executionName(executionArn))?.[1] ?? 0);

/**
 * Starts the job's execution (again), under `name` (by default the job's id); the same name can
 * never make it run twice.
 */
const start = async (
  job: ReplicationJob,
  deps: SweepDeps,
  now: Date,
  execution: { name?: string; adopts?: string } = {},
): Promise<void> => {
  const { executionArn } = await deps.workflow.start(
    job.jobId,
    { jobId: job.jobId, ...(execution.adopts ? { adopts: execution.adopts } : {}) },
    execution.name ? { name: execution.name } : {},
  );
  await deps.jobs.apply(
    job.jobId,
    {
      executionArn,
      ...(execution.adopts ? { takesOver: execution.adopts } : {}),
      nextSweepAt: inSeconds(now, deps.sweep.checkSeconds),
    },
    now.toISOString(),
  );
};

/** A start that failed but may work later: looked at again soon, not after a full check period. */
class StartDeferred extends Error {
  constructor(readonly reason: unknown) {
    super(errorMessage(reason));
    this.name = "StartDeferred";
  }
}

const fail = (job: ReplicationJob, error: JobError, deps: SweepDeps) =>
  recordJobFailure(job.jobId, error, deps);

const sweepUnstarted = async (
  job: ReplicationJob,
  deps: SweepDeps,
  now: Date,
): Promise<SweepAction> => {
  try {
    await start(job, deps, now);
    return "started";
  } catch (error) {
    const waitedSeconds = (now.getTime() - Date.parse(job.createdAt)) / 1000;
    // Too soon to give up: the next sweep but one tries again (see sweepJobs' retry schedule).
    if (waitedSeconds < deps.sweep.giveUpSeconds) throw new StartDeferred(error);
    await fail(
      job,
      {
        code: "WorkflowUnavailable",
        message: `Its execution could not be started for ${Math.round(waitedSeconds / 60)} minutes (last error: ${errorMessage(error)}); nothing was copied. Submit the job again.`,
      },
      deps,
    );
    return "failed";
  }
};

/**
 * Looks at a started job's execution, as a sweep does: a running one is checked again later; one
 * that ended before the job did is taken over by a new execution (or, after MAX_ADOPTIONS, the job
 * is failed). Safe to repeat: a job read finished, or taken over already, is left as it is.
 */
export const lookAtExecution = async (
  job: ReplicationJob,
  executionArn: string,
  deps: SweepDeps,
  now: Date,
): Promise<SweepAction> => {
  const execution = await deps.workflow.describe(executionArn);
  if (execution === undefined) {
    // Gone (a local endpoint that lost its state): every step is safe to run again.
    await start(job, deps, now, { name: executionName(executionArn) });
    return "restarted";
  }
  if (!ENDED.has(execution.status)) {
    await deps.jobs.apply(
      job.jobId,
      { nextSweepAt: inSeconds(now, deps.sweep.checkSeconds) },
      now.toISOString(),
    );
    return "running";
  }
  // The job was read before its execution was described, and an execution that succeeded in
  // between finished it: read now, it is no longer the sweep's (taking it over would start an
  // execution that fails at its first step and point the job at it).
  const current = await deps.jobs.get(job.jobId);
  if (!current || isFinishedJob(current.status)) return "finished";
  // The execution ended but the job did not: stopped by hand, its history full, or failed outside
  // its own Catch. Every step is safe to run again, and each finds its copy where it is (a copy
  // under way is waited for, a slot held is kept), so a new execution takes the copies over.
  const adoptions = adoptionsOf(executionArn);
  if (adoptions < MAX_ADOPTIONS) {
    await start(job, deps, now, {
      name: adoptionName(job.jobId, adoptions + 1),
      adopts: executionArn,
    });
    return "adopted";
  }
  const outcome = await recordJobFailure(
    job.jobId,
    {
      code: "ExecutionEnded",
      message: `Its execution ${executionArn} ended (${describeEnd(execution)}) before the job finished, as ${adoptions === 1 ? "had the execution" : `had the ${adoptions} executions`} before it.`,
    },
    deps,
    { keepCopiesUnderWay: true },
  );
  return outcome.status === "FAILED" ? "failed" : "running";
};

/**
 * A finished job still in the sweeper's queue has work left: a cancelled job whose cancel did not
 * finish its cleanup (the request died half-way, or the cloud would not delete a partial copy
 * yet). The cleanup runs again; the job leaves the queue once nothing is left.
 */
const sweepFinished = async (
  job: ReplicationJob,
  deps: SweepDeps,
  now: Date,
): Promise<SweepAction> => {
  if (job.status !== "CANCELLED") {
    await deps.jobs.apply(job.jobId, { sweepDone: true }, now.toISOString());
    return "cleaned";
  }
  const cleaned = await actingFor(job.jobId, () => cleanUpCancelled(job, deps));
  const states = cleaned.copies.map((copy) => copy.cleanup?.state);
  if (states.includes("PENDING")) return "deferred";
  return states.includes("ABANDONED") ? "abandoned" : "cleaned";
};

/**
 * The unfinished jobs that hold a slot in one of `pools` (one account's) that copies wait for, at
 * most `limit`, each once.
 */
const holdersWaitedFor = async (
  pools: readonly SlotPool[],
  limit: number,
  deps: SweepDeps,
): Promise<ReplicationJob[]> => {
  const found = new Map<string, ReplicationJob>();
  for (const pool of pools) {
    const { holders, queueLength } = await deps.slots.view(pool);
    if (queueLength === 0) continue;
    for (const { jobId } of holders) {
      if (found.size >= limit) return [...found.values()];
      if (found.has(jobId)) continue;
      const job = await deps.jobs.get(jobId);
      if (job?.executionArn && !isFinishedJob(job.status)) found.set(jobId, job);
    }
  }
  return [...found.values()];
};

/**
 * Slots held by copies whose execution has ended (stopped by hand, say) matter at once when
 * copies wait for them: for every pool with a queue, each holder's execution is checked, and a
 * job whose execution ended is taken over now (a new execution starts its copy or waits for it;
 * a job given up hands its slots on) instead of at its next check.
 * At most `budget` executions are described a sweep, shared among the accounts (each pool is one
 * account's) as the sweep's jobs are, so one account's many holders do not hide another's.
 */
export const settleHolders = async (deps: SweepDeps, budget = 100): Promise<SweepReport> => {
  const report = emptyReport();
  const now = deps.clock.now();
  const poolsOf = new Map<string, SlotPool[]>();
  for (const pool of await deps.slots.pools()) {
    poolsOf.set(pool.accountId, [...(poolsOf.get(pool.accountId) ?? []), pool]);
  }
  const shares = await fairShare({
    accounts: [...poolsOf.keys()].sort(),
    budget,
    turn: sweepTurn(now),
    read: (accountId, limit) => holdersWaitedFor(poolsOf.get(accountId) ?? [], limit, deps),
  });
  for (const { account, item: job } of shares) {
    if (pastDeadline(deps.sweep)) break;
    const { jobId, executionArn } = job;
    if (!executionArn) continue;
    noteLooked(report, account);
    try {
      const execution = await deps.workflow.describe(executionArn);
      if (!execution || !ENDED.has(execution.status)) continue;
      const action = await lookAtExecution(job, executionArn, deps, now);
      report.actions[action] = [...(report.actions[action] ?? []), jobId];
    } catch (error) {
      report.problems.push({ jobId, message: errorMessage(error) });
    }
  }
  return report;
};

export const sweepJobs = async (deps: SweepDeps): Promise<SweepReport> => {
  const now = deps.clock.now();
  const dueBy = new Date(now.getTime() - deps.sweep.startGraceSeconds * 1000).toISOString();
  const report = emptyReport();
  const shares = await fairShare({
    accounts: await deps.jobs.sweepAccounts(),
    budget: deps.sweep.batchSize,
    turn: sweepTurn(now),
    // An account whose queue cannot be read now is reported and left for the next sweep; the
    // other accounts are swept all the same.
    read: (accountId, limit) =>
      deps.jobs.dueForSweep(accountId, dueBy, limit).catch((error: unknown) => {
        report.problems.push({ accountId, message: errorMessage(error) });
        return [];
      }),
  });
  const note = (action: SweepAction, jobId: string) => {
    report.actions[action] = [...(report.actions[action] ?? []), jobId];
  };
  // Round robin by account (fair-share.ts): a sweep that runs out of time mid-way has given every
  // account its first jobs.
  for (const { account, item: job } of shares) {
    // Out of time: the jobs left stay due, first in the next sweep's shares.
    if (pastDeadline(deps.sweep)) break;
    noteLooked(report, account);
    try {
      const action = isFinishedJob(job.status)
        ? await sweepFinished(job, deps, now)
        : job.executionArn === null
          ? await sweepUnstarted(job, deps, now)
          : await lookAtExecution(job, job.executionArn, deps, now);
      note(action, job.jobId);
    } catch (error) {
      note("deferred", job.jobId);
      report.problems.push({ jobId: job.jobId, message: errorMessage(error) });
      // An unstarted job is tried again soon; any other job that failed a look is looked at again
      // after a full check period, so that jobs which keep failing do not crowd out the rest.
      const after =
        error instanceof StartDeferred ? deps.sweep.startGraceSeconds : deps.sweep.checkSeconds;
      await deps.jobs
        .apply(job.jobId, { nextSweepAt: inSeconds(now, after) }, now.toISOString())
        .catch(() => undefined);
    }
  }
  return report;
};
