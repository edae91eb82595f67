// Builds the interpreter's taskResourceLocalHandlers (keyed by state name; nested Map and
// Parallel states included): Tasks invoke their Lambda over HTTP and record their events (callback
// Tasks then wait for their token's answer), Wait states (rewritten as Tasks) wait scaled.

import { runCallbackTask } from "./callback-task.js";
import type { StateInfo } from "./definition.js";
import type { TaskHandlers } from "./interpreter-types.js";
import type { JsonValue } from "./json.js";
import { lambdaFunctionTask } from "./lambda-function-task.js";
import { lambdaInvokeTask } from "./lambda-invoke-task.js";
import type { InvokeOutcome } from "./lambda-invoker.js";
import { cancelledTask, RuntimeFailure } from "./task-errors.js";
import { classifyResource } from "./task-resources.js";
import type { TaskInvocation, TaskRuntime } from "./task-runtime.js";
import { runWait } from "./wait-task.js";

export function buildTaskHandlers(
  states: ReadonlyMap<string, StateInfo>,
  runtime: TaskRuntime,
): TaskHandlers {
  const handlers: TaskHandlers = {};
  for (const state of states.values()) {
    if (state.type === "Task") handlers[state.name] = (input) => runTask(state, input, runtime);
    if (state.type === "Wait") handlers[state.name] = (input) => runWait(state, input, runtime);
  }
  return handlers;
}

async function runTask(state: StateInfo, input: JsonValue, runtime: TaskRuntime) {
  // The interpreter calls us in the same tick it logs TaskStateEntered, and its log is read
  // asynchronously: one macrotask later that event is in the history, before ours.
  await new Promise((resolve) => setImmediate(resolve));
  const resource = classifyResource(String(state.fields.Resource));
  switch (resource.kind) {
    case "lambda-function":
      return invoke(state.name, lambdaFunctionTask(state, resource, input, runtime), runtime);
    case "lambda-invoke":
      return invoke(state.name, lambdaInvokeTask(state, input, runtime), runtime);
    case "lambda-invoke-callback":
      return runCallbackTask(state, input, runtime);
    default:
      throw new RuntimeFailure(
        `Task resource '${resource.arn}' is not supported locally (Lambda function ARNs, arn:aws:states:::lambda:invoke and its .waitForTaskToken form are)`,
      );
  }
}

async function invoke(stateName: string, task: TaskInvocation, runtime: TaskRuntime) {
  const attempt = runtime.attempts.begin(stateName, () => task.recordTimeout());
  if (attempt.signal.aborted) throw cancelledTask();
  task.recordStart();
  let outcome: InvokeOutcome;
  try {
    outcome = await runtime.invoker.invoke({ ...task.request, signal: attempt.signal });
  } catch {
    throw cancelledTask();
  } finally {
    runtime.attempts.end(attempt);
  }
  // Timed out, stopped, or abandoned with its Map while in flight: the result is moot.
  if (attempt.signal.aborted) throw cancelledTask();
  return task.settle(outcome);
}
