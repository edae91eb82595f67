// The sweeper, every minute: starts accepted jobs whose execution did not start, and closes jobs
// whose execution ended without them (see core/sweep-jobs.ts). One JSON log line per sweep.
import { sweepJobs } from "../core/sweep-jobs.js";
import { logger } from "../logger.js";
import { servicesFromEnv } from "../wiring.js";

const { steps, workflow, config } = servicesFromEnv();
const sweep = {
  startGraceSeconds: config.sweepStartGraceSeconds,
  checkSeconds: config.sweepCheckSeconds,
  giveUpSeconds: config.sweepGiveUpSeconds,
  batchSize: 200,
};

export const handler = async () => {
  const started = Date.now();
  const report = await sweepJobs({ ...steps, workflow, sweep });
  const log = report.problems.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
  log("sweep done", { step: "Sweep", durationMs: Date.now() - started, ...report });
  return report;
};
