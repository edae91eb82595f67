// The append-only event list of one execution, in GetExecutionHistory's wire shape:
// ids from 1, previousEventId, epoch-second timestamps and at most one details object.

import { epochSeconds } from "./epoch.js";
import type { JsonObject } from "./json.js";

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  details: JsonObject | undefined;
}

export class ExecutionHistory {
  private readonly list: HistoryEvent[];

  /** `earlier`: the events of a run before a restart; `recorded` hears of each new event. */
  constructor(
    earlier: readonly HistoryEvent[] = [],
    private readonly recorded?: (event: HistoryEvent) => void,
  ) {
    this.list = [...earlier];
  }

  get events(): readonly HistoryEvent[] {
    return this.list;
  }

  get lastId(): number {
    return this.list.length;
  }

  append(type: string, previousEventId: number, details?: JsonObject): number {
    const id = this.list.length + 1;
    const event = { id, previousEventId, timestamp: epochSeconds(Date.now()), type, details };
    this.list.push(event);
    this.recorded?.(event);
    return id;
  }
}

const PAYLOAD_FIELDS = new Set(["input", "inputDetails", "output", "outputDetails"]);

/** The event as sent on the wire; without execution data the input/output payloads go. */
export function toWireEvent(event: HistoryEvent, includeExecutionData: boolean): JsonObject {
  const wire: JsonObject = {
    timestamp: event.timestamp,
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
  };
  if (event.details !== undefined) {
    wire[detailsKey(event.type)] = includeExecutionData
      ? event.details
      : Object.fromEntries(Object.entries(event.details).filter(([k]) => !PAYLOAD_FIELDS.has(k)));
  }
  return wire;
}

// TaskStateEntered → stateEnteredEventDetails; LambdaFunctionFailed → lambdaFunctionFailedEventDetails.
function detailsKey(type: string): string {
  if (type.endsWith("StateEntered")) return "stateEnteredEventDetails";
  if (type.endsWith("StateExited")) return "stateExitedEventDetails";
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}
