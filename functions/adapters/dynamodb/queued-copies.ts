// The jobs' counters. Per account and destination region, how many copies the account's
// unfinished jobs hold QUEUED there (what Validate's quota check adds to the snapshots a region
// holds); per account, how many of its jobs have not finished (the API's limit on jobs in flight,
// one small read whatever the backlog). A counter moves only in the same transaction as the job
// write that moves the job or one of its copies in or out of what it counts, and that write is
// conditional on the job fields the move was worked out from, so a retried or raced write never
// counts twice.
import type { CopyStatus, ReplicationJob } from "../../core/job.js";
import { isFinishedJob } from "../../core/job.js";
import type { JobChange } from "../../core/ports.js";
import type { ExpressionBuilder } from "./expression-builder.js";
import { jobsInFlightKey, queuedCopiesKey } from "./jobs-table.js";

/**
 * Set on every job item this build writes: its QUEUED copies are on the counters. A job an older
 * build wrote lacks it, and its writes never move a counter: it was never counted, and taking its
 * copies off would leave the counter short.
 */
export const COUNTED_MARKER = "queuedCopiesCounted";
/**
 * Set on every job item this build writes: an unfinished job is on its account's count of jobs in
 * flight. A job written before the count was kept lacks it, and finishing it takes nothing off.
 */
export const IN_FLIGHT_MARKER = "jobsInFlightCounted";
/** The queued-copies counter's value attribute on its item. */
const COUNT_ATTRIBUTE = "queuedCopies";
/** The jobs-in-flight counter's value attribute on its item. */
const IN_FLIGHT_ATTRIBUTE = "jobsInFlight";

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

/** One counter's move by +1 or -1: a region's queued copies, or the account's jobs in flight. */
export type CounterMove = { region: string; by: number } | { inFlight: true; by: number };

/** Which of the counters a job item is on (see COUNTED_MARKER and IN_FLIGHT_MARKER). */
export interface CountedOn {
  queuedCopies: boolean;
  jobsInFlight: boolean;
}

/** How the counters `on` move when `change` is applied to `job` as it stands. */
export const counterMoves = (
  job: CountedFields,
  change: JobChange,
  on: CountedOn = { queuedCopies: true, jobsInFlight: true },
): CounterMove[] => {
  const next = changed(job, change);
  const before = new Set(on.queuedCopies ? countedRegions(job) : []);
  const after = new Set(on.queuedCopies ? countedRegions(next) : []);
  const finishes = on.jobsInFlight && !isFinishedJob(job.status) && isFinishedJob(next.status);
  return [
    ...[...after].filter((region) => !before.has(region)).map((region) => ({ region, by: 1 })),
    ...[...before].filter((region) => !after.has(region)).map((region) => ({ region, by: -1 })),
    ...(finishes ? [{ inFlight: true as const, by: -1 }] : []),
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
export const counterUpdate = (tableName: string, accountId: string, move: CounterMove) =>
  "inFlight" in move
    ? {
        Update: {
          TableName: tableName,
          Key: jobsInFlightKey(accountId),
          UpdateExpression: "ADD #count :by SET accountId = :account",
          ExpressionAttributeNames: { "#count": IN_FLIGHT_ATTRIBUTE },
          ExpressionAttributeValues: { ":by": move.by, ":account": accountId },
        },
      }
    : {
        Update: {
          TableName: tableName,
          Key: queuedCopiesKey(accountId, move.region),
          // ADD makes the item at its first move; the account and region say what it counts.
          UpdateExpression: "ADD #count :by SET accountId = :account, destinationRegion = :region",
          ExpressionAttributeNames: { "#count": COUNT_ATTRIBUTE },
          ExpressionAttributeValues: {
            ":by": move.by,
            ":account": accountId,
            ":region": move.region,
          },
        },
      };

/** The jobs-in-flight counter's value on its item; 0 before its first move. */
export const jobsInFlightValue = (item: Record<string, unknown> | undefined): number =>
  Math.max(0, Number(item?.[IN_FLIGHT_ATTRIBUTE] ?? 0));

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
