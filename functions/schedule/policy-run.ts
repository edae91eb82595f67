// A DR policy's run, handed over by the scheduler's tick (one asynchronous invocation per run, see
// core/policies/scheduler.ts). It carries the run out until its own time is nearly up; what is
// left stays STARTING, checkpointed volume by volume, and the next tick hands it over again.
import type { Context } from "aws-lambda";
import { z } from "zod";
import { carryOutDispatched } from "../core/policies/scheduler.js";
import { logger } from "../logger.js";
import { ENTRY_FUNCTIONS } from "../manifest.js";
import { loggedPolicyEvents } from "../policy-events.js";
import { traced } from "../tracing.js";
import { scheduleDeps } from "../wiring.js";

const deps = scheduleDeps();
const { name } = ENTRY_FUNCTIONS.policyRun;

/** Room left before the function's timeout to save what the run did. */
const MARGIN_MS = 15_000;

const RunRefSchema = z.strictObject({
  policyId: z.string().regex(/^pol-[0-9a-f-]{36}$/),
  runId: z.string().min(1).max(64),
});

export const handler = traced(
  name,
  async (event: unknown, context?: Pick<Context, "getRemainingTimeInMillis">) => {
    const started = Date.now();
    const ref = RunRefSchema.safeParse(event);
    if (!ref.success) {
      // Nothing to retry: an event that names no run is logged and dropped.
      logger.error("policy run event names no run", { step: name, issues: ref.error.issues });
      return undefined;
    }
    const remaining = context?.getRemainingTimeInMillis?.() ?? 120_000;
    const summary = await carryOutDispatched(
      ref.data,
      deps,
      loggedPolicyEvents,
      started + remaining - MARGIN_MS,
    );
    logger.info(summary ? "policy run carried out" : "policy run needed nothing", {
      step: name,
      durationMs: Date.now() - started,
      ...ref.data,
      ...summary,
    });
    return summary;
  },
);
