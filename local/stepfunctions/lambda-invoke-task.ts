// A Task on arn:aws:states:::lambda:invoke: Parameters carry FunctionName and Payload, the
// result is the Invoke response ({Payload, StatusCode, …}), recorded as Task* events. A response
// over the payload quota fails the Task with States.DataLimitExceeded; AWS's cause then names the
// resource type, 'lambda'.

import type { StateInfo } from "./definition.js";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";
import { invokeRequest, invokeResponse } from "./lambda-invoke-integration.js";
import { DATA_LIMIT_EXCEEDED, dataLimitCause, exceedsPayloadQuota } from "./payload-quota.js";
import { TaskFailure } from "./task-errors.js";
import type { TaskInvocation, TaskRuntime } from "./task-runtime.js";

const RESOURCE = { resourceType: "lambda", resource: "invoke" };

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
      const output = JSON.stringify(result);
      if (exceedsPayloadQuota(output)) {
        const cause = dataLimitCause(RESOURCE.resourceType);
        record("TaskFailed", { error: DATA_LIMIT_EXCEEDED, cause });
        throw new TaskFailure(DATA_LIMIT_EXCEEDED, cause);
      }
      record("TaskSucceeded", { output, outputDetails: { truncated: false } });
      return result;
    },
  };
}
