// PollCopy step: records a copy's progress and says how long to wait before the next look.
import { pollCopy } from "../core/poll-copy.js";
import { parseWith } from "../core/request.js";
import { servicesFromEnv } from "../wiring.js";
import { CopyInput } from "./step-input.js";

const { steps } = servicesFromEnv();

export const handler = async (event: unknown) => {
  const { jobId, destinationRegion } = parseWith(CopyInput, event, "PollCopy input");
  return pollCopy(jobId, destinationRegion, steps);
};
