// A Task on arn:aws:states:::lambda:invoke: Parameters carry FunctionName and Payload, the
// result is the Invoke response ({Payload, StatusCode, …}), recorded as Task* events.

import type { StateInfo } from "./definition.js";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";
import type { InvokeOutcome, InvokeRequest } from "./lambda-invoker.js";
import { RuntimeFailure, TaskFailure } from "./task-errors.js";
import type { TaskInvocation, TaskRuntime } from "./task-handlers.js";
import { parseFunctionName } from "./task-resources.js";

const RESOURCE = { resourceType: "lambda", resource: "invoke" };
const INVOCATION_TYPES = ["RequestResponse", "Event", "DryRun"] as const;

export function lambdaInvokeTask(
  state: StateInfo,
  parameters: JsonValue,
  { recorder, region }: TaskRuntime,
): TaskInvocation {
  const record = (type: string, details: JsonObject) =>
    recorder.taskEvent(type, state.name, { ...RESOURCE, ...details });
  const params = isJsonObject(parameters) ? parameters : {};
  const request = invokeRequest(state, params);
  const timeout = state.fields.TimeoutSeconds;
  return {
    request,
    recordStart() {
      record("TaskScheduled", {
        region,
        parameters: JSON.stringify(params),
        ...(typeof timeout === "number" ? { timeoutInSeconds: timeout } : {}),
      });
      record("TaskStarted", {});
    },
    recordTimeout() {
      record("TaskTimedOut", { error: "States.Timeout" });
    },
    settle(outcome) {
      if (!outcome.ok) {
        record("TaskFailed", { error: outcome.error, cause: outcome.cause });
        throw new TaskFailure(outcome.error, outcome.cause);
      }
      const result = invokeResponse(outcome);
      record("TaskSucceeded", {
        output: JSON.stringify(result),
        outputDetails: { truncated: false },
      });
      return result;
    },
  };
}

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
