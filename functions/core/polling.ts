// How long to wait before the next look at a copy: soon when a copy is nearly done or its
// speed is unknown, longer for a slow copy, never outside [min, max]. Pure, so it is tested alone.

export interface PollPlan {
  /** Progress now, 0–100. */
  progress: number;
  /** Seconds since the copy started. */
  elapsedSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  /** A number in [0, 1); the jitter keeps many copies from polling in step. */
  random: number;
}

export const nextPollDelaySeconds = (plan: PollPlan): number => {
  const { progress, elapsedSeconds, minSeconds, maxSeconds } = plan;
  let estimate = minSeconds;
  if (progress > 0 && progress < 100 && elapsedSeconds > 0) {
    const remaining = ((100 - progress) * elapsedSeconds) / progress;
    // Half the estimated remaining time: the estimate is rough, so look again before it ends.
    estimate = remaining / 2;
  }
  const clamped = Math.min(maxSeconds, Math.max(minSeconds, estimate));
  // Up to 20% less, never less than the minimum.
  return Math.max(minSeconds, Math.round(clamped * (1 - 0.2 * plan.random)));
};
