// What a callback Task's handler is given. The interpreter evaluates the Task's Parameters, wrapped
// (by interpreter-definition.ts) beside the values of TimeoutSecondsPath and HeartbeatSecondsPath,
// whose waits only the handler can scale; and $$.Task.Token reads a placeholder that each attempt
// replaces with its own token wherever the evaluated Parameters carry it.

import { randomUUID } from "node:crypto";
import type { StateInfo } from "./definition.js";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";
import { RuntimeFailure } from "./task-errors.js";

/** The context object's $$.Task.Token, the same for every Task (unique, so never real data). */
export const TASK_TOKEN_PLACEHOLDER = `local-task-token-${randomUUID()}`;

export interface CallbackInput {
  /** The evaluated Parameters, still holding the placeholder. */
  parameters: JsonValue;
  timeoutSeconds: number | undefined;
  heartbeatSeconds: number | undefined;
}

type Limit = "TimeoutSeconds" | "HeartbeatSeconds";
const LIMITS: readonly Limit[] = ["TimeoutSeconds", "HeartbeatSeconds"];

/** Rewrites a callback Task's Parameters (in the interpreter's copy of the definition). */
export function wrapCallbackParameters(state: JsonObject): void {
  const wrapped: JsonObject =
    state.Parameters === undefined ? { "Parameters.$": "$" } : { Parameters: state.Parameters };
  for (const limit of LIMITS) {
    const path = state[`${limit}Path`];
    if (typeof path === "string") wrapped[`${limit}.$`] = path;
  }
  state.Parameters = wrapped;
}

/** Unwraps what the interpreter evaluated; a limit is the state's own or its path's value. */
export function readCallbackInput(state: StateInfo, input: JsonValue): CallbackInput {
  const wrapped = isJsonObject(input) ? input : {};
  return {
    parameters: wrapped.Parameters ?? {},
    timeoutSeconds: limitSeconds(state, "TimeoutSeconds", wrapped),
    heartbeatSeconds: limitSeconds(state, "HeartbeatSeconds", wrapped),
  };
}

/** The attempt's own Parameters: the placeholder, wherever it landed, becomes its token. */
export function withTaskToken(value: JsonValue, token: string): JsonValue {
  if (typeof value === "string") return value.replaceAll(TASK_TOKEN_PLACEHOLDER, token);
  if (Array.isArray(value)) return value.map((item) => withTaskToken(item, token));
  if (isJsonObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, withTaskToken(item, token)]),
    );
  }
  return value;
}

function limitSeconds(state: StateInfo, limit: Limit, wrapped: JsonObject): number | undefined {
  const value = state.fields[limit] ?? wrapped[limit];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RuntimeFailure(
      `${limit} of state '${state.name}' must be a positive integer, not ${JSON.stringify(value)}`,
    );
  }
  return value;
}
