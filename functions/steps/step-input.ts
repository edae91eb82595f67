// The inputs the state machine hands each step, checked with zod, and the shape of an error
// that a Catch passes on (`{Error, Cause}`) turned back into the job's error.
import { z } from "zod";
import type { JobError } from "../core/job.js";
import { RegionSchema } from "../core/request.js";
import { tenantCause } from "../core/tenant-cause.js";

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

/**
 * The caught error as the job records it, for its tenant to read: one of snaprelay's codes with
 * its own message (a Lambda cause's errorMessage, never its trace), or, for an error of Lambda or
 * Step Functions themselves, a code and a plain description (see tenant-cause.ts); no ARN but the
 * account's own. The raw error stays in the step's log for the operator.
 */
export const failureFromCatch = (
  caught: z.infer<typeof CaughtError>,
  accountId: string,
): JobError => {
  const { error, cause } = tenantCause(caught.Error, caught.Cause, accountId);
  return { code: error, message: cause || `The step failed with ${error}.` };
};
