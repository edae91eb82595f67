// Runs a Wait state (as a Task, see interpreter-definition.ts): Seconds, Timestamp, SecondsPath
// or TimestampPath, multiplied by the wait scale, cut short when the execution stops.

import type { StateInfo } from "./definition.js";
import type { JsonValue } from "./json.js";
import { readReferencePath } from "./reference-path.js";
import type { TaskAttempts } from "./task-attempts.js";
import { RuntimeFailure } from "./task-errors.js";

/** Node timers cannot hold more than 2^31-1 ms. */
export const LONGEST_TIMER_MS = 2_147_483_647;

export interface WaitRuntime {
  attempts: TaskAttempts;
  waitScale: number;
  /** The context object ($$) for paths that read it. */
  contextObject: JsonValue;
}

export async function runWait(state: StateInfo, input: JsonValue, runtime: WaitRuntime) {
  const ms = waitMilliseconds(state, input, runtime.contextObject) * runtime.waitScale;
  const attempt = runtime.attempts.begin(state.name);
  try {
    await sleep(Math.min(Math.max(0, ms), LONGEST_TIMER_MS), attempt.signal);
  } finally {
    runtime.attempts.end(attempt);
  }
  if (attempt.signal.aborted)
    throw new RuntimeFailure("The wait was cut short: its execution ended");
  return input;
}

function waitMilliseconds(state: StateInfo, input: JsonValue, context: JsonValue): number {
  const { Seconds, Timestamp, SecondsPath, TimestampPath } = state.fields;
  if (typeof Seconds === "number") return Seconds * 1000;
  if (typeof Timestamp === "string") return Date.parse(Timestamp) - Date.now();
  if (typeof SecondsPath === "string") {
    const seconds = readReferencePath(SecondsPath, input, context);
    if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 0) {
      throw new RuntimeFailure(
        `SecondsPath '${SecondsPath}' of state '${state.name}' must point to a non-negative integer`,
      );
    }
    return seconds * 1000;
  }
  if (typeof TimestampPath === "string") {
    const timestamp = readReferencePath(TimestampPath, input, context);
    const at = typeof timestamp === "string" ? Date.parse(timestamp) : Number.NaN;
    if (Number.isNaN(at)) {
      throw new RuntimeFailure(
        `TimestampPath '${TimestampPath}' of state '${state.name}' must point to a timestamp`,
      );
    }
    return at - Date.now();
  }
  return 0;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", wake);
      resolve();
    }, ms);
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener("abort", wake, { once: true });
  });
}
