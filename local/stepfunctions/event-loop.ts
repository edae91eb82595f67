// The interpreter runs states that do no I/O (Pass, Choice) back to back in promise callbacks,
// which never let Node's event loop turn: an endless Pass/Choice loop would keep the endpoint
// from answering anything until its history filled. States call this between them: once the loop
// has been held for a few milliseconds, the next state waits for its next turn (I/O, timers and
// HTTP requests first). Until then it costs a clock read.

/** How long a run of such states may hold the event loop before letting it turn. */
export const HOLD_BUDGET_MS = 10;

let heldSince: number | undefined;

const released = (): void => {
  heldSince = undefined;
};

/** Resolves at once, or on the event loop's next turn if it has been held for the budget. */
export async function letEventLoopTurn(): Promise<void> {
  const now = performance.now();
  if (heldSince === undefined) {
    // The first call since the loop last turned: the turn will clear the mark.
    heldSince = now;
    setImmediate(released);
    return;
  }
  if (now - heldSince < HOLD_BUDGET_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
}
