// A job's execution history in a shape a person can read: one entry per state the execution
// passed through (entered, exited, how long, how many retries, the error it ended with), and one
// per event of the execution itself (started, succeeded, failed, stopped), oldest first. The
// copies of a job run side by side in Map iterations; each entry says whose copy it was.
import { DomainError } from "./errors.js";
import type { ExecutionEvent } from "./ports.js";

export interface HistoryEntry {
  /** The state's name, or "Execution" for the execution's own events. */
  state: string;
  /** What happened: the state's outcome (Succeeded, Failed, Running) or the execution's event. */
  event: string;
  enteredAt: string;
  exitedAt: string | null;
  durationMs: number | null;
  /** Attempts that failed and were tried again (the state machine's Retry). */
  retries: number;
  error: string | null;
  cause: string | null;
  /** The destination whose copy this state worked on; null outside the copies' Map. */
  destinationRegion: string | null;
}

const FAILED_ATTEMPT = /(TaskFailed|TaskTimedOut|LambdaFunctionFailed|LambdaFunctionTimedOut)$/;
const ATTEMPT_SCHEDULED = /(TaskScheduled|LambdaFunctionScheduled)$/;
const ATTEMPT_SUCCEEDED = /(TaskSucceeded|LambdaFunctionSucceeded)$/;
const EXECUTION_EVENT = /^Execution(Started|Succeeded|Failed|Aborted|TimedOut|Redriven)$/;

interface OpenEntry extends HistoryEntry {
  attempts: number;
}

/**
 * Folds the execution's events into entries. Each event belongs to the state entered last in its
 * thread (Step Functions' previousEventId chain), so the copies' iterations never mix.
 */
export const readableHistory = (
  events: readonly ExecutionEvent[],
  destinations: readonly string[],
): HistoryEntry[] => {
  const entries: OpenEntry[] = [];
  const entryOf = new Map<number, OpenEntry>();
  const iterationOf = new Map<number, number>();
  for (const event of events) {
    const inherited = entryOf.get(event.previousEventId);
    const iteration =
      event.type === "MapIterationStarted" && event.index !== undefined
        ? event.index
        : iterationOf.get(event.previousEventId);
    if (iteration !== undefined) iterationOf.set(event.id, iteration);

    if (EXECUTION_EVENT.test(event.type)) {
      entries.push({
        state: "Execution",
        event: event.type.slice("Execution".length),
        enteredAt: event.at,
        exitedAt: null,
        durationMs: null,
        retries: 0,
        attempts: 0,
        error: event.error ?? null,
        cause: event.cause ?? null,
        destinationRegion: null,
      });
      continue;
    }
    if (event.type.endsWith("StateEntered")) {
      const entry: OpenEntry = {
        state: event.stateName ?? "?",
        event: "Running",
        enteredAt: event.at,
        exitedAt: null,
        durationMs: null,
        retries: 0,
        attempts: 0,
        error: null,
        cause: null,
        destinationRegion: iteration === undefined ? null : (destinations[iteration] ?? null),
      };
      entries.push(entry);
      entryOf.set(event.id, entry);
      continue;
    }
    if (!inherited) continue;
    entryOf.set(event.id, inherited);
    if (ATTEMPT_SCHEDULED.test(event.type)) inherited.attempts++;
    if (FAILED_ATTEMPT.test(event.type)) {
      inherited.error = event.error ?? event.type;
      inherited.cause = event.cause ?? null;
    }
    if (ATTEMPT_SUCCEEDED.test(event.type)) {
      inherited.error = null;
      inherited.cause = null;
    }
    if (event.type.endsWith("StateExited")) {
      inherited.exitedAt = event.at;
      inherited.durationMs = Date.parse(event.at) - Date.parse(inherited.enteredAt);
      inherited.event = inherited.error ? "Failed" : "Succeeded";
      // Later events of the thread belong to the next state entered, not this one.
      entryOf.delete(event.id);
    }
  }
  const ended = entries.some(
    (entry) =>
      entry.state === "Execution" && entry.event !== "Started" && entry.event !== "Redriven",
  );
  return entries.map(({ attempts, ...entry }) => ({
    ...entry,
    retries: Math.max(0, attempts - 1),
    // A state never left ended with its execution: failed there, or stopped while in it.
    ...(entry.state !== "Execution" && entry.exitedAt === null && ended
      ? { event: entry.error ? "Failed" : "Interrupted" }
      : {}),
  }));
};

export interface HistoryPage {
  entries: HistoryEntry[];
  nextToken?: string;
}

/** A page of entries from `nextToken` (an opaque offset) on. */
export const historyPage = (
  entries: readonly HistoryEntry[],
  limit: number,
  nextToken?: string,
): HistoryPage => {
  const from = nextToken ? decodeOffset(nextToken) : 0;
  if (!Number.isInteger(from)) {
    throw new DomainError(
      "InvalidRequest",
      "nextToken is not one this route gave: pass on the nextToken of the previous page as it came.",
    );
  }
  const page = entries.slice(from, from + limit);
  const next = from + page.length;
  return next < entries.length
    ? { entries: page, nextToken: Buffer.from(`h:${next}`).toString("base64url") }
    : { entries: page };
};

/** The offset in a nextToken; NaN when the token is not one this route gave. */
const decodeOffset = (token: string): number => {
  const match = /^h:(\d{1,9})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match) return Number.NaN;
  return Number(match[1]);
};
