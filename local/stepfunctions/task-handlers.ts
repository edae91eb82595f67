// Builds the interpreter's taskResourceLocalHandlers (keyed by state name; nested Map and
// Parallel states included): Tasks invoke their Lambda over HTTP and record their events (callback
// Tasks then wait for their token's answer), Wait states (rewritten as Tasks) wait scaled, and Pass
// states (rewritten as Tasks) give their Result, letting the event loop turn between them. A
// state's input after its Parameters is held to the payload quota here, before anything runs.

import { runCallbackTask } from "./callback-task.js";
import type { StateInfo } from "./definition.js";
import { letEventLoopTurn } from "./event-loop.js";
import type { TaskHandlers } from "./interpreter-types.js";
import { isJsonObject, type JsonValue } from "./json.js";
import { lambdaFunctionTask } from "./lambda-function-task.js";
import { lambdaInvokeTask } from "./lambda-invoke-task.js";
import type { InvokeOutcome } from "./lambda-invoker.js";
import { checkStateInput } from "./payload-quota.js";
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
    if (state.type === "Pass") handlers[state.name] = (input) => runPass(state, input);
  }
  return handlers;
}

async function runPass(state: StateInfo, input: JsonValue): Promise<JsonValue> {
  // Without Parameters the input is (part of) what the state was entered with, checked already.
  if (state.fields.Parameters !== undefined) checkStateInput(state.name, input);
  await letEventLoopTurn();
  // "Result" in fields: a Result of false, 0 or null is a result too (the interpreter skips them).
  // A copy, since the definition's own Result serves every execution.
  return "Result" in state.fields ? structuredClone(state.fields.Result ?? null) : input;
}

async function runTask(state: StateInfo, input: JsonValue, runtime: TaskRuntime) {
  // The interpreter calls us in the same tick it logs TaskStateEntered, and its log is read
  // asynchronously: one macrotask later that event is in the history, before ours.
  await new Promise((resolve) => setImmediate(resolve));
  const resource = classifyResource(String(state.fields.Resource));
  // A callback Task's input is its Parameters wrapped beside its path limits (callback-input.ts).
  const parameters =
    resource.kind === "lambda-invoke-callback" && isJsonObject(input) ? input.Parameters : input;
  checkStateInput(state.name, parameters);
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
