// The sweeper, every minute: starts accepted jobs whose execution did not start, closes jobs
// whose execution ended without them, at once for those holding slots that copies wait for, each
// sweep shared among the accounts in turn (see core/sweep-jobs.ts and core/fair-share.ts), and
// takes back copy slots that such jobs left held (see core/copy-queue.ts), and counts each
// region's queue for its metrics. One JSON log line per sweep.
import { reclaimSlots, reportQueues } from "../core/copy-queue.js";
import { errorMessage } from "../core/errors.js";
import { settleHolders, sweepJobs } from "../core/sweep-jobs.js";
import { logger } from "../logger.js";
import { ENTRY_FUNCTIONS } from "../manifest.js";
import { traced } from "../tracing.js";
import { scheduleDeps } from "../wiring.js";

const deps = scheduleDeps();
const { config } = deps;
const { name } = ENTRY_FUNCTIONS.sweeper;
const sweep = {
  startGraceSeconds: config.sweepStartGraceSeconds,
  checkSeconds: config.sweepCheckSeconds,
  giveUpSeconds: config.sweepGiveUpSeconds,
  batchSize: 200,
};

export const handler = traced(name, async () => {
  const started = Date.now();
  const jobs = await sweepJobs({ ...deps, sweep });
  const holders = await settleHolders({ ...deps, sweep });
  // After the jobs: a job the sweep just failed gives its slot back here at the latest.
  const slots = await reclaimSlots(deps).catch((error: unknown) => ({
    problem: errorMessage(error),
  }));
  const queues = await reportQueues(deps).then(
    () => "reported",
    (error: unknown) => errorMessage(error),
  );
  const troubled =
    jobs.problems.length > 0 ||
    holders.problems.length > 0 ||
    "problem" in slots ||
    slots.problems.length > 0 ||
    queues !== "reported";
  const log = troubled ? logger.warn.bind(logger) : logger.info.bind(logger);
  const report = { ...jobs, holders, slots, queues };
  log("sweep done", { step: name, durationMs: Date.now() - started, ...report });
  return report;
});
