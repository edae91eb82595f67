// How long a copy's wait for its end may last before one safety poll looks at the copy. The end
// is normally told by the copy's own event, which ends the wait at once; the wait's length only
// decides how late a lost event is noticed and how many polls a copy costs. So the wait aims just
// past the copy's expected end: before any progress is seen, from the copy's size at an assumed
// rate; after, from the copy's own observed rate. Pure, so it is tested alone.

export interface WaitPlan {
  /** The size of what is copied, when known. */
  sizeGiB: number | null;
  /** Progress at the last look, 0–100 (an integer, as the cloud reports it). */
  progress: number;
  /** Seconds since the copy started, at the last look. */
  elapsedSeconds: number;
  /** Safety polls made so far: each lengthens the shortest wait, so polls stay few. */
  polls: number;
  /** The rate assumed before the copy's own is seen. */
  assumedMiBPerSecond: number;
  minSeconds: number;
  maxSeconds: number;
}

/** Past the expected end by a fifth: the event normally comes first; a lost one is found soon. */
const MARGIN = 1.2;

/**
 * The copy's expected remaining seconds from its progress: with progress a whole percent, the
 * true share lies in [p, p + 1). Below 10% that range is wide, so the shortest remaining time it
 * allows is taken (never waiting past the end of a steady copy); from 10% on, its middle.
 */
export const remainingSeconds = (progress: number, elapsedSeconds: number): number | undefined => {
  if (elapsedSeconds <= 0 || progress >= 100) return undefined;
  const done = progress < 10 ? progress + 1 : progress + 0.5;
  return (elapsedSeconds * (100 - done)) / done;
};

export const copyWaitSeconds = (plan: WaitPlan): number => {
  const { minSeconds, maxSeconds } = plan;
  const remaining = remainingSeconds(plan.progress, plan.elapsedSeconds);
  let estimate: number;
  if (remaining !== undefined) {
    estimate = remaining * MARGIN;
  } else if (plan.sizeGiB !== null && plan.sizeGiB > 0) {
    estimate = ((plan.sizeGiB * 1024) / plan.assumedMiBPerSecond) * MARGIN;
  } else {
    estimate = minSeconds;
  }
  // Each poll doubles the shortest wait: a copy whose progress says little still costs few polls.
  const floor = minSeconds * 2 ** Math.min(plan.polls, 30);
  return Math.round(Math.min(maxSeconds, Math.max(floor, estimate, minSeconds)));
};
