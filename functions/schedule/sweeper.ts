// The sweeper, every minute: starts accepted jobs whose execution did not start, hands jobs whose
// execution ended without them to a new execution, at once for those holding slots that copies
// wait for, each sweep shared among the accounts in turn (see core/sweep-jobs.ts and
// core/fair-share.ts), and walks the copy-slot pools from where the last sweep stopped, taking
// back slots such jobs left held and counting each queue for its metrics (see core/copy-queue.ts).
// First of all, for a third of the sweep at most, it replays the copy events copyEvents failed on
// (Lambda's on-failure destination, see core/replay-copy-events.ts): their copies wait for them now.
// One sweep at a time holds the sweeper's lease, and each stops starting work at its deadline, so
// sweeps never overlap however long one takes. One JSON log line per sweep.
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import { rememberedTenants } from "../core/copy-events.js";
import { reclaimSlots } from "../core/copy-queue.js";
import { errorMessage } from "../core/errors.js";
import { replayCopyEvents } from "../core/replay-copy-events.js";
import { settleHolders, sweepJobs } from "../core/sweep-jobs.js";
import { logger } from "../logger.js";
import { ENTRY_FUNCTIONS } from "../manifest.js";
import { traced } from "../tracing.js";
import { scheduleDeps } from "../wiring.js";

const deps = scheduleDeps();
const { config } = deps;
const { name } = ENTRY_FUNCTIONS.sweeper;
const tenants = rememberedTenants(deps.allowlist, deps.clock);

/** A sweep's work stops starting this long after it began: within the minute to the next one. */
const WORK_MS = 45_000;
/** The replay of failed copy events stops this long after the sweep began: the rest is the jobs'. */
const REPLAY_MS = 15_000;
/** The lease outlasts the function's timeout: a sweep cut off by it is not overlapped either. */
const LEASE_NAME = "sweeper";

export const handler = traced(
  name,
  async (_event: unknown, context?: Pick<Context, "getRemainingTimeInMillis">) => {
    const started = Date.now();
    const remaining = context?.getRemainingTimeInMillis?.() ?? 120_000;
    const holder = randomUUID();
    // The lease is held by the real clock (the functions' may be compressed, locally).
    const lease = await deps.leases.claim(
      LEASE_NAME,
      holder,
      new Date(started),
      new Date(started + remaining),
    );
    if (lease === false) {
      logger.warn("sweep skipped: the sweep before it still runs", { step: name });
      return { skipped: true };
    }
    const deadline = started + Math.min(WORK_MS, remaining - 15_000);
    const sweep = {
      startGraceSeconds: config.sweepStartGraceSeconds,
      checkSeconds: config.sweepCheckSeconds,
      giveUpSeconds: config.sweepGiveUpSeconds,
      batchSize: 200,
      deadline,
    };
    const replay = deps.failedEvents
      ? await replayCopyEvents(
          {
            ...deps,
            failedEvents: deps.failedEvents,
            tenants,
            warn: (message) => logger.warn(message, { step: name }),
          },
          { deadline: Math.min(deadline, started + REPLAY_MS) },
        )
      : undefined;
    const jobs = await sweepJobs({ ...deps, sweep });
    const holders = await settleHolders({ ...deps, sweep });
    // After the jobs: a job the sweep just failed gives its slot back here at the latest.
    const slots = await reclaimSlots(deps, { after: lease.cursor, deadline }).catch(
      (error: unknown) => ({ problem: errorMessage(error), cursor: lease.cursor }),
    );
    await deps.leases.finish(LEASE_NAME, holder, slots.cursor).catch((error: unknown) =>
      logger.warn("the sweeper's lease could not be given back", {
        step: name,
        error: errorMessage(error),
      }),
    );
    const troubled =
      (replay?.problems.length ?? 0) > 0 ||
      jobs.problems.length > 0 ||
      holders.problems.length > 0 ||
      "problem" in slots ||
      slots.problems.length > 0;
    const log = troubled ? logger.warn.bind(logger) : logger.info.bind(logger);
    const report = { ...jobs, holders, slots, ...(replay ? { replay } : {}) };
    log("sweep done", { step: name, durationMs: Date.now() - started, ...report });
    return report;
  },
);
