// The function EventBridge calls when an execution of the replication state machine ends FAILED,
// TIMED_OUT or ABORTED (Step Functions' status-change events; see serverless.yml): a job whose
// execution ended before it did is taken over at once (core/execution-ended.ts), not at the
// sweeper's next look. Other events change nothing. A failure is thrown, so Lambda runs the event
// again (twice at most); the sweeper's look is there for an event that never comes.
import { onExecutionEnded, readExecutionEnd } from "../core/execution-ended.js";
import { logger } from "../logger.js";
import { ENTRY_FUNCTIONS } from "../manifest.js";
import { traced } from "../tracing.js";
import { scheduleDeps } from "../wiring.js";

const deps = scheduleDeps();
const { config } = deps;
const { name } = ENTRY_FUNCTIONS.executionEnded;
const sweep = {
  startGraceSeconds: config.sweepStartGraceSeconds,
  checkSeconds: config.sweepCheckSeconds,
  giveUpSeconds: config.sweepGiveUpSeconds,
  batchSize: 1,
};

export const handler = traced(name, async (event: unknown) => {
  const end = readExecutionEnd(event);
  if (!end) {
    logger.info("event ignored: not an execution that ended before its job", { step: name });
    return { outcome: "ignored" };
  }
  const outcome = await onExecutionEnded(end, {
    ...deps,
    sweep,
    stateMachineArn: config.stateMachineArn,
  });
  logger.info("execution ended", { step: name, ...end, outcome });
  return { outcome };
});
