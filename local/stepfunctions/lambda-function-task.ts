// A Task whose Resource is a Lambda function ARN: the state input is the payload, the
// function's result the state result, recorded as LambdaFunction* events. A result over the payload
// quota fails the Task with States.DataLimitExceeded, naming the function's ARN, as on AWS.

import type { StateInfo } from "./definition.js";
import type { JsonObject, JsonValue } from "./json.js";
import { DATA_LIMIT_EXCEEDED, dataLimitCause, exceedsPayloadQuota } from "./payload-quota.js";
import { TaskFailure } from "./task-errors.js";
import type { TaskResource } from "./task-resources.js";
import type { TaskInvocation, TaskRuntime } from "./task-runtime.js";

const NO_TRUNCATION = { truncated: false };

export function lambdaFunctionTask(
  state: StateInfo,
  resource: Extract<TaskResource, { kind: "lambda-function" }>,
  input: JsonValue,
  { recorder }: TaskRuntime,
): TaskInvocation {
  const record = (type: string, details?: JsonObject) =>
    recorder.taskEvent(type, state.name, details);
  const timeout = state.fields.TimeoutSeconds;
  return {
    request: { functionName: resource.functionName, qualifier: resource.qualifier, payload: input },
    recordStart() {
      record("LambdaFunctionScheduled", {
        resource: resource.arn,
        input: JSON.stringify(input),
        inputDetails: NO_TRUNCATION,
        ...(typeof timeout === "number" ? { timeoutInSeconds: timeout } : {}),
      });
      record("LambdaFunctionStarted");
    },
    recordTimeout() {
      record("LambdaFunctionTimedOut", { error: "States.Timeout" });
    },
    settle(outcome) {
      if (!outcome.ok) {
        record("LambdaFunctionFailed", { error: outcome.error, cause: outcome.cause });
        throw new TaskFailure(outcome.error, outcome.cause);
      }
      const output = JSON.stringify(outcome.payload);
      if (exceedsPayloadQuota(output)) {
        const cause = dataLimitCause(resource.arn);
        record("LambdaFunctionFailed", { error: DATA_LIMIT_EXCEEDED, cause });
        throw new TaskFailure(DATA_LIMIT_EXCEEDED, cause);
      }
      record("LambdaFunctionSucceeded", { output, outputDetails: NO_TRUNCATION });
      return outcome.payload;
    },
  };
}
