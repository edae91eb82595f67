// WaitForSlot's Lambda: records the task token that wakes this waiting copy (the task itself
// waits until a copy that ends hands over its slot and sends that token back).
import { awaitSlot } from "../core/copy-queue.js";
import { stepHandler } from "./step-handler.js";
import { WaitInput } from "./step-input.js";

export const handler = stepHandler(
  "waitForSlot",
  WaitInput,
  ({ jobId, destinationRegion, taskToken }, steps) =>
    awaitSlot(jobId, destinationRegion, taskToken, steps),
);
