// Which of a policy's copies of one volume in one destination retention deletes. Only completed
// copies count (a slow copy in flight never pushes a good one out); the newest is always kept; a
// copy goes only when every rule given lets it go (beyond the newest `count`, and older than
// `maxAgeDays`); a copy that a running job reads or writes is never deleted.
import type { Retention } from "./policy.js";

export interface RetainedCopy {
  snapshotId: string;
  /** When the copy was made: retention orders and ages copies by it. */
  time: string;
}

export interface RetentionPlan {
  keep: RetainedCopy[];
  delete: (RetainedCopy & { reason: string })[];
  /** Copies retention would delete, kept because a running job uses them. */
  spared: RetainedCopy[];
}

const DAY_MS = 86_400_000;

const describeRule = (retention: Retention): string =>
  [
    retention.count !== undefined ? `beyond the newest ${retention.count}` : undefined,
    retention.maxAgeDays !== undefined ? `older than ${retention.maxAgeDays} days` : undefined,
  ]
    .filter(Boolean)
    .join(" and ");

export const planRetention = (
  copies: readonly RetainedCopy[],
  retention: Retention,
  now: Date,
  inUse: ReadonlySet<string> = new Set(),
): RetentionPlan => {
  const newestFirst = [...copies].sort(
    (a, b) => b.time.localeCompare(a.time) || b.snapshotId.localeCompare(a.snapshotId),
  );
  const plan: RetentionPlan = { keep: [], delete: [], spared: [] };
  newestFirst.forEach((copy, index) => {
    const beyondCount = retention.count === undefined || index >= retention.count;
    const tooOld =
      retention.maxAgeDays === undefined ||
      now.getTime() - Date.parse(copy.time) > retention.maxAgeDays * DAY_MS;
    if (index === 0 || !beyondCount || !tooOld) plan.keep.push(copy);
    else if (inUse.has(copy.snapshotId)) plan.spared.push(copy);
    else {
      plan.delete.push({
        ...copy,
        reason: `retention deletes copies ${describeRule(retention)}`,
      });
    }
  });
  return plan;
};
