// The definition as handed to the interpreter: Retry intervals scaled (keeping its backoff,
// MaxDelaySeconds and jitter), Wait states turned into Tasks run by our wait handler, and callback
// Tasks left for their handler to time. The interpreter can scale neither a Wait that reads
// SecondsPath/TimestampPath nor a Task's timeouts; our handlers can, and the history still shows
// WaitStateEntered/Exited because it uses the original types.

import { wrapCallbackParameters } from "./callback-input.js";
import { isJsonObject, type JsonObject } from "./json.js";
import { walkStates } from "./state-walk.js";
import { isCallbackTask } from "./task-resources.js";

// The longest Task timeout a Node timer can hold (2^31-1 ms): these are never timed out.
const UNBOUNDED_TIMEOUT_SECONDS = 2_147_483;
const WAIT_FIELDS = ["Comment", "InputPath", "OutputPath", "Next", "End"];
const TIMEOUT_FIELDS = ["TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"];

export function interpreterDefinition(asl: JsonObject, retryScale: number): JsonObject {
  const copy = structuredClone(asl);
  walkStates(copy, (_name, state) => {
    if (state.Type === "Wait") replaceWait(state);
    if (isCallbackTask(state)) untimeCallback(state);
    if (Array.isArray(state.Retry)) {
      for (const retrier of state.Retry) {
        if (isJsonObject(retrier)) scaleRetrier(retrier, retryScale);
      }
    }
  });
  return copy;
}

// Input → InputPath → (wait) → OutputPath: a Task without Parameters/ResultPath whose handler
// returns its input does exactly what a Wait state does.
function replaceWait(state: JsonObject): void {
  for (const key of Object.keys(state)) {
    if (!WAIT_FIELDS.includes(key)) delete state[key];
  }
  state.Type = "Task";
  state.Resource = "local:wait";
  state.TimeoutSeconds = UNBOUNDED_TIMEOUT_SECONDS;
}

// The handler times the wait, scaled, and raises States.Timeout itself (callback-task.ts); the
// interpreter gets the path values to evaluate beside the Parameters.
function untimeCallback(state: JsonObject): void {
  wrapCallbackParameters(state);
  for (const key of TIMEOUT_FIELDS) delete state[key];
  state.TimeoutSeconds = UNBOUNDED_TIMEOUT_SECONDS;
}

function scaleRetrier(retrier: JsonObject, factor: number): void {
  // The interpreter's default interval is 1 s; make it explicit so it scales too.
  const interval = typeof retrier.IntervalSeconds === "number" ? retrier.IntervalSeconds : 1;
  retrier.IntervalSeconds = interval * factor;
  if (typeof retrier.MaxDelaySeconds === "number") retrier.MaxDelaySeconds *= factor;
}
