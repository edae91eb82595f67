// What every step handler does around its one domain call: check the state machine's input,
// log the start and the outcome with the job's keys, and let a named error through unchanged
// for the state machine's Retry and Catch.
import type { z } from "zod";
import { parseWith } from "../core/request.js";
import type { StepDeps } from "../core/step-deps.js";
import { logger } from "../logger.js";
import { traced } from "../tracing.js";
import { servicesFromEnv } from "../wiring.js";

export const stepHandler = <
  Input extends { jobId: string; destinationRegion?: string | undefined },
  Output,
>(
  step: string,
  schema: z.ZodType<Input>,
  run: (input: Input, deps: StepDeps) => Promise<Output>,
) => {
  const { steps } = servicesFromEnv();
  return traced(step, async (event: unknown): Promise<Output> => {
    const input = parseWith(schema, event, `${step} input`);
    const keys = {
      step,
      jobId: input.jobId,
      ...(input.destinationRegion ? { destinationRegion: input.destinationRegion } : {}),
    };
    const started = Date.now();
    try {
      const output = await run(input, steps);
      logger.info(`${step} done`, { ...keys, durationMs: Date.now() - started, output });
      return output;
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      logger.warn(`${step} failed`, {
        ...keys,
        durationMs: Date.now() - started,
        error: { name, message },
      });
      throw error;
    }
  });
};
