// ApplyRetention step, after a DR policy's job: records each completed copy as its volume's recovery
// point and prunes the policy's older copies there (see core/policies/retention.ts).
import { applyRetention } from "../core/policies/retention.js";
import { loggedPolicyEvents } from "../policy-events.js";
import { stepHandler } from "./step-handler.js";
import { JobInput } from "./step-input.js";

export const handler = stepHandler("applyRetention", JobInput, ({ jobId }, deps) =>
  applyRetention(jobId, deps, loggedPolicyEvents),
);
