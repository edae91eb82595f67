// The DR scheduler, every minute: the event's own `time` is "now", so a tick can be sent for any
// moment (a test makes a policy due without waiting for it). See core/policies/scheduler.ts.
import type { Context, ScheduledEvent } from "aws-lambda";
import { tick } from "../core/policies/scheduler.js";
import { logger } from "../logger.js";
import { ENTRY_FUNCTIONS } from "../manifest.js";
import { loggedPolicyEvents } from "../policy-events.js";
import { traced } from "../tracing.js";
import { scheduleDeps } from "../wiring.js";

const deps = scheduleDeps();
const { clock, config } = deps;
const { name } = ENTRY_FUNCTIONS.scheduler;

/** Room left before the function's timeout to save what the tick did. */
const MARGIN_MS = 15_000;
const BATCH_SIZE = 25;

const nowOf = (event: Partial<ScheduledEvent> | undefined): Date => {
  const time = event?.time ? new Date(event.time) : undefined;
  if (!time || Number.isNaN(time.getTime())) return clock.now();
  // Under the local stack's compressed clock, policies live in the clock's time, ahead of the
  // real time the schedule's events carry.
  return config.clockSpeed > 1 ? new Date(Math.max(time.getTime(), clock.now().getTime())) : time;
};

export const handler = traced(
  name,
  async (
    event: Partial<ScheduledEvent> | undefined,
    context?: Pick<Context, "getRemainingTimeInMillis">,
  ) => {
    const started = Date.now();
    const remaining = context?.getRemainingTimeInMillis?.() ?? 120_000;
    const summary = await tick(nowOf(event), deps, loggedPolicyEvents, {
      deadline: started + remaining - MARGIN_MS,
      batchSize: BATCH_SIZE,
    });
    const log = summary.problems.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
    log("schedule tick done", { step: name, durationMs: Date.now() - started, ...summary });
    return summary;
  },
);
