// The inputs the state machine hands each step, checked with zod, and the shape of an error
// that a Catch passes on (`{Error, Cause}`) turned back into the job's error.
import { z } from "zod";
import type { JobError } from "../core/job.js";
import { RegionSchema } from "../core/request.js";

export const JobInput = z.object({ jobId: z.string().min(1) });

export const CopyInput = JobInput.extend({ destinationRegion: RegionSchema });

export const WaitInput = CopyInput.extend({ taskToken: z.string().min(1).max(2048) });

/** PollCopy: how many safety polls the copy has had (each lengthens the next wait). */
export const PollInput = CopyInput.extend({
  polls: z.number().int().min(0).max(10_000).optional(),
});

export const FinalizeInput = JobInput.extend({ destinationRegion: RegionSchema.optional() });

export const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() });

export const FailInput = FinalizeInput.extend({ error: CaughtError });

/** Lambda's Cause is a JSON string with errorMessage; States.* errors carry plain text. */
export const failureFromCatch = (caught: z.infer<typeof CaughtError>): JobError => {
  let message = caught.Cause ?? "";
  try {
    const cause: unknown = JSON.parse(message);
    if (cause && typeof cause === "object" && "errorMessage" in cause) {
      message = String(cause.errorMessage);
    }
  } catch {
    // not JSON: keep the text as it came
  }
  return { code: caught.Error, message: message || `The step failed with ${caught.Error}.` };
};
