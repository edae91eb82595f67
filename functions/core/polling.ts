// How long a copy's wait for its end may last before one safety poll looks at the copy. The end
// is normally told by the copy's own event, which ends the wait at once; the wait's length only
// decides how late a lost event is noticed and how many polls a copy costs. So the wait aims just
// past the copy's expected end: before any progress is seen, from the copy's size at an assumed
// rate (set it no slower than copies run, or a lost event of a fast copy is noticed late); after,
// from the copy's own observed rate. Pure, so it is tested alone.

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

/**
 * How late a lost event may be noticed, as a share of the copy's length: the safety poll that
 * finds a copy done comes at most this far past its end (or the shortest wait, if longer).
 */
export const LATE_SHARE = 0.05;

/**
 * From this much progress on, a whole percent places a steady copy's end within LATE_SHARE: the
 * true share lies in [p, p + 1), so the end lies within (p + 1) / p of the earliest it can be.
 */
const PLACING_PROGRESS = Math.ceil(1 / LATE_SHARE);

/**
 * A copy whose progress still reads 0% is looked at again when it is this many times as old. Zero
 * says little: EBS shows 0% for a while at a copy's start, and a progress that lags its copy reads
 * 0 early on; taken as "under 1% done" it put the next look at fifty times the copy's age (a
 * 60 s copy read at 0% after 25 s was looked at again 20 minutes on). Four keeps a short copy
 * found soon and costs a long one about two looks more.
 */
const ZERO_PROGRESS_AGE_FACTOR = 4;

/** Polls made before the shortest wait starts to double (a copy whose progress says little). */
const POLLS_BEFORE_DOUBLING = 2;

/**
 * The next wait. Before the copy is seen, it lasts the copy's size at the assumed rate, and
 * LATE_SHARE more. Once seen with at least PLACING_PROGRESS percent, the wait ends LATE_SHARE
 * past the earliest end that progress allows, so a steady copy is found done by the poll after
 * (within LATE_SHARE of its length); seen with less, the next look is at about half way, where
 * its progress will place the end; seen at 0%, at ZERO_PROGRESS_AGE_FACTOR times its age. So a
 * copy whose event is lost costs two to five polls.
 */
export const copyWaitSeconds = (plan: WaitPlan): number => {
  const { minSeconds, maxSeconds, progress, elapsedSeconds: elapsed } = plan;
  let estimate: number;
  if (elapsed > 0 && progress <= 0) {
    estimate = elapsed * (ZERO_PROGRESS_AGE_FACTOR - 1);
  } else if (elapsed > 0 && progress < 100) {
    const earliestEnd = (elapsed * 100) / (progress + 1);
    estimate =
      progress >= PLACING_PROGRESS
        ? earliestEnd * (1 + LATE_SHARE) - elapsed
        : earliestEnd / 2 - elapsed;
  } else if (plan.sizeGiB !== null && plan.sizeGiB > 0) {
    estimate = ((plan.sizeGiB * 1024) / plan.assumedMiBPerSecond) * (1 + LATE_SHARE);
  } else {
    estimate = minSeconds;
  }
  // A copy that keeps not ending when its progress says it should (stuck at 99%, say) is looked
  // at less and less often: after a few polls, each doubles the shortest wait.
  const floor = minSeconds * 2 ** Math.min(Math.max(0, plan.polls - POLLS_BEFORE_DOUBLING), 30);
  return Math.round(Math.min(maxSeconds, Math.max(floor, estimate, minSeconds)));
};
