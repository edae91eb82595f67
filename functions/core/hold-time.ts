// How long a pool's copies hold their slot: a weighted mean of recent holds, kept on the pool as
// each copy gives its slot back. A waiting copy's next look is spaced by it (copy-queue.ts): a
// queue of day-long copies moves a place every day ÷ slots, one of minute-long copies every few
// seconds, so how long to wait before asking again depends on which it is.

/** The weight of the newest hold: about the last ten holds count. */
const NEWEST_WEIGHT = 0.2;

/** The pool's typical hold once a slot held `heldSeconds` has been given back. */
export const nextHoldSeconds = (typical: number | undefined, heldSeconds: number): number => {
  const held = Math.max(0, heldSeconds);
  const next = typical === undefined ? held : typical + NEWEST_WEIGHT * (held - typical);
  return Math.round(next * 10) / 10;
};

/** Seconds from `since` to `until` (ISO-8601 stamps); 0 when `until` is not later. */
export const secondsBetween = (since: string, until: string): number =>
  Math.max(0, (Date.parse(until) - Date.parse(since)) / 1000);
