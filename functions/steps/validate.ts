// Validate step: checks the job against the rules and the cloud; rejects it with a reason.
import { validateJob } from "../core/validate-job.js";
import { stepHandler } from "./step-handler.js";
import { JobInput } from "./step-input.js";

export const handler = stepHandler("validate", JobInput, ({ jobId }, steps) =>
  validateJob(jobId, steps),
);
