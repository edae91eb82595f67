// What arn:aws:states:::lambda:invoke and its .waitForTaskToken form share: the Invoke call their
// Parameters describe, and the Invoke response they report as the Task's result.

import type { StateInfo } from "./definition.js";
import type { JsonObject } from "./json.js";
import type { InvokeOutcome, InvokeRequest } from "./lambda-invoker.js";
import { RuntimeFailure } from "./task-errors.js";
import { parseFunctionName } from "./task-resources.js";

const INVOCATION_TYPES = ["RequestResponse", "Event", "DryRun"] as const;

/** The Invoke call that a lambda:invoke Task's Parameters describe. */
export function invokeRequest(state: StateInfo, params: JsonObject): Omit<InvokeRequest, "signal"> {
  const target =
    typeof params.FunctionName === "string" ? parseFunctionName(params.FunctionName) : undefined;
  if (target === undefined) {
    throw new RuntimeFailure(`The FunctionName parameter of state '${state.name}' is missing`);
  }
  return {
    functionName: target.name,
    qualifier: typeof params.Qualifier === "string" ? params.Qualifier : target.qualifier,
    invocationType: INVOCATION_TYPES.find((type) => type === params.InvocationType),
    payload: params.Payload,
  };
}

/** A successful Invoke as the integration reports it: the Payload beside SDK metadata. */
export function invokeResponse(outcome: Extract<InvokeOutcome, { ok: true }>): JsonObject {
  return {
    ExecutedVersion: outcome.executedVersion,
    Payload: outcome.payload,
    SdkHttpMetadata: { HttpStatusCode: outcome.statusCode },
    SdkResponseMetadata: { RequestId: outcome.requestId ?? null },
    StatusCode: outcome.statusCode,
  };
}
