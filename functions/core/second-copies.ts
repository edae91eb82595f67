// Second copies: a CopySnapshot whose answer was lost may still have made a copy, and a retried
// StartCopy that did not see it yet (listings lag) made another. Only one is recorded; any other
// snapshot made as the same job's copy to the same destination is deleted here, a pending one too
// (deleting it cancels the copy and frees its place among EBS's 20 per region). Safe to repeat.
import { copyIdentityTags } from "./copy-tags.js";
import { errorMessage, isDomainError } from "./errors.js";
import type { CopyRecord, ReplicationJob } from "./job.js";
import type { SnapshotView } from "./ports.js";
import type { StepDeps } from "./step-deps.js";

/** What one look at a copy's destination found and did. */
export interface SecondCopySweep {
  destinationRegion: string;
  /** The second copies deleted by this look. */
  deleted: string[];
  /** What could not be listed or deleted, and why: left for a later look, or for the tenant. */
  problems: { snapshotId?: string; message: string }[];
}

/** How far the cloud's clock and the functions' may disagree (as StartCopy allows). */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Whether the copy's snapshots can be told apart yet. With a recorded id, any other is a second
 * copy. Without one, a FAILED or CANCELLED copy wants none of them; a QUEUED copy's StartCopy may
 * be making the very snapshot it is about to record, and a COMPLETED copy with no id (an older
 * build's record) has one the tenant wants but nothing says which: both are left alone.
 */
const isSettled = (copy: CopyRecord): boolean =>
  copy.destinationSnapshotId !== null || copy.status === "FAILED" || copy.status === "CANCELLED";

/**
 * Whether `snapshot` is a copy a StartCopy of this job made to this destination. Tags can be
 * written by anyone in the account, and EC2's tag filters take wildcards, so the listing is only a
 * first cut: every identity tag must match exactly, the description must be the job's name (what
 * StartCopy gives it), and the copy must have begun while the job's StartCopy could make one: not
 * before the job was made, and not after the recorded copy began (the attempt that recorded it
 * had looked for an earlier one first), give or take the clocks' skew.
 */
const madeByStartCopy = (
  job: ReplicationJob,
  copy: CopyRecord,
  snapshot: SnapshotView,
): boolean => {
  const identity = copyIdentityTags(job);
  if (!Object.entries(identity).every(([key, value]) => snapshot.tags[key] === value)) {
    return false;
  }
  if (snapshot.description !== job.name) return false;
  const began = Date.parse(snapshot.startTime);
  const earliest = Date.parse(job.createdAt) - CLOCK_SKEW_MS;
  const latest = copy.startedAt
    ? Date.parse(copy.startedAt) + CLOCK_SKEW_MS
    : Number.POSITIVE_INFINITY;
  return began >= earliest && began <= latest;
};

/**
 * Deletes every snapshot in the copy's destination that was made as this job's copy there, other
 * than the recorded one (and other than a cancelled copy's partial snapshot, which cancel-job.ts
 * deletes and reports). Throttling passes up (the caller tries again later); any other failure is
 * reported in the answer, so the caller's other copies are still looked at.
 */
export const removeSecondCopies = async (
  job: ReplicationJob,
  copy: CopyRecord,
  deps: Pick<StepDeps, "snapshots">,
): Promise<SecondCopySweep> => {
  const { destinationRegion } = copy;
  const sweep: SecondCopySweep = { destinationRegion, deleted: [], problems: [] };
  if (!isSettled(copy)) return sweep;
  const kept = new Set(
    [copy.destinationSnapshotId, copy.cleanup?.snapshotId].filter((id) => typeof id === "string"),
  );

  let tagged: SnapshotView[];
  try {
    tagged = await deps.snapshots.findTagged(
      job.accountId,
      destinationRegion,
      Object.fromEntries(
        Object.entries(copyIdentityTags(job)).map(([key, value]) => [key, [value]]),
      ),
    );
  } catch (error) {
    if (isDomainError(error, "CloudThrottled")) throw error;
    sweep.problems.push({
      message: `The snapshots tagged with job ${job.jobId} in ${destinationRegion} could not be listed: ${errorMessage(error)}`,
    });
    return sweep;
  }

  const second = tagged.filter(
    (snapshot) => !kept.has(snapshot.snapshotId) && madeByStartCopy(job, copy, snapshot),
  );
  for (const { snapshotId } of second) {
    try {
      await deps.snapshots.delete(job.accountId, destinationRegion, snapshotId);
      sweep.deleted.push(snapshotId);
    } catch (error) {
      if (isDomainError(error, "CloudThrottled")) throw error;
      sweep.problems.push({
        snapshotId,
        message: `Second copy ${snapshotId} of job ${job.jobId} in ${destinationRegion} could not be deleted: ${errorMessage(error)}`,
      });
    }
  }
  return sweep;
};

/**
 * `removeSecondCopies` for each of the job's copies (those that cannot be told apart yet are left
 * alone). Answers only the copies where something was deleted or went wrong.
 */
export const removeSecondCopiesOfJob = async (
  job: ReplicationJob,
  deps: Pick<StepDeps, "snapshots">,
): Promise<SecondCopySweep[]> => {
  const sweeps: SecondCopySweep[] = [];
  for (const copy of job.copies) {
    const sweep = await removeSecondCopies(job, copy, deps);
    if (sweep.deleted.length > 0 || sweep.problems.length > 0) sweeps.push(sweep);
  }
  return sweeps;
};
