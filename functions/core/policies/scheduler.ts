// The scheduler's tick, every minute, with the event's own time as "now": take up runs left
// unfinished, claim the runs that are due (a conditional claim, so two ticks never run one policy
// twice; POLICY_RUN_WIDTH at once, in the fair order) and hand each to a worker of its own (one
// asynchronous invocation per run: 5,000 policies due at the top of the hour are carried out side
// by side, not in one function's minute), and report recovery points that have just grown older
// than their RPO. A run no worker could be given is carried out by the tick itself; a worker that
// dies leaves its run STARTING, checkpointed volume by volume, and the tick takes it up again.
// Nothing here scans a table: each question is one index query (one per account with policies
// for the due ones, so that each account gets its turn).
import pLimit from "p-limit";
import { errorMessage } from "../errors.js";
import { fairShare } from "../fair-share.js";
import type { PolicyEvents } from "./events.js";
import { type DrPolicy, nextRunOf } from "./policy.js";
import { countsOf, type PolicyRun } from "./records.js";
import { breachTime, recoveryPointOf } from "./recovery-point.js";
import { executeRun, newRun, type PolicyDeps, RESUME_AFTER_MS } from "./run-policy.js";

/** The later of two times: the tick's may be ahead of the clock (a test's tick), or behind. */
const later = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);

export interface TickOptions {
  /** Epoch ms after which the tick starts nothing new (what it leaves, the next tick takes up). */
  deadline: number;
  /** Policies, runs or targets read per query. */
  batchSize: number;
  /** Runs carried out at once (POLICY_RUN_WIDTH by default). */
  width?: number;
}

/**
 * Runs carried out at once: a run waits mostly on EC2 and DynamoDB, so a tick that ran them one
 * at a time spent the minute waiting (500 policies due at the top of the hour took many ticks),
 * while at once they share the tick. Started in the fair order (each account's first run before
 * any account's second), so no account's first run waits behind another account's last.
 */
export const POLICY_RUN_WIDTH = 16;

/**
 * Carries out `work` for each item, `width` at a time, started in the items' order; the summaries
 * come back in that order too. A failure is reported, not thrown, so the others carry on.
 */
const inTurn = async <T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<RunSummary | undefined>,
  problems: string[],
): Promise<RunSummary[]> => {
  const limit = pLimit(width);
  const settled = await Promise.allSettled(items.map((item) => limit(() => work(item))));
  const summaries: RunSummary[] = [];
  for (const outcome of settled) {
    if (outcome.status === "rejected") problems.push(errorMessage(outcome.reason));
    else if (outcome.value) summaries.push(outcome.value);
  }
  return summaries;
};

export interface RunSummary {
  policyId: string;
  runId: string;
  status: PolicyRun["status"];
  jobs: number;
  skipped: number;
  failures: number;
  /** Handed to a worker of its own, which carries it out (the counts are then the worker's). */
  dispatched?: true;
}

/** A claimed run, as a worker is handed it. */
export interface RunRef {
  policyId: string;
  runId: string;
}

/**
 * Hands a claimed run to a worker of its own (Lambda: an asynchronous invocation of policyRun),
 * which carries it out with `carryOutDispatched`. Resolves once the worker has it; rejects when it
 * could not be handed over (the tick then carries the run out itself).
 */
export interface RunDispatcher {
  dispatch(run: RunRef): Promise<void>;
}

export interface TickSummary {
  now: string;
  runs: RunSummary[];
  /** Due runs another tick claimed first. */
  claimedElsewhere: number;
  breaches: number;
  problems: string[];
}

const summaryOf = (run: PolicyRun): RunSummary => ({
  policyId: run.policyId,
  runId: run.runId,
  status: run.status,
  ...countsOf(run),
});

/** The scheduler's ports: a policy run's, and the workers it hands runs to (none: it runs them). */
export interface SchedulerDeps extends PolicyDeps {
  dispatcher?: RunDispatcher;
}

/**
 * A claimed run, to a worker of its own when there is one; carried out here when there is none or
 * the hand-over failed (the worker is then never started, so the run is carried out once).
 */
const carryOutClaimed = async (
  policy: DrPolicy,
  run: PolicyRun,
  { deps, events, options, summary }: Tick,
): Promise<RunSummary> => {
  if (deps.dispatcher) {
    try {
      await deps.dispatcher.dispatch({ policyId: run.policyId, runId: run.runId });
      return { ...summaryOf(run), dispatched: true };
    } catch (error) {
      summary.problems.push(
        `run ${run.runId} of ${run.policyId} carried out by the tick: no worker took it (${errorMessage(error)})`,
      );
    }
  }
  return summaryOf(await executeRun(policy, run, deps, options.deadline, events));
};

/**
 * A worker's part: carries out the run it was handed, if it is still STARTING (a run handed over
 * twice, or already finished by a tick, is left as it is). Undefined when there was nothing to do.
 */
export const carryOutDispatched = async (
  ref: RunRef,
  deps: PolicyDeps,
  events: PolicyEvents,
  deadline: number,
): Promise<RunSummary | undefined> => {
  const run = await deps.policies.getRun(ref.policyId, ref.runId);
  if (run?.status !== "STARTING") return undefined;
  const policy = await deps.policies.get(run.policyId);
  if (!policy) return summaryOf(await failForLostPolicy(run, deps));
  return summaryOf(await executeRun(policy, run, deps, deadline, events));
};

/** A run whose policy was deleted before it ended: FAILED, saying so. */
const failForLostPolicy = async (run: PolicyRun, deps: PolicyDeps): Promise<PolicyRun> => {
  const failed: PolicyRun = {
    ...run,
    status: "FAILED",
    finishedAt: deps.clock.now().toISOString(),
    resumeAt: null,
    error: {
      code: "PolicyNotFound",
      message: "The policy was deleted before its run ended.",
    },
  };
  await deps.policies.saveRun(failed);
  return failed;
};

/** What each part of a tick works with: its time, its ports and options, and the summary it fills. */
interface Tick {
  now: Date;
  deps: SchedulerDeps;
  events: PolicyEvents;
  options: TickOptions;
  summary: TickSummary;
}

const resumeRuns = async (tick: Tick) => {
  const { now, deps, options, summary } = tick;
  const runs = await deps.policies.runsToResume(now.toISOString(), options.batchSize);
  const resumed = await inTurn(
    runs,
    options.width ?? POLICY_RUN_WIDTH,
    async (run) => {
      if (Date.now() > options.deadline) return undefined;
      // Taken up by one tick only; if this one dies too, the next takes it up after this.
      const resumeAt = new Date(later(now, deps.clock.now()).getTime() + RESUME_AFTER_MS);
      if (!(await deps.policies.claimResume(run, resumeAt.toISOString()))) return undefined;
      run.resumeAt = resumeAt.toISOString();
      const policy = await deps.policies.get(run.policyId);
      if (!policy) {
        await failForLostPolicy(run, deps);
        return undefined;
      }
      return carryOutClaimed(policy, run, tick);
    },
    summary.problems,
  );
  summary.runs.push(...resumed);
};

/**
 * The policies due now, shared fairly among their accounts (see fair-share.ts): every account
 * with a policy due gets one run before any account gets a second, so one account with many due
 * policies cannot push another's run out of the tick. Rounds go on until nothing is due or time
 * is up.
 */
const runDuePolicies = async (tick: Tick) => {
  const { now, deps, options, summary } = tick;
  const accounts = await deps.policies.policyAccounts();
  // The tick's minute turns the rotation: with more accounts than a round takes, the next tick
  // starts where this one's first round ended.
  const turn = Math.floor(now.getTime() / 60_000);
  for (let round = 0; Date.now() <= options.deadline; round++) {
    const due = await fairShare({
      accounts,
      budget: options.batchSize,
      turn: turn + round,
      read: (accountId, limit) => deps.policies.due(accountId, now.toISOString(), limit),
    });
    let claimed = 0;
    const ran = await inTurn(
      due,
      options.width ?? POLICY_RUN_WIDTH,
      async ({ item: policy }) => {
        if (Date.now() > options.deadline || !policy.nextRunAt) return undefined;
        const run = newRun(policy, "schedule", policy.nextRunAt, later(now, deps.clock.now()));
        if (!(await deps.policies.claimRun(policy, run, nextRunOf(policy, now)))) {
          summary.claimedElsewhere += 1;
          return undefined;
        }
        claimed += 1;
        return carryOutClaimed(policy, run, tick);
      },
      summary.problems,
    );
    summary.runs.push(...ran);
    // Everything due was claimed by this tick or another: the next round would find the same.
    if (due.length < options.batchSize || claimed === 0) return;
  }
};

const reportBreaches = async ({ now, deps, events, options, summary }: Tick) => {
  const policies = new Map<string, DrPolicy | undefined>();
  for (const target of await deps.policies.dueBreaches(now.toISOString(), options.batchSize)) {
    if (!policies.has(target.policyId)) {
      policies.set(target.policyId, await deps.policies.get(target.policyId));
    }
    const policy = policies.get(target.policyId);
    // A target left by a deleted policy, or of a destination the policy no longer has: its
    // check is retired, so it never stands in the way of the others.
    if (!policy?.destinationRegions.includes(target.destinationRegion)) {
      await deps.policies.retireBreachCheck(target);
      continue;
    }
    const view = recoveryPointOf(target, policy.rpoMinutes, now);
    if (view.status === "OK") {
      // The RPO grew since the check was set: check again when the new one runs out.
      const since = target.recoveryPoint?.sourceTime ?? target.createdAt;
      await deps.policies.rescheduleBreach(target, breachTime(since, policy.rpoMinutes));
      continue;
    }
    if (!(await deps.policies.markBreached(target, now.toISOString()))) continue;
    summary.breaches += 1;
    events.breached({
      accountId: policy.accountId,
      policyId: policy.policyId,
      policyName: policy.name,
      volumeId: target.volumeId,
      destinationRegion: target.destinationRegion,
      rpoMinutes: policy.rpoMinutes,
      sourceSnapshotId: view.sourceSnapshotId,
      sourceTime: view.sourceTime,
      ageMinutes: view.ageMinutes,
      breachedSince: now.toISOString(),
    });
  }
};

export const tick = async (
  now: Date,
  deps: SchedulerDeps,
  events: PolicyEvents,
  options: TickOptions,
): Promise<TickSummary> => {
  const summary: TickSummary = {
    now: now.toISOString(),
    runs: [],
    claimedElsewhere: 0,
    breaches: 0,
    problems: [],
  };
  const parts: [string, (tick: Tick) => Promise<void>][] = [
    ["resuming runs", resumeRuns],
    ["running due policies", runDuePolicies],
    ["checking recovery points", reportBreaches],
  ];
  // One part failing (DynamoDB busy, say) does not stop the others; the next tick tries again.
  for (const [what, part] of parts) {
    try {
      await part({ now, deps, events, options, summary });
    } catch (error) {
      summary.problems.push(`${what}: ${errorMessage(error)}`);
    }
  }
  return summary;
};
