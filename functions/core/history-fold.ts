// A job's execution history in a shape a person can read: one entry per state the execution
// passed through (entered, exited, how long, how many retries, the error it ended with), and one
// per event of the execution itself (started, succeeded, failed, stopped). The copies of a job
// run side by side in Map iterations; each entry says whose copy it was. The fold takes the
// events a page at a time: what it carries between pages (the states entered and not yet left,
// and where each thread of the execution goes on from) is small and can be written down.
import type { ErrorCode } from "./errors.js";
import type { ExecutionEvent } from "./ports.js";
import { tenantCause } from "./tenant-cause.js";

export interface HistoryEntry {
  /** The state's name, or "Execution" for the execution's own events. */
  state: string;
  /** What happened: the state's outcome (Succeeded, Failed, Running, Interrupted) or the execution's event. */
  event: string;
  enteredAt: string;
  exitedAt: string | null;
  durationMs: number | null;
  /** Attempts that failed and were tried again (the state machine's Retry). */
  retries: number;
  /** snaprelay's code for the error the state ended with (see tenant-cause.ts). */
  error: ErrorCode | null;
  cause: string | null;
  /** The destination whose copy this state worked on; null outside the copies' Map. */
  destinationRegion: string | null;
}

/** An entry with the id of the event that opened it, which orders entries entered together. */
export interface ShownEntry {
  id: number;
  entry: HistoryEntry;
}

/** Whose history it is: the job's destinations name the Map's iterations; its account's ARNs may show. */
export interface HistoryAudience {
  accountId: string;
  destinations: readonly string[];
}

/** A state entered and not left yet. */
export interface OpenState {
  /** The id of its …StateEntered event. */
  id: number;
  state: string;
  enteredAt: string;
  /** The Map iteration it runs in; null outside the Map. */
  iteration: number | null;
  /** A Map or Parallel state: other states run inside it. */
  container: boolean;
  attempts: number;
  error: ErrorCode | null;
  cause: string | null;
}

/**
 * An event a later event of its thread may name as its previousEventId, and what that later event
 * inherits from it: the open state it belongs to, the Map iteration it runs in.
 */
export interface ThreadTip {
  id: number;
  entry: number | null;
  iteration: number | null;
  /** Several threads start from it (a Parallel's branches), so it stays after the first goes on. */
  fork: boolean;
}

/** What the fold carries from one page of events to the next. */
export interface FoldState {
  open: OpenState[];
  tips: ThreadTip[];
}

const FAILED_ATTEMPT = /(TaskFailed|TaskTimedOut|LambdaFunctionFailed|LambdaFunctionTimedOut)$/;
const ATTEMPT_SCHEDULED = /(TaskScheduled|LambdaFunctionScheduled)$/;
const ATTEMPT_SUCCEEDED = /(TaskSucceeded|LambdaFunctionSucceeded)$/;
const EXECUTION_EVENT = /^Execution(Started|Succeeded|Failed|Aborted|TimedOut|Redriven)$/;
const EXECUTION_GOES_ON = /^Execution(Started|Redriven)$/;
const CONTAINER_ENTERED = /^(Map|Parallel)StateEntered$/;
const CONTAINER_FAILED = /^(Map|Parallel)StateFailed$/;
/** The end of a Map iteration's thread: what follows is the Map's, in no iteration. */
const ITERATION_ENDED = /^MapIteration(Succeeded|Failed|Aborted)$/;
const ITERATION_CUT_SHORT = /^MapIteration(Failed|Aborted)$/;
/** Where several threads start: a Parallel's branches (and a Map's iterations). */
const FORK = /^(Map|Parallel)StateStarted$/;

export const emptyFold = (): FoldState => ({ open: [], tips: [] });

/**
 * Folds an execution's events into entries, in the order of the events. Each event belongs to the
 * state entered last in its thread (Step Functions' previousEventId chain), so the copies'
 * iterations never mix. An entry is given once its state is left, or once the execution ends;
 * `finish` gives the states still running when the history read ends.
 */
export class HistoryFold {
  private readonly open = new Map<number, OpenState>();
  private readonly tips = new Map<number, ThreadTip>();

  constructor(
    private readonly audience: HistoryAudience,
    state: FoldState = emptyFold(),
  ) {
    for (const entry of state.open) this.open.set(entry.id, { ...entry });
    for (const tip of state.tips) this.tips.set(tip.id, { ...tip });
  }

  /** What the fold carries to the next page. */
  state(): FoldState {
    return {
      open: [...this.open.values()].map((entry) => ({ ...entry })),
      tips: [...this.tips.values()].map((tip) => ({ ...tip })),
    };
  }

  /** Folds in the next event; gives the entries it ends. */
  add(event: ExecutionEvent): ShownEntry[] {
    const from = this.tips.get(event.previousEventId);
    // A thread that goes on leaves its last event behind, so what is carried stays small. Map
    // iterations all start from the Map's own event, a Parallel's branches from its start: those
    // events stay for the threads still to start.
    if (event.type !== "MapIterationStarted" && !from?.fork) {
      this.tips.delete(event.previousEventId);
    }
    const iteration =
      event.type === "MapIterationStarted" && event.index !== undefined
        ? event.index
        : ITERATION_ENDED.test(event.type)
          ? null
          : (from?.iteration ?? null);
    const owner = from === undefined || from.entry === null ? undefined : this.open.get(from.entry);

    if (EXECUTION_EVENT.test(event.type)) return this.executionEvent(event);
    if (event.type.endsWith("StateEntered")) {
      this.open.set(event.id, {
        id: event.id,
        state: event.stateName ?? "?",
        enteredAt: event.at,
        iteration,
        container: CONTAINER_ENTERED.test(event.type),
        attempts: 0,
        error: null,
        cause: null,
      });
      this.continueFrom(event.id, event.id, iteration, false);
      return [];
    }
    if (event.type.endsWith("StateExited")) return this.exited(event, owner, iteration);
    if (ITERATION_CUT_SHORT.test(event.type)) {
      // The state the iteration was in ends with it (a sibling failed the Map, or it failed).
      const inIteration = owner && owner.iteration !== null && owner.iteration === from?.iteration;
      return inIteration ? [this.end(owner, true)] : [];
    }
    if (CONTAINER_FAILED.test(event.type)) {
      const container = owner?.container ? owner : this.latestOpen((entry) => entry.container);
      if (container) this.setError(container, event.error ?? event.type, event.cause);
    }
    if (owner) {
      if (ATTEMPT_SCHEDULED.test(event.type)) owner.attempts++;
      if (FAILED_ATTEMPT.test(event.type)) {
        this.setError(owner, event.error ?? event.type, event.cause);
      }
      if (ATTEMPT_SUCCEEDED.test(event.type)) {
        owner.error = null;
        owner.cause = null;
      }
    }
    this.continueFrom(event.id, owner?.id ?? null, iteration, FORK.test(event.type));
    return [];
  }

  /** The states not left yet, as Running: the history read has no more events. */
  finish(): ShownEntry[] {
    const running = [...this.open.values()].map((entry) => this.end(entry, false));
    this.tips.clear();
    return running;
  }

  private continueFrom(
    id: number,
    entry: number | null,
    iteration: number | null,
    fork: boolean,
  ): void {
    // An event that tells a later one nothing need not be carried.
    if (entry === null && iteration === null) return;
    this.tips.set(id, { id, entry, iteration, fork });
  }

  private setError(entry: OpenState, error: string, cause: string | undefined): void {
    const shown = tenantCause(error, cause, this.audience.accountId);
    entry.error = shown.error;
    entry.cause = shown.cause;
  }

  private executionEvent(event: ExecutionEvent): ShownEntry[] {
    // Nothing runs on once the execution has ended: its open states end with it, failed there
    // or stopped while in them.
    const ended = EXECUTION_GOES_ON.test(event.type)
      ? []
      : [...this.open.values()].map((entry) => this.end(entry, true));
    const shown = event.error
      ? tenantCause(event.error, event.cause, this.audience.accountId)
      : { error: null, cause: null };
    return [
      ...ended,
      {
        id: event.id,
        entry: {
          state: "Execution",
          event: event.type.slice("Execution".length),
          enteredAt: event.at,
          exitedAt: null,
          durationMs: null,
          retries: 0,
          error: shown.error,
          cause: shown.cause,
          destinationRegion: null,
        },
      },
    ];
  }

  private exited(
    event: ExecutionEvent,
    owner: OpenState | undefined,
    iteration: number | null,
  ): ShownEntry[] {
    // The thread names the state it leaves. A Map's end follows its last iteration's events, so a
    // Map (and a thread Step Functions linked oddly) is found by its name instead.
    const leaving =
      owner && (event.stateName === undefined || owner.state === event.stateName)
        ? owner
        : this.latestOpen((entry) => entry.state === event.stateName);
    if (!leaving) {
      this.continueFrom(event.id, null, iteration, false);
      return [];
    }
    const shown = [this.close(leaving, event.at)];
    if (leaving.container) {
      // Whatever still runs inside a Map that is left was abandoned with it (one level of Map,
      // as snaprelay's state machine has).
      for (const inner of [...this.open.values()]) {
        if (inner.id > leaving.id && inner.iteration !== null) shown.push(this.end(inner, true));
      }
    }
    // Later events of the thread belong to the next state entered, in the same iteration.
    this.continueFrom(event.id, null, leaving.iteration, false);
    return shown;
  }

  private latestOpen(matches: (entry: OpenState) => boolean): OpenState | undefined {
    let latest: OpenState | undefined;
    for (const entry of this.open.values()) {
      if (matches(entry) && (!latest || entry.id > latest.id)) latest = entry;
    }
    return latest;
  }

  /** The state was left at `at`. */
  private close(entry: OpenState, at: string): ShownEntry {
    return this.remove(entry, {
      event: entry.error ? "Failed" : "Succeeded",
      exitedAt: at,
      durationMs: Date.parse(at) - Date.parse(entry.enteredAt),
    });
  }

  /** The state was never left: it ended with its execution (or Map), or it still runs. */
  private end(entry: OpenState, ended: boolean): ShownEntry {
    return this.remove(entry, {
      event: ended ? (entry.error ? "Failed" : "Interrupted") : "Running",
      exitedAt: null,
      durationMs: null,
    });
  }

  private remove(
    entry: OpenState,
    outcome: Pick<HistoryEntry, "event" | "exitedAt" | "durationMs">,
  ): ShownEntry {
    this.open.delete(entry.id);
    for (const tip of [...this.tips.values()]) {
      if (tip.entry !== entry.id) continue;
      if (tip.iteration === null) this.tips.delete(tip.id);
      else tip.entry = null;
    }
    return {
      id: entry.id,
      entry: {
        state: entry.state,
        event: outcome.event,
        enteredAt: entry.enteredAt,
        exitedAt: outcome.exitedAt,
        durationMs: outcome.durationMs,
        retries: Math.max(0, entry.attempts - 1),
        error: entry.error,
        cause: entry.cause,
        destinationRegion:
          entry.iteration === null ? null : (this.audience.destinations[entry.iteration] ?? null),
      },
    };
  }
}

/** Entries by the time their state was entered; entered together, by their events' order. */
export const byEntry = (a: ShownEntry, b: ShownEntry): number =>
  a.entry.enteredAt < b.entry.enteredAt
    ? -1
    : a.entry.enteredAt > b.entry.enteredAt
      ? 1
      : a.id - b.id;

/** The whole history at once, oldest first: what the pages of `historyPage` add up to. */
export const readableHistory = (
  events: readonly ExecutionEvent[],
  audience: HistoryAudience,
): HistoryEntry[] => {
  const fold = new HistoryFold(audience);
  const shown = events.flatMap((event) => fold.add(event));
  return [...shown, ...fold.finish()].sort(byEntry).map(({ entry }) => entry);
};
