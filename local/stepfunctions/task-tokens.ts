// The task tokens of callback Tasks (.waitForTaskToken): one per attempt, unguessable, answered
// once by SendTaskSuccess/SendTaskFailure and kept alive by SendTaskHeartbeat. Held in memory:
// after a restart an old token is unknown (TaskDoesNotExist), while one whose task has ended here
// (answered, timed out, or its execution over) answers TaskTimedOut, as AWS does.

import { randomBytes } from "node:crypto";
import { type CallbackAnswer, CallbackWait, type WaitLimits } from "./callback-wait.js";
import { invalidToken, taskDoesNotExist, taskTimedOut } from "./service-errors.js";

// "AQ" and 32 random bytes in base64url: a token of any other shape is malformed (InvalidToken).
const TOKEN_SHAPE = /^AQ[A-Za-z0-9_-]{43}$/;
// How many ended tokens are remembered to answer TaskTimedOut; older ones become unknown.
const ENDED_TOKENS_KEPT = 100_000;

export class TaskTokens {
  private readonly waiting = new Map<string, CallbackWait>();
  private readonly ended = new Set<string>();

  /** A wait under a fresh token; the token is retired as soon as the wait ends, however it ends. */
  issue(limits: WaitLimits, cancel: AbortSignal): { token: string; wait: CallbackWait } {
    const token = `AQ${randomBytes(32).toString("base64url")}`;
    const wait = new CallbackWait(limits, cancel, () => this.retire(token));
    // The wait of an attempt cancelled already has ended, and its token is retired.
    if (!cancel.aborted) this.waiting.set(token, wait);
    return { token, wait };
  }

  answer(token: string, answer: CallbackAnswer): void {
    this.find(token).answer(answer);
  }

  heartbeat(token: string): void {
    this.find(token).heartbeat();
  }

  private find(token: string): CallbackWait {
    if (!TOKEN_SHAPE.test(token)) throw invalidToken(token);
    const wait = this.waiting.get(token);
    if (wait !== undefined) return wait;
    throw this.ended.has(token) ? taskTimedOut() : taskDoesNotExist();
  }

  private retire(token: string): void {
    this.waiting.delete(token);
    this.ended.add(token);
    if (this.ended.size <= ENDED_TOKENS_KEPT) return;
    for (const oldest of this.ended) {
      this.ended.delete(oldest);
      break;
    }
  }
}
