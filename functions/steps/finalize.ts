// Finalize step: with a destination, marks that copy COMPLETED; without, gives the job its outcome.
import { finalizeCopy, finalizeJob } from "../core/finalize.js";
import { parseWith } from "../core/request.js";
import { servicesFromEnv } from "../wiring.js";
import { FinalizeInput } from "./step-input.js";

const { steps } = servicesFromEnv();

export const handler = async (event: unknown) => {
  const { jobId, destinationRegion } = parseWith(FinalizeInput, event, "Finalize input");
  if (destinationRegion) return finalizeCopy(jobId, destinationRegion, steps);
  const job = await finalizeJob(jobId, steps);
  return { jobId, status: job.status };
};
