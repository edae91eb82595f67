// The replication job and its copies: statuses, the transitions allowed between them, and the
// outcome a finished set of copies gives the job. It imports nothing, so the ops console can bundle
// it for the browser.

export const JOB_STATUSES = [
  "PENDING",
  "VALIDATING",
  "RUNNING",
  "COMPLETED",
  "PARTIAL",
  "FAILED",
  "CANCELLED",
  "REJECTED",
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The statuses a job ends in: the ones the transition table below lets nothing follow. */
export const FINISHED_JOB_STATUSES = [
  "COMPLETED",
  "PARTIAL",
  "FAILED",
  "CANCELLED",
  "REJECTED",
] as const satisfies readonly JobStatus[];

export const COPY_STATUSES = [
  "PENDING",
  "QUEUED",
  "COPYING",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
] as const;
export type CopyStatus = (typeof COPY_STATUSES)[number];

export interface JobError {
  code: string;
  message: string;
}

export type JobTrigger = { type: "api" } | { type: "schedule"; policyId: string; runId?: string };

export interface CopyRecord {
  destinationRegion: string;
  status: CopyStatus;
  /** 0–100, as the cloud reports it. */
  progress: number;
  destinationSnapshotId: string | null;
  error: JobError | null;
  startedAt: string | null;
  completedAt: string | null;
  /** When progress last moved: a copy that stays still too long is stalled. */
  progressAt: string | null;
  /** The size of what is copied (the source volume's), once the job is accepted. */
  sizeGiB?: number | null;
  /** A cancelled copy's partial snapshot in its destination, and whether it is deleted yet. */
  cleanup?: CopyCleanup | null;
}

export const CLEANUP_STATES = ["DELETED", "PENDING", "ABANDONED"] as const;
export type CleanupState = (typeof CLEANUP_STATES)[number];

/**
 * What became of a cancelled copy's partial snapshot: DELETED; PENDING while the cloud has not let
 * it be deleted yet (the sweeper tries again at `nextAttemptAt`, waiting longer after each failed
 * try; `message` says why it waits); ABANDONED when snaprelay gave up after its last try
 * (`message` tells the tenant how to delete it). Nothing follows DELETED or ABANDONED.
 */
export interface CopyCleanup {
  snapshotId: string;
  state: CleanupState;
  message?: string;
  /** Deletes tried so far; absent on a cleanup recorded by an older build (counted as none). */
  attempts?: number;
  /** While PENDING: when the next delete is tried. */
  nextAttemptAt?: string;
}

/** Who cancelled a job, when, and why if they said. */
export interface Cancellation {
  /** The account whose token asked for it. */
  by: string;
  at: string;
  reason?: string;
}

export interface ReplicationJob {
  jobId: string;
  accountId: string;
  status: JobStatus;
  snapshotId: string;
  sourceRegion: string;
  name: string;
  tags: Record<string, string>;
  trigger: JobTrigger;
  createdAt: string;
  updatedAt: string;
  executionArn: string | null;
  /** One per destination, in the order the caller gave them. */
  copies: CopyRecord[];
  error: JobError | null;
  /** Set when the job was cancelled. */
  cancellation?: Cancellation | null;
}

// Each status lists the statuses it may move to. Anything else is refused by a conditional
// write, so a late or repeated step can never walk a finished job backwards.
const JOB_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  PENDING: ["VALIDATING", "FAILED", "CANCELLED"],
  VALIDATING: ["RUNNING", "REJECTED", "FAILED", "CANCELLED"],
  RUNNING: ["COMPLETED", "PARTIAL", "FAILED", "CANCELLED"],
  COMPLETED: [],
  PARTIAL: [],
  FAILED: [],
  CANCELLED: [],
  REJECTED: [],
};

const COPY_TRANSITIONS: Record<CopyStatus, readonly CopyStatus[]> = {
  PENDING: ["QUEUED", "FAILED", "CANCELLED"],
  QUEUED: ["COPYING", "FAILED", "CANCELLED"],
  COPYING: ["COMPLETED", "FAILED", "CANCELLED"],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

const sourcesOf = <S extends string>(table: Record<S, readonly S[]>, to: S): S[] =>
  (Object.keys(table) as S[]).filter((from) => table[from].includes(to));

/** The job statuses from which `to` may be reached. */
export const jobStatusesLeadingTo = (to: JobStatus): JobStatus[] => sourcesOf(JOB_TRANSITIONS, to);

/** The copy statuses from which `to` may be reached. */
export const copyStatusesLeadingTo = (to: CopyStatus): CopyStatus[] =>
  sourcesOf(COPY_TRANSITIONS, to);

export const canMoveJob = (from: JobStatus, to: JobStatus): boolean =>
  JOB_TRANSITIONS[from].includes(to);

export const canMoveCopy = (from: CopyStatus, to: CopyStatus): boolean =>
  COPY_TRANSITIONS[from].includes(to);

/** Takes any string, so a client that reads a job's status off the wire can ask too. */
export const isFinishedJob = (status: string): boolean =>
  (FINISHED_JOB_STATUSES as readonly string[]).includes(status);

export const isFinishedCopy = (status: CopyStatus): boolean =>
  COPY_TRANSITIONS[status].length === 0;

/** COMPLETED when every copy completed, FAILED when none did, PARTIAL in between. */
export const outcomeOf = (copies: readonly CopyRecord[]): "COMPLETED" | "PARTIAL" | "FAILED" => {
  const completed = copies.filter((copy) => copy.status === "COMPLETED").length;
  if (completed === copies.length && completed > 0) return "COMPLETED";
  return completed === 0 ? "FAILED" : "PARTIAL";
};

/** A copy as a new job holds it: nothing started yet. */
export const newCopy = (destinationRegion: string): CopyRecord => ({
  destinationRegion,
  status: "PENDING",
  progress: 0,
  destinationSnapshotId: null,
  error: null,
  startedAt: null,
  completedAt: null,
  progressAt: null,
});

export const findCopy = (job: ReplicationJob, destinationRegion: string): CopyRecord | undefined =>
  job.copies.find((copy) => copy.destinationRegion === destinationRegion);
