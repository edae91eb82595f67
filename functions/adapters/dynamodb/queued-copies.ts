// The queued-copies counters: per account and destination region, how many copies the account's
// unfinished jobs hold QUEUED there (what Validate's quota check adds to the snapshots a region
// holds). A counter moves only in the same transaction as the job write that moves one of its
// copies in or out of that state, and that write is conditional on the job fields the move was
// worked out from, so a retried or raced write never counts twice.
import type { CopyStatus, ReplicationJob } from "../../core/job.js";
import { isFinishedJob } from "../../core/job.js";
import type { JobChange } from "../../core/ports.js";
import type { ExpressionBuilder } from "./expression-builder.js";
import { queuedCopiesKey } from "./jobs-table.js";

/**
 * Set on every job item this build writes: its QUEUED copies are on the counters. A job an older
 * build wrote lacks it, and its writes never move a counter: it was never counted, and taking its
 * copies off would leave the counter short.
 */
export const COUNTED_MARKER = "queuedCopiesCounted";
/** The counter's value attribute on its item. */
const COUNT_ATTRIBUTE = "queuedCopies";

type CountedFields = Pick<ReplicationJob, "status" | "copies">;

/** The destinations whose copy the counters count: QUEUED, in a job that has not finished. */
export const countedRegions = (job: CountedFields): string[] =>
  isFinishedJob(job.status)
    ? []
    : job.copies.filter((copy) => copy.status === "QUEUED").map((copy) => copy.destinationRegion);

/**
 * A change that may move a counter: one that finishes the job (its QUEUED copies leave the count)
 * or changes a copy's status. Any other change (progress, the execution, the sweeper's next look)
 * is written without reading the job first.
 */
export const mayMoveCounters = (change: JobChange): boolean =>
  (change.status !== undefined && isFinishedJob(change.status)) ||
  Object.values(change.copies ?? {}).some((copy) => copy.status !== undefined);

/** The statuses of `job` once `change` is applied, as the store's update would leave them. */
const changed = (job: CountedFields, change: JobChange): CountedFields => ({
  status: change.status ?? job.status,
  copies: job.copies.map((copy) => ({
    ...copy,
    status: change.copies?.[copy.destinationRegion]?.status ?? copy.status,
  })),
});

export interface CounterMove {
  region: string;
  /** +1 or -1. */
  by: number;
}

/** How the counters move when `change` is applied to `job` as it stands. */
export const counterMoves = (job: CountedFields, change: JobChange): CounterMove[] => {
  const before = new Set(countedRegions(job));
  const after = new Set(countedRegions(changed(job, change)));
  return [
    ...[...after].filter((region) => !before.has(region)).map((region) => ({ region, by: 1 })),
    ...[...before].filter((region) => !after.has(region)).map((region) => ({ region, by: -1 })),
  ];
};

const statusOf = (job: CountedFields, region: string): CopyStatus | undefined =>
  job.copies.find((copy) => copy.destinationRegion === region)?.status;

/** The copies whose status `counterMoves` reads for `change`: every one when the job finishes. */
const touchedRegions = (job: CountedFields, change: JobChange): string[] =>
  job.copies
    .map((copy) => copy.destinationRegion)
    .filter(
      (region) =>
        (change.status !== undefined && isFinishedJob(change.status)) ||
        change.copies?.[region]?.status !== undefined,
    );

/**
 * The fields of `job` that `counterMoves` read for `change`, as conditions on its write: the job's
 * status and the status of each copy touched. A write whose job has moved on since it was read is
 * refused, and read again.
 */
export const pinCountedFields = (
  update: ExpressionBuilder,
  job: CountedFields,
  change: JobChange,
): void => {
  update.condition(`${update.path(["status"])} = ${update.value(job.status)}`);
  for (const region of touchedRegions(job, change)) {
    update.condition(
      `${update.path(["copies", region, "status"])} = ${update.value(statusOf(job, region))}`,
    );
  }
};

/** Whether `current` still shows what `pinCountedFields` pinned of `read`. */
export const countedFieldsHold = (
  read: CountedFields,
  current: CountedFields,
  change: JobChange,
): boolean =>
  read.status === current.status &&
  touchedRegions(read, change).every(
    (region) => statusOf(current, region) === statusOf(read, region),
  );

/** The counter update a transaction carries for one move of `accountId`'s counter. */
export const counterUpdate = (tableName: string, accountId: string, move: CounterMove) => ({
  Update: {
    TableName: tableName,
    Key: queuedCopiesKey(accountId, move.region),
    // ADD makes the item at its first move; the account and region say what it counts.
    UpdateExpression: "ADD #count :by SET accountId = :account, destinationRegion = :region",
    ExpressionAttributeNames: { "#count": COUNT_ATTRIBUTE },
    ExpressionAttributeValues: { ":by": move.by, ":account": accountId, ":region": move.region },
  },
});

/**
 * Whether a job item read with only its account, status, marker and one copy's status (as stored:
 * copies by region) is counted on `accountId`'s counter for `region`.
 */
export const isCountedCopy = (
  item: Record<string, unknown> | undefined,
  accountId: string,
  region: string,
): boolean => {
  if (item?.[COUNTED_MARKER] !== true || item.accountId !== accountId) return false;
  const copies = item.copies as Record<string, { status?: unknown }> | undefined;
  return !isFinishedJob(String(item.status)) && copies?.[region]?.status === "QUEUED";
};

/** The counter's value on its item; 0 before its first move. */
export const counterValue = (item: Record<string, unknown> | undefined): number =>
  Number(item?.[COUNT_ATTRIBUTE] ?? 0);
