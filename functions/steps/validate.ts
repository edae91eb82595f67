// Validate step: checks the job against the rules and the cloud; rejects it with a reason.
import { parseWith } from "../core/request.js";
import { validateJob } from "../core/validate-job.js";
import { servicesFromEnv } from "../wiring.js";
import { JobInput } from "./step-input.js";

const { steps } = servicesFromEnv();

export const handler = async (event: unknown) => {
  const { jobId } = parseWith(JobInput, event, "Validate input");
  return validateJob(jobId, steps);
};
