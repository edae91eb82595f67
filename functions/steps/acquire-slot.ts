// AcquireSlot step: the copy takes a slot of its region, or joins the region's queue.
import { acquireSlot } from "../core/copy-queue.js";
import { stepHandler } from "./step-handler.js";
import { CopyInput } from "./step-input.js";

export const handler = stepHandler(
  "acquireSlot",
  CopyInput,
  ({ jobId, destinationRegion }, steps) => acquireSlot(jobId, destinationRegion, steps),
);
