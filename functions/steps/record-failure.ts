// RecordFailure step: records the caught error on the copy (with a destination) or on the whole job,
// and removes what a failed copy left half-made.
import { recordCopyFailure, recordJobFailure } from "../core/record-failure.js";
import { stepHandler } from "./step-handler.js";
import { FailInput, failureFromCatch } from "./step-input.js";

export const handler = stepHandler(
  "recordFailure",
  FailInput,
  async ({ jobId, destinationRegion, error }, steps) => {
    const failure = failureFromCatch(error);
    if (destinationRegion) return recordCopyFailure(jobId, destinationRegion, failure, steps);
    return recordJobFailure(jobId, failure, steps);
  },
);
