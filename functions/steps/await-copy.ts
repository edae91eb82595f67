// AwaitCopy's Lambda: records the task token that the copy's event will send back (the task
// itself waits for the event, or for its timeout, after which one safety poll looks).
import { awaitCopy } from "../core/copy-events.js";
import { stepHandler } from "./step-handler.js";
import { WaitInput } from "./step-input.js";

export const handler = stepHandler(
  "awaitCopy",
  WaitInput,
  ({ jobId, destinationRegion, taskToken }, steps) =>
    awaitCopy(jobId, destinationRegion, taskToken, steps),
);
