// RecordFailure step: records the caught error on the copy (with a destination) or on the whole job,
// as the job's tenant may read it, and removes what a failed copy left half-made. The raw error
// (a Lambda's stack trace, Step Functions' own text) goes to the step's log for the operator.
import { loadJob } from "../core/load-job.js";
import { recordCopyFailure, recordJobFailure } from "../core/record-failure.js";
import { logger } from "../logger.js";
import { stepHandler } from "./step-handler.js";
import { FailInput, failureFromCatch } from "./step-input.js";

export const handler = stepHandler(
  "recordFailure",
  FailInput,
  async ({ jobId, destinationRegion, error }, steps) => {
    const job = await loadJob(steps.jobs, jobId);
    const failure = failureFromCatch(error, job.accountId);
    if (failure.code !== error.Error) {
      logger.warn("a step failed outside snaprelay's own errors", {
        jobId,
        destinationRegion,
        error: error.Error,
        cause: error.Cause,
        recordedAs: failure.code,
      });
    }
    if (destinationRegion) return recordCopyFailure(jobId, destinationRegion, failure, steps);
    return recordJobFailure(jobId, failure, steps);
  },
);
