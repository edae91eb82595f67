// What every step handler does around its one domain call: check the state machine's input, log
// the start and the outcome with the job's keys under the step's name (its function's key in
// PascalCase), and let a named error through unchanged for the state machine's Retry and Catch
// (an AWS service busy past the SDK's retries becomes ServiceBusy, which it retries).
import type { z } from "zod";
import { isPassingTrouble } from "../adapters/passing-trouble.js";
import { actingFor } from "../core/acting-for.js";
import { DomainError } from "../core/errors.js";
import { parseWith } from "../core/request.js";
import type { StepDeps } from "../core/step-deps.js";
import { logger } from "../logger.js";
import { stepName } from "../manifest.js";
import { traced } from "../tracing.js";
import { stepDeps } from "../wiring.js";

/**
 * An AWS service that stayed busy through the SDK's retries (DynamoDB throttling, say) fails the
 * step as ServiceBusy, which the state machine retries like a Lambda's own hiccup, rather than as
 * an unnamed error that its Catch would turn into a failed copy or job.
 */
export const asNamedError = (step: string, error: unknown): unknown =>
  !(error instanceof DomainError) && isPassingTrouble(error)
    ? new DomainError(
        "ServiceBusy",
        `${step}: a service it calls is busy (${(error as Error).name}: ${(error as Error).message}); the state machine tries the step again.`,
        { cause: error },
      )
    : error;

export const stepHandler = <
  Input extends { jobId: string; destinationRegion?: string | undefined },
  Output,
>(
  key: string,
  schema: z.ZodType<Input>,
  run: (input: Input, deps: StepDeps) => Promise<Output>,
) => {
  const step = stepName(key);
  const deps = stepDeps();
  return traced(step, async (event: unknown): Promise<Output> => {
    const input = parseWith(schema, event, `${step} input`);
    const keys = {
      step,
      jobId: input.jobId,
      ...(input.destinationRegion ? { destinationRegion: input.destinationRegion } : {}),
    };
    const started = Date.now();
    try {
      // The tenant's CloudTrail names the job each of its calls was made for.
      const output = await actingFor(input.jobId, () => run(input, deps));
      logger.info(`${step} done`, { ...keys, durationMs: Date.now() - started, output });
      return output;
    } catch (caught) {
      const error = asNamedError(step, caught);
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
