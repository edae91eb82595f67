// The ports the domain talks through. Adapters (DynamoDB, EC2, Step Functions) implement
// them at the edge; tests may hand in their own.
import type { CopyStatus, JobError, JobStatus, ReplicationJob } from "./job.js";

export interface CopyChange {
  status?: CopyStatus;
  progress?: number;
  destinationSnapshotId?: string;
  error?: JobError | null;
  startedAt?: string;
  completedAt?: string;
  progressAt?: string;
}

/**
 * One conditional change to a job. A status change is applied only from a status that may
 * lead to it (see job.ts); a change the job already shows is accepted again, so a retried
 * step is harmless.
 */
export interface JobChange {
  status?: JobStatus;
  error?: JobError | null;
  executionArn?: string;
  copies?: Record<string, CopyChange>;
  /** When the sweeper should next look at the job (it is unfinished); see `dueForSweep`. */
  nextSweepAt?: string;
}

export interface IdempotencyClaim {
  key: string;
  requestHash: string;
}

export interface JobListQuery {
  status?: JobStatus;
  snapshotId?: string;
  limit: number;
  nextToken?: string;
}

export interface JobPage {
  jobs: ReplicationJob[];
  nextToken?: string;
}

export interface JobStore {
  /**
   * Stores a new job. With an idempotency claim, a second call with the same key and request
   * returns the first job (`created: false`); the same key with another request throws
   * `IdempotencyConflict`.
   */
  create(
    job: ReplicationJob,
    idempotency?: IdempotencyClaim,
  ): Promise<{ job: ReplicationJob; created: boolean }>;
  get(jobId: string): Promise<ReplicationJob | undefined>;
  listByAccount(accountId: string, query: JobListQuery): Promise<JobPage>;
  apply(jobId: string, change: JobChange, now: string): Promise<ReplicationJob>;
  /**
   * Takes the right to start the copy to one destination. True when this caller holds it:
   * the copy is QUEUED and nobody else claimed it within the lease.
   */
  claimCopyStart(
    jobId: string,
    destinationRegion: string,
    now: Date,
    leaseSeconds: number,
  ): Promise<boolean>;
  /** Copies to `destinationRegion` that the account's unfinished jobs have yet to start. */
  countQueuedCopies(
    accountId: string,
    destinationRegion: string,
    exceptJobId: string,
  ): Promise<number>;
  /** The account's unfinished jobs that copy `snapshotId` out of `sourceRegion`. */
  activeJobsFor(
    accountId: string,
    sourceRegion: string,
    snapshotId: string,
  ): Promise<ReplicationJob[]>;
  /** Gives back a claim taken at `claimedAt`, so a retry need not wait out the lease. */
  releaseCopyStart(jobId: string, destinationRegion: string, claimedAt: Date): Promise<void>;
  /**
   * Unfinished jobs the sweeper should look at: those whose next look (`nextSweepAt`, at first
   * their creation time) is at or before `dueBy`, earliest first, at most `limit`.
   */
  dueForSweep(dueBy: string, limit: number): Promise<ReplicationJob[]>;
  isReachable(): Promise<boolean>;
}

export type SnapshotState = "pending" | "completed" | "error" | "recoverable" | "recovering";

export interface SnapshotView {
  snapshotId: string;
  region: string;
  state: SnapshotState;
  progress: number;
  volumeId: string;
  volumeSizeGiB: number;
  description: string;
  startTime: string;
  stateMessage?: string;
  tags: Record<string, string>;
}

export interface CopyRequest {
  /** The account that owns the source and receives the copy. */
  accountId: string;
  sourceRegion: string;
  sourceSnapshotId: string;
  destinationRegion: string;
  description: string;
  tags: Record<string, string>;
}

/**
 * Snapshots as the cloud shows them to one account: every call acts in `accountId` and sees only
 * what that account owns (another account's snapshot is as absent as one that never was). A call
 * snaprelay may not make in that account throws `AccountAccessDenied`.
 */
export interface SnapshotProvider {
  describe(
    accountId: string,
    region: string,
    snapshotId: string,
  ): Promise<SnapshotView | undefined>;
  /** Finds a copy already made for this job (by its tags), in case a step died after starting it. */
  findCopy(
    accountId: string,
    destinationRegion: string,
    tags: Record<string, string>,
  ): Promise<SnapshotView | undefined>;
  /** Starts a copy, tagged at creation; returns the new snapshot's id. */
  startCopy(request: CopyRequest): Promise<string>;
  delete(accountId: string, region: string, snapshotId: string): Promise<void>;
  /** Snapshots the account holds in `region`, pending copies included. */
  countOwned(accountId: string, region: string): Promise<number>;
}

export type ExecutionStatus =
  | "RUNNING"
  | "SUCCEEDED"
  | "FAILED"
  | "TIMED_OUT"
  | "ABORTED"
  | "PENDING_REDRIVE";

export interface ExecutionView {
  status: ExecutionStatus;
  error?: string;
  cause?: string;
}

export interface Workflow {
  /**
   * Starts the job's execution, named after the job so it cannot run twice: a second start
   * returns the first execution. Gives up (throws) once `signal` aborts.
   */
  start(
    jobId: string,
    input: Record<string, unknown>,
    options?: { signal?: AbortSignal },
  ): Promise<{ executionArn: string }>;
  /** The execution's status, or undefined when there is no such execution. */
  describe(executionArn: string): Promise<ExecutionView | undefined>;
  isReachable(): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
