// Finalize step: with a destination, marks that copy COMPLETED; without, gives the job its outcome.
import { finalizeCopy, finalizeJob } from "../core/finalize.js";
import { stepHandler } from "./step-handler.js";
import { FinalizeInput } from "./step-input.js";

export const handler = stepHandler(
  "finalize",
  FinalizeInput,
  async ({ jobId, destinationRegion }, steps) => {
    if (destinationRegion) return finalizeCopy(jobId, destinationRegion, steps);
    const job = await finalizeJob(jobId, steps);
    return { jobId, status: job.status, trigger: job.trigger.type };
  },
);
