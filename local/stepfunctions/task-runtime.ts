// What a Task state runs with (the invoker, the history, its attempts and task tokens) and what
// each kind of Lambda Task gives the runner that invokes it.

import type { HistoryRecorder } from "./history-recorder.js";
import type { JsonValue } from "./json.js";
import type { InvokeOutcome, InvokeRequest, LambdaInvoker } from "./lambda-invoker.js";
import type { TaskAttempts } from "./task-attempts.js";
import type { TaskTokens } from "./task-tokens.js";
import type { WaitRuntime } from "./wait-task.js";

export interface TaskRuntime extends WaitRuntime {
  invoker: LambdaInvoker;
  recorder: HistoryRecorder;
  attempts: TaskAttempts;
  taskTokens: TaskTokens;
  region: string;
}

/** What one kind of Task records in the history and returns to the state machine. */
export interface TaskInvocation {
  request: Omit<InvokeRequest, "signal">;
  recordStart(): void;
  recordTimeout(): void;
  /** Records success and returns the state's result, or records failure and throws. */
  settle(outcome: InvokeOutcome): JsonValue;
}
