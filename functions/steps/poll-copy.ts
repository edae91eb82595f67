// PollCopy step: records a copy's progress and says how long to wait before the next look.
import { pollCopy } from "../core/poll-copy.js";
import { stepHandler } from "./step-handler.js";
import { CopyInput } from "./step-input.js";

export const handler = stepHandler("PollCopy", CopyInput, ({ jobId, destinationRegion }, steps) =>
  pollCopy(jobId, destinationRegion, steps),
);
