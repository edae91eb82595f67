// StartCopy step: starts the copy to one destination, at most once per job and destination.
import { parseWith } from "../core/request.js";
import { startCopy } from "../core/start-copy.js";
import { servicesFromEnv } from "../wiring.js";
import { CopyInput } from "./step-input.js";

const { steps } = servicesFromEnv();

export const handler = async (event: unknown) => {
  const { jobId, destinationRegion } = parseWith(CopyInput, event, "StartCopy input");
  return startCopy(jobId, destinationRegion, steps);
};
