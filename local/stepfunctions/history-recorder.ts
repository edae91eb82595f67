// Records an execution's events with AWS's previousEventId threading (the root, each Map
// iteration, each Parallel branch) and ignores everything once the execution has ended. An
// execution's history holds at most 25,000 events, as in AWS: the 25,000th is the execution's
// failure (States.Runtime), whatever the machine was about to record, and nothing follows it.

import type { StateInfo } from "./definition.js";
import type { ExecutionHistory } from "./history.js";
import type { JsonObject } from "./json.js";

const ROOT = "";

/** Step Functions Standard's hard quota on one execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;
export const HISTORY_FULL = {
  error: "States.Runtime",
  cause: `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`,
} as const;

export class HistoryRecorder {
  private open = true;
  private readonly lastIdByThread = new Map<string, number>();
  private readonly threadByState = new Map<string, string>();

  constructor(
    private readonly history: ExecutionHistory,
    private readonly states: ReadonlyMap<string, StateInfo>,
    /** Told once the history is full: the execution has failed and must stop running. */
    private readonly onHistoryFull: () => void = () => {},
  ) {}

  close(): void {
    this.open = false;
  }

  /** AWS links neither ExecutionStarted nor the first state to an earlier event (both 0). */
  executionStarted(details: JsonObject): void {
    if (this.open) this.history.append("ExecutionStarted", 0, details);
  }

  /** An event of a state, in the thread it runs in (`index`: its Map iteration, if any). */
  stateEvent(type: string, stateName: string, details?: JsonObject, index?: number): void {
    const thread = this.threadOf(stateName, index);
    this.threadByState.set(stateName, thread);
    this.record(type, thread, this.previousIn(thread, stateName), details);
  }

  /** An event from a Task handler, which knows its state's name but not its Map iteration. */
  taskEvent(type: string, stateName: string, details?: JsonObject): void {
    const thread = this.threadByState.get(stateName) ?? this.threadOf(stateName);
    this.record(type, thread, this.previousIn(thread, stateName), details);
  }

  /** A Map iteration opens its own thread, linked to the Map's MapStateStarted. */
  iterationStarted(mapName: string, index: number, details: JsonObject): void {
    const mapThread = this.threadByState.get(mapName) ?? ROOT;
    const previous = this.lastIdByThread.get(mapThread) ?? 0;
    this.record("MapIterationStarted", `${mapName}#${index}`, previous, details);
  }

  /** The end of an iteration continues the Map's own thread. */
  iterationEnded(type: string, mapName: string, index: number, details: JsonObject): void {
    const thread = `${mapName}#${index}`;
    const mapThread = this.threadByState.get(mapName) ?? ROOT;
    const previous = this.lastIdByThread.get(thread) ?? this.lastIdByThread.get(mapThread) ?? 0;
    const id = this.record(type, thread, previous, details);
    if (id !== undefined) this.lastIdByThread.set(mapThread, id);
  }

  /** A Map/Parallel ends after whatever its iterations or branches did last. */
  containerEnded(type: string, stateName: string, index?: number): void {
    const thread = this.threadOf(stateName, index);
    this.record(type, thread, this.history.lastId);
  }

  /** Execution-level events follow whatever happened last. */
  executionEvent(type: string, details?: JsonObject): void {
    this.record(type, ROOT, this.history.lastId, details);
  }

  private record(
    type: string,
    thread: string,
    previous: number,
    details?: JsonObject,
  ): number | undefined {
    if (!this.open) return undefined;
    if (this.history.lastId >= MAX_HISTORY_EVENTS - 1) {
      // AWS's cut: the last event is the failure, linked to the last one the machine produced.
      this.history.append("ExecutionFailed", this.history.lastId, { ...HISTORY_FULL });
      this.open = false;
      this.onHistoryFull();
      return undefined;
    }
    const id = this.history.append(type, previous, details);
    this.lastIdByThread.set(thread, id);
    return id;
  }

  private threadOf(stateName: string, index?: number): string {
    const container = this.states.get(stateName)?.container;
    if (container === undefined) return ROOT;
    return container.kind === "Map"
      ? `${container.name}#${index ?? 0}`
      : `${container.name}/${container.branch}`;
  }

  // A thread's first event links to the enclosing Map/Parallel's latest event.
  private previousIn(thread: string, stateName: string): number {
    const last = this.lastIdByThread.get(thread);
    if (last !== undefined) return last;
    const container = this.states.get(stateName)?.container;
    if (container === undefined) return 0;
    return this.lastIdByThread.get(this.threadByState.get(container.name) ?? ROOT) ?? 0;
  }
}
