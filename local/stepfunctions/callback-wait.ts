// One callback Task's wait for its answer. It ends once: with SendTaskSuccess or SendTaskFailure,
// at its timeout, after a heartbeat period without SendTaskHeartbeat, or when its attempt is
// cancelled (the execution stopped or the enclosing Map/Parallel failed).

import type { JsonValue } from "./json.js";
import { LONGEST_TIMER_MS } from "./wait-task.js";

export type CallbackAnswer =
  | { kind: "success"; output: JsonValue }
  | { kind: "failure"; error: string | undefined; cause: string | undefined };

export type WaitEnd = CallbackAnswer | { kind: "timed-out" } | { kind: "cancelled" };

/** Already scaled; undefined waits without that limit. */
export interface WaitLimits {
  timeoutMs: number | undefined;
  heartbeatMs: number | undefined;
}

export class CallbackWait {
  /** Settles once, with how the wait ended. */
  readonly ended: Promise<WaitEnd>;
  private readonly settle: (end: WaitEnd) => void;
  private done = false;
  private readonly expiry = new AbortController();
  private timeoutTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly onCancel = () => this.end({ kind: "cancelled" });

  /** `cancel` is the attempt's signal; `onEnd` hears of the end before anyone else. */
  constructor(
    private readonly limits: WaitLimits,
    private readonly cancel: AbortSignal,
    private readonly onEnd: () => void,
  ) {
    const { promise, resolve } = Promise.withResolvers<WaitEnd>();
    this.ended = promise;
    this.settle = resolve;
    if (limits.timeoutMs !== undefined) {
      this.timeoutTimer = setTimeout(
        () => this.end({ kind: "timed-out" }),
        timerMs(limits.timeoutMs),
      );
    }
    this.heartbeat();
    if (cancel.aborted) this.onCancel();
    else cancel.addEventListener("abort", this.onCancel, { once: true });
  }

  /** Aborts when the wait times out or is cancelled, to stop work still in flight for it. */
  get signal(): AbortSignal {
    return this.expiry.signal;
  }

  answer(answer: CallbackAnswer): void {
    this.end(answer);
  }

  /** Starts the heartbeat period again. */
  heartbeat(): void {
    const { heartbeatMs } = this.limits;
    if (heartbeatMs === undefined || this.done) return;
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => this.end({ kind: "timed-out" }), timerMs(heartbeatMs));
  }

  /** Ends a wait its Task no longer needs (the Task failed first); a no-op once it has ended. */
  close(): void {
    this.end({ kind: "cancelled" });
  }

  private end(end: WaitEnd): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.heartbeatTimer);
    this.cancel.removeEventListener("abort", this.onCancel);
    this.onEnd();
    if (end.kind === "timed-out" || end.kind === "cancelled") this.expiry.abort();
    this.settle(end);
  }
}

function timerMs(ms: number): number {
  return Math.min(Math.max(0, ms), LONGEST_TIMER_MS);
}
