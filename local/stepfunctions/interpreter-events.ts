// Maps aws-local-stepfunctions' event log onto AWS history events (<Type>StateEntered/Exited,
// Map*/Parallel* events, execution outcome). Lambda events come from the Task handlers. A state
// entered with, or leaving with, a payload over the quota ends the execution here with
// States.DataLimitExceeded, in place of the event that would have carried it: no Retry or Catch
// applies, as on AWS. The interpreter, a step ahead, is stopped before the next state does any work
// (every Task handler first waits a macrotask, and this runs in microtasks).

import type { StateInfo } from "./definition.js";
import { isWithin } from "./definition.js";
import type { HistoryRecorder } from "./history-recorder.js";
import type { InterpreterEvent } from "./interpreter-types.js";
import type { JsonObject, JsonValue } from "./json.js";
import { DATA_LIMIT_EXCEEDED, dataLimitCause, exceedsPayloadQuota } from "./payload-quota.js";
import { readReferencePath } from "./reference-path.js";
import type { TaskAttempts } from "./task-attempts.js";

export type RunOutcome =
  | { status: "SUCCEEDED"; output: string }
  | { status: "FAILED" | "TIMED_OUT"; error: string | undefined; cause: string | undefined };

export interface TranslatorDeps {
  recorder: HistoryRecorder;
  states: ReadonlyMap<string, StateInfo>;
  attempts: TaskAttempts;
  /** The context object ($$) the run was given, to size Maps whose ItemsPath uses it. */
  contextObject: JsonValue;
  finish: (outcome: RunOutcome) => void;
  /** Stops the interpreter when the execution ends before it does. */
  abort: () => void;
}

interface StateData {
  name: string;
  type: string;
  input: JsonValue;
  output?: JsonValue;
}

const NO_TRUNCATION = { truncated: false };

export class InterpreterEventTranslator {
  // Map/Parallel states that failed since they were entered: no *StateSucceeded on exit.
  private readonly failedContainers = new Set<string>();
  private readonly openIterations = new Map<string, Set<number>>();
  private lastFailedState: StateInfo | undefined;

  constructor(private readonly deps: TranslatorDeps) {}

  translate(event: InterpreterEvent): void {
    switch (event.type) {
      case "StateEntered":
        this.entered(this.original(event.state), event.index);
        break;
      case "StateExited":
        this.exited(this.original(event.state), event.index);
        break;
      case "StateFailed":
        this.failed(this.original(event.state), event.Error, event.index);
        break;
      case "StateRetried":
        this.failedContainers.delete(event.state.name);
        break;
      case "MapIterationStarted":
        this.iterations(event.parentState.name).add(event.index);
        this.deps.recorder.iterationStarted(event.parentState.name, event.index, {
          name: event.parentState.name,
          index: event.index,
        });
        break;
      case "MapIterationSucceeded":
      case "MapIterationFailed":
        this.iterations(event.parentState.name).delete(event.index);
        this.deps.recorder.iterationEnded(event.type, event.parentState.name, event.index, {
          name: event.parentState.name,
          index: event.index,
        });
        break;
      case "ExecutionSucceeded":
        this.succeeded(event.output);
        break;
      case "ExecutionFailed":
        this.executionFailed(event.Error, event.Cause);
        break;
      case "ExecutionTimeout":
        this.deps.recorder.executionEvent("ExecutionTimedOut", { error: "States.Timeout" });
        this.deps.finish({ status: "TIMED_OUT", error: "States.Timeout", cause: undefined });
        break;
      default:
        // ExecutionStarted and ExecutionAborted are recorded by the Execution itself;
        // StateCaught and Parallel branch events have no counterpart in AWS history.
        break;
    }
  }

  // Wait states run as Tasks inside the interpreter; the history shows the written type.
  private original(state: StateData): StateData {
    const type = this.deps.states.get(state.name)?.type ?? state.type;
    return { ...state, type };
  }

  private entered(state: StateData, index: number | undefined): void {
    const { recorder } = this.deps;
    this.failedContainers.delete(state.name);
    // A Map iteration's or a Parallel branch's first state can be given more than any state left.
    const input = json(state.input);
    if (exceedsPayloadQuota(input)) {
      this.dataLimitExceeded(state.name);
      return;
    }
    recorder.stateEvent(
      `${state.type}StateEntered`,
      state.name,
      { name: state.name, input, inputDetails: NO_TRUNCATION },
      index,
    );
    if (state.type === "Map") {
      const length = this.mapLength(state);
      const details: JsonObject = length === undefined ? {} : { length };
      recorder.stateEvent("MapStateStarted", state.name, details, index);
    }
    if (state.type === "Parallel") {
      recorder.stateEvent("ParallelStateStarted", state.name, undefined, index);
    }
  }

  private exited(state: StateData, index: number | undefined): void {
    const { recorder } = this.deps;
    const isContainer = state.type === "Map" || state.type === "Parallel";
    if (isContainer && !this.failedContainers.has(state.name)) {
      recorder.containerEnded(`${state.type}StateSucceeded`, state.name, index);
    }
    this.failedContainers.delete(state.name);
    const output = json(state.output);
    if (exceedsPayloadQuota(output)) {
      this.dataLimitExceeded(state.name);
      return;
    }
    recorder.stateEvent(
      `${state.type}StateExited`,
      state.name,
      { name: state.name, output, outputDetails: NO_TRUNCATION },
      index,
    );
  }

  // AWS records the failure right after the state's last event, and nothing of the payload.
  private dataLimitExceeded(stateName: string): void {
    const cause = dataLimitCause(stateName);
    this.deps.recorder.executionEvent("ExecutionFailed", { error: DATA_LIMIT_EXCEEDED, cause });
    this.deps.finish({ status: "FAILED", error: DATA_LIMIT_EXCEEDED, cause });
    this.deps.abort();
  }

  private failed(state: StateData, error: string, index: number | undefined): void {
    const { recorder, attempts, states } = this.deps;
    this.lastFailedState = states.get(state.name);
    if (state.type === "Task" && error === "States.Timeout") attempts.timeOut(state.name);
    if (state.type !== "Map" && state.type !== "Parallel") return;
    this.failedContainers.add(state.name);
    // Work still running inside the failed Map/Parallel is abandoned, as on AWS.
    attempts.cancelWhere((name) => isWithin(states, name, state.name));
    if (state.type === "Map") {
      for (const open of this.iterations(state.name)) {
        recorder.iterationEnded("MapIterationAborted", state.name, open, {
          name: state.name,
          index: open,
        });
      }
      this.openIterations.delete(state.name);
    }
    recorder.containerEnded(`${state.type}StateFailed`, state.name, index);
  }

  private succeeded(output: JsonValue): void {
    const text = json(output);
    this.deps.recorder.executionEvent("ExecutionSucceeded", {
      output: text,
      outputDetails: NO_TRUNCATION,
    });
    this.deps.finish({ status: "SUCCEEDED", output: text });
  }

  private executionFailed(error: string | null, cause: unknown): void {
    // A Fail state without Error/Cause fails the execution without them, as on AWS; so does a
    // SendTaskFailure without them, whose error arrives as null.
    const fail = this.lastFailedState?.type === "Fail" ? this.lastFailedState.fields : undefined;
    const keepError = fail === undefined || "Error" in fail || "ErrorPath" in fail;
    const keepCause = fail === undefined || "Cause" in fail || "CausePath" in fail;
    const outcome = {
      error: keepError ? (error ?? undefined) : undefined,
      cause: keepCause ? causeText(cause) : undefined,
    };
    const details: JsonObject = {};
    if (outcome.error !== undefined) details.error = outcome.error;
    if (outcome.cause !== undefined) details.cause = outcome.cause;
    this.deps.recorder.executionEvent("ExecutionFailed", details);
    this.deps.finish({ status: "FAILED", ...outcome });
  }

  // ItemsPath applies after InputPath; undefined when a path is beyond reference paths.
  private mapLength(state: StateData): number | undefined {
    const fields = this.deps.states.get(state.name)?.fields;
    if (fields === undefined) return undefined;
    let input: JsonValue | undefined = state.input;
    if (fields.InputPath === null) input = {};
    else if (typeof fields.InputPath === "string") {
      input = readReferencePath(fields.InputPath, state.input, this.deps.contextObject);
    }
    if (input === undefined) return undefined;
    const itemsPath = typeof fields.ItemsPath === "string" ? fields.ItemsPath : "$";
    const items = readReferencePath(itemsPath, input, this.deps.contextObject);
    return Array.isArray(items) ? items.length : undefined;
  }

  private iterations(mapName: string): Set<number> {
    let open = this.openIterations.get(mapName);
    if (open === undefined) {
      open = new Set();
      this.openIterations.set(mapName, open);
    }
    return open;
  }
}

function json(value: JsonValue | undefined): string {
  return JSON.stringify(value ?? null);
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  return typeof cause === "string" ? cause : JSON.stringify(cause);
}
