// StartCopy step: starts the copy to one destination, at most once per job and destination.
import { startCopy } from "../core/start-copy.js";
import { stepHandler } from "./step-handler.js";
import { CopyInput } from "./step-input.js";

export const handler = stepHandler("startCopy", CopyInput, ({ jobId, destinationRegion }, steps) =>
  startCopy(jobId, destinationRegion, steps),
);
