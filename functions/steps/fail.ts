// Fail step: records the caught error on the copy (with a destination) or on the whole job,
// and removes what a failed copy left half-made.
import { recordCopyFailure, recordJobFailure } from "../core/record-failure.js";
import { parseWith } from "../core/request.js";
import { servicesFromEnv } from "../wiring.js";
import { FailInput, failureFromCatch } from "./step-input.js";

const { steps } = servicesFromEnv();

export const handler = async (event: unknown) => {
  const { jobId, destinationRegion, error } = parseWith(FailInput, event, "Fail input");
  const failure = failureFromCatch(error);
  if (destinationRegion) return recordCopyFailure(jobId, destinationRegion, failure, steps);
  return recordJobFailure(jobId, failure, steps);
};
