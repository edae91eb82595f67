// A Task on arn:aws:states:::lambda:invoke.waitForTaskToken. Each attempt (every retry too) gets
// a fresh task token where its Parameters read $$.Task.Token and invokes the Lambda as
// lambda:invoke does; a failed invocation fails the Task. Then it waits for SendTaskSuccess or
// SendTaskFailure. TimeoutSeconds, and HeartbeatSeconds without SendTaskHeartbeat, end the wait
// with States.Timeout (AWS's name for both); both are multiplied by the wait scale, since locally
// a callback wait is a wait. Tokens are not journaled: a run resumed after a restart enters the
// Task again and sends a new token, and the old one is then unknown.

import { type CallbackInput, readCallbackInput, withTaskToken } from "./callback-input.js";
import type { WaitEnd, WaitLimits } from "./callback-wait.js";
import type { StateInfo } from "./definition.js";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";
import { invokeRequest, invokeResponse } from "./lambda-invoke-integration.js";
import type { InvokeOutcome, InvokeRequest, LambdaInvoker } from "./lambda-invoker.js";
import { statesTimeout } from "./states-timeout.js";
import { CallbackFailure, cancelledTask, TaskFailure } from "./task-errors.js";
import type { TaskRuntime } from "./task-runtime.js";

const RESOURCE = { resourceType: "lambda", resource: "invoke.waitForTaskToken" };
const NO_TRUNCATION = { truncated: false };

export async function runCallbackTask(
  state: StateInfo,
  input: JsonValue,
  runtime: TaskRuntime,
): Promise<JsonValue> {
  const record = (type: string, details: JsonObject) =>
    runtime.recorder.taskEvent(type, state.name, { ...RESOURCE, ...details });
  const callback = readCallbackInput(state, input);
  const attempt = runtime.attempts.begin(state.name);
  const { token, wait } = runtime.taskTokens.issue(
    scaledLimits(callback, runtime.waitScale),
    attempt.signal,
  );
  try {
    if (attempt.signal.aborted) throw cancelledTask();
    const parameters = withTaskToken(callback.parameters, token);
    const request = invokeRequest(state, isJsonObject(parameters) ? parameters : {});
    record("TaskScheduled", {
      region: runtime.region,
      parameters: JSON.stringify(parameters),
      ...definedLimits(callback),
    });
    record("TaskStarted", {});
    const invoked = await invokeUnlessExpired(runtime.invoker, { ...request, signal: wait.signal });
    // Past its timeout or cancelled, the Task records no more of its invocation.
    if (invoked !== undefined && !wait.signal.aborted) {
      if (!invoked.ok) {
        record("TaskFailed", { error: invoked.error, cause: invoked.cause });
        throw new TaskFailure(invoked.error, invoked.cause);
      }
      record("TaskSubmitted", {
        output: JSON.stringify(invokeResponse(invoked)),
        outputDetails: NO_TRUNCATION,
      });
    }
    return await settle(await wait.ended, record);
  } finally {
    wait.close();
    runtime.attempts.end(attempt);
  }
}

/** The Invoke's outcome, or undefined when the wait timed out or was cancelled meanwhile. */
async function invokeUnlessExpired(
  invoker: LambdaInvoker,
  request: InvokeRequest,
): Promise<InvokeOutcome | undefined> {
  try {
    return await invoker.invoke(request);
  } catch (error) {
    // The invoker reports failures as outcomes; it throws only when the wait aborted it.
    if (request.signal.aborted) return undefined;
    throw error;
  }
}

async function settle(
  end: WaitEnd,
  record: (type: string, details: JsonObject) => void,
): Promise<JsonValue> {
  switch (end.kind) {
    case "success":
      record("TaskSucceeded", { output: JSON.stringify(end.output), outputDetails: NO_TRUNCATION });
      return end.output;
    case "failure":
      record("TaskFailed", {
        ...(end.error === undefined ? {} : { error: end.error }),
        ...(end.cause === undefined ? {} : { cause: end.cause }),
      });
      throw new CallbackFailure(end.error, end.cause);
    case "timed-out":
      record("TaskTimedOut", { error: "States.Timeout" });
      throw await statesTimeout();
    case "cancelled":
      throw cancelledTask();
  }
}

function scaledLimits(callback: CallbackInput, waitScale: number): WaitLimits {
  const scaled = (seconds: number | undefined) =>
    seconds === undefined ? undefined : seconds * 1000 * waitScale;
  return {
    timeoutMs: scaled(callback.timeoutSeconds),
    heartbeatMs: scaled(callback.heartbeatSeconds),
  };
}

// The history shows the limits as the definition gives them, unscaled.
function definedLimits({ timeoutSeconds, heartbeatSeconds }: CallbackInput): JsonObject {
  return {
    ...(heartbeatSeconds === undefined ? {} : { heartbeatInSeconds: heartbeatSeconds }),
    ...(timeoutSeconds === undefined ? {} : { timeoutInSeconds: timeoutSeconds }),
  };
}
