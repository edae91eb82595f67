// The definition as handed to the interpreter: Retry intervals scaled (keeping its backoff,
// MaxDelaySeconds and jitter), Wait states turned into Tasks run by our wait handler, and callback
// Tasks left for their handler to time. The interpreter can scale neither a Wait that reads
// SecondsPath/TimestampPath nor a Task's timeouts; our handlers can, and the history still shows
// WaitStateEntered/Exited because it uses the original types. Pass states become Tasks too, run by
// our pass handler, which lets the event loop turn between states (event-loop.ts) and checks the
// payload quota. An inline Map runs at most 40 iterations at once, as on AWS, whatever its
// MaxConcurrency asks beyond that.

import { wrapCallbackParameters } from "./callback-input.js";
import { isJsonObject, type JsonObject } from "./json.js";
import { walkStates } from "./state-walk.js";
import { isCallbackTask } from "./task-resources.js";

// The longest Task timeout a Node timer can hold (2^31-1 ms): these are never timed out.
const UNBOUNDED_TIMEOUT_SECONDS = 2_147_483;
const WAIT_FIELDS = ["Comment", "InputPath", "OutputPath", "Next", "End"];
// What a Pass state's Task keeps: its Result stays with the handler, which reads the original.
const PASS_FIELDS = [
  "Comment",
  "InputPath",
  "Parameters",
  "ResultPath",
  "OutputPath",
  "Next",
  "End",
];
const TIMEOUT_FIELDS = ["TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"];
/** AWS runs an inline Map's iterations at most this many at a time (0 or none: this many). */
export const INLINE_MAP_MAX_CONCURRENCY = 40;

export function interpreterDefinition(asl: JsonObject, retryScale: number): JsonObject {
  const copy = structuredClone(asl);
  walkStates(copy, (_name, state) => {
    if (state.Type === "Wait") runAsLocalTask(state, "wait", WAIT_FIELDS);
    if (state.Type === "Pass") runAsLocalTask(state, "pass", PASS_FIELDS);
    if (state.Type === "Map") capConcurrency(state);
    if (isCallbackTask(state)) untimeCallback(state);
    if (Array.isArray(state.Retry)) {
      for (const retrier of state.Retry) {
        if (isJsonObject(retrier)) scaleRetrier(retrier, retryScale);
      }
    }
  });
  return copy;
}

// A state run as a Task of our own (`local:<kind>`), keeping only the fields that Task reads:
// Wait: Input → InputPath → (wait) → OutputPath, a Task without Parameters/ResultPath whose
// handler returns its input. Pass: Input → InputPath → Parameters → (Result, or the input) →
// ResultPath → OutputPath, a Task without ResultSelector whose handler returns the Result or its input.
function runAsLocalTask(state: JsonObject, kind: "wait" | "pass", fields: readonly string[]): void {
  for (const key of Object.keys(state)) {
    if (!fields.includes(key)) delete state[key];
  }
  state.Type = "Task";
  state.Resource = `local:${kind}`;
  state.TimeoutSeconds = UNBOUNDED_TIMEOUT_SECONDS;
}

// The interpreter honours MaxConcurrency (its own default is 40 too) but not AWS's ceiling. A
// MaxConcurrencyPath is left to the interpreter, which cannot be told to cap what it reads.
function capConcurrency(state: JsonObject): void {
  const processor = isJsonObject(state.ItemProcessor) ? state.ItemProcessor : {};
  const config = isJsonObject(processor.ProcessorConfig) ? processor.ProcessorConfig : {};
  if (config.Mode === "DISTRIBUTED") return;
  const asked = typeof state.MaxConcurrency === "number" ? state.MaxConcurrency : 0;
  state.MaxConcurrency =
    asked > 0 ? Math.min(asked, INLINE_MAP_MAX_CONCURRENCY) : INLINE_MAP_MAX_CONCURRENCY;
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
