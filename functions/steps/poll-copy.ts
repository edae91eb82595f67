// PollCopy step, the safety net: when a copy's wait for its end ran out, looks at the copy,
// records its progress and says how long the next wait may last.
import { pollCopy } from "../core/poll-copy.js";
import { stepHandler } from "./step-handler.js";
import { PollInput } from "./step-input.js";

export const handler = stepHandler(
  "pollCopy",
  PollInput,
  ({ jobId, destinationRegion, polls }, steps) =>
    pollCopy(jobId, destinationRegion, steps, polls ?? 0),
);
