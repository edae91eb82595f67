// The ports the domain talks through. Adapters (DynamoDB, EC2, Step Functions) implement
// them at the edge; tests may hand in their own.

import type { CheckedProof, VerifiedPrincipal } from "./caller-proof.js";
import type {
  Cancellation,
  CopyCleanup,
  CopyStatus,
  JobError,
  JobStatus,
  ReplicationJob,
} from "./job.js";
import type { LimitOverrides } from "./limits.js";
import type { DrPolicy, PolicySelector } from "./policies/policy.js";
import type {
  Deletion,
  PolicyCopy,
  PolicyRun,
  RecoveryPoint,
  RunOutcome,
  RunVolume,
  VolumeTarget,
} from "./policies/records.js";

export interface CopyChange {
  status?: CopyStatus;
  progress?: number;
  destinationSnapshotId?: string;
  error?: JobError | null;
  startedAt?: string;
  completedAt?: string;
  progressAt?: string;
  sizeGiB?: number;
  cleanup?: CopyCleanup;
}

/**
 * One conditional change to a job. A status change is applied only from a status that may
 * lead to it (see job.ts); a change the job already shows is accepted again, so a retried
 * step is harmless.
 */
export interface JobChange {
  status?: JobStatus;
  error?: JobError | null;
  /** The job's execution: set once, or changed from the ended one `takesOver` names. */
  executionArn?: string;
  /** The execution `executionArn` takes over from: the change holds only while it is the job's. */
  takesOver?: string;
  copies?: Record<string, CopyChange>;
  /**
   * When the sweeper should next look at the job; see `dueForSweep`. A job that finishes leaves
   * the sweeper's queue unless the same change gives it a next look (a cancelled copy's partial
   * snapshot still to delete).
   */
  nextSweepAt?: string;
  /** The sweeper has nothing left to do for this finished job: it leaves the sweeper's queue. */
  sweepDone?: true;
  cancellation?: Cancellation;
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

/** A claim on a copy's start: the first ever made for it, or one after an earlier attempt's. */
export type CopyStartClaim = "first" | "again";

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
   * Takes the right to start the copy to one destination: held when the copy is QUEUED and nobody
   * else claimed it within the lease (undefined: not held). `first` when no attempt ever claimed
   * it before, so none can have called CopySnapshot for it; `again` otherwise.
   */
  claimCopyStart(
    jobId: string,
    destinationRegion: string,
    now: Date,
    leaseSeconds: number,
  ): Promise<CopyStartClaim | undefined>;
  /**
   * Copies to `destinationRegion` that the account's unfinished jobs hold QUEUED (yet to start),
   * leaving out `exceptJobId`'s own. Validate asks once per destination: the answer must cost the
   * same however many jobs the account has queued.
   */
  countQueuedCopies(
    accountId: string,
    destinationRegion: string,
    exceptJobId: string,
  ): Promise<number>;
  /**
   * The account's unfinished jobs that copy `snapshotId` out of `sourceRegion`, oldest first;
   * found without reading the account's other jobs.
   */
  activeJobsFor(
    accountId: string,
    sourceRegion: string,
    snapshotId: string,
  ): Promise<ReplicationJob[]>;
  /** Gives back a claim taken at `claimedAt`, so a retry need not wait out the lease. */
  releaseCopyStart(jobId: string, destinationRegion: string, claimedAt: Date): Promise<void>;
  /**
   * The sweeper's queues: one per account that has ever had a job in it (an account stays listed
   * once it has been, even with nothing due), in an order that is the same from call to call. A
   * store may list a queue of its own besides, under a name that is no account id (DynamoDB: the
   * jobs an older build queued all together); `dueForSweep` reads it as it reads an account's.
   */
  sweepAccounts(): Promise<string[]>;
  /**
   * The account's jobs the sweeper should look at: those whose next look (`nextSweepAt`, at first
   * their creation time) is at or before `dueBy`, earliest first, at most `limit`. Unfinished
   * jobs, and finished ones the sweeper still has work with (a cancelled copy to clean up).
   */
  dueForSweep(accountId: string, dueBy: string, limit: number): Promise<ReplicationJob[]>;
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
  /**
   * The copies pending in `region` that the account holds and that are not snaprelay's (they do
   * not carry its job tag): another tool's copies, which take places of the cloud's copy limit
   * that snaprelay's slots do not count.
   */
  countForeignPending(accountId: string, region: string): Promise<number>;
  /**
   * The ids of the account's volumes in `region` that the selector names: those listed in
   * `volumeIds` that exist, and those carrying every tag in `tags`.
   */
  findVolumes(accountId: string, region: string, selector: PolicySelector): Promise<string[]>;
  /** The newest completed snapshot of each volume that has one, by volume id. */
  newestSnapshots(
    accountId: string,
    region: string,
    volumeIds: readonly string[],
  ): Promise<Map<string, SnapshotView>>;
  /**
   * The account's snapshots in `region` whose tags match: for each key, one of its values (any
   * number of values; the provider splits long lists into several calls). Pending copies are
   * listed too. EC2 reads `*` and `?` in a value as wildcards: a caller that must not act on a
   * near miss checks the tags of what it gets.
   */
  findTagged(
    accountId: string,
    region: string,
    tags: Record<string, readonly string[]>,
  ): Promise<SnapshotView[]>;
  /** Those of `snapshotIds` the account holds in `region` (any number; missing ones left out). */
  findByIds(
    accountId: string,
    region: string,
    snapshotIds: readonly string[],
  ): Promise<SnapshotView[]>;
}

/** The copy slots of one account in one destination region (EC2's limit is per account). */
export interface SlotPool {
  accountId: string;
  region: string;
}

/** A copy waiting in its region's queue. */
export interface QueuedCopy {
  jobId: string;
  /** When it joined the queue: the queue is served oldest first. */
  queuedAt: string;
  /** The token that wakes its waiting task, once the task has recorded it. */
  wakeToken: string | null;
}

export interface SlotPoolView {
  /**
   * Each holder since its grant; `wakeToken`, for a copy given its slot from the queue, is the
   * token its wait was woken with (kept, so a wake-up that got lost can be sent again).
   */
  holders: { jobId: string; since: string; wakeToken?: string }[];
  queueLength: number;
  /** The pool's own limit, once the cloud's room has set one. */
  limit?: PoolLimit;
}

/**
 * How many places the cloud leaves a pool: fewer than its configured slots while copies that are
 * not snaprelay's take some of the cloud's own limit. Kept on the pool; every grant keeps within it.
 */
export interface PoolLimit {
  /** The places the pool may hold now (0: the cloud's whole limit is taken by others' copies). */
  places: number;
  /** Why: the cloud refused a copy, or showed copies that are not snaprelay's (or no more). */
  reason: "refused" | "foreign";
  /** The copies that were not snaprelay's, as last seen (undefined: the cloud could not be asked). */
  foreignPending?: number;
  /** When `places` last changed. */
  changedAt: string;
  /** When the cloud was last looked at for it. */
  checkedAt: string;
}

/**
 * What `grant` did: moved the copy into a slot (with the token that wakes it, as it stood at that
 * moment); or found no slot free, the copy no longer waiting, or its token changed since it was
 * read (ask again).
 */
export type GrantOutcome =
  | { granted: true; wakeToken: string | null; grantedAt: string }
  | { granted: false; because: "full" | "gone" | "stale" };

/**
 * The copy slots of each pool and the queue of copies waiting for one, oldest first. Every change
 * is a conditional write: a pool never has more holders than its limit, a copy holds at most one
 * slot and waits at most once, and each call is safe to repeat.
 */
export interface CopySlots {
  /**
   * Takes a free slot for the copy; true if it holds one now (or held one already). Every slot given
   * (here or by `grant`) is stamped no earlier than all those given before it in the pool: `now`,
   * or the last stamp if that is later, so stamps order the grants as they happened.
   */
  take(pool: SlotPool, jobId: string, limit: number, now: string): Promise<boolean>;
  /** The stamp of the slot the copy holds; undefined if it holds none. */
  heldSince(pool: SlotPool, jobId: string): Promise<string | undefined>;
  /**
   * Gives the copy's slot back; false if it held none. With `endedAt` (a copy that ran to its
   * end), how long the slot was held counts toward the pool's `holdSeconds`.
   */
  release(pool: SlotPool, jobId: string, endedAt?: string): Promise<boolean>;
  /** How long the pool's copies typically hold a slot (recent holds weigh most); undefined before any. */
  holdSeconds(pool: SlotPool): Promise<number | undefined>;
  /** Puts the copy at the back of the queue, or leaves it in its place if it waits already. */
  enqueue(pool: SlotPool, jobId: string, now: string): Promise<QueuedCopy>;
  queued(pool: SlotPool, jobId: string): Promise<QueuedCopy | undefined>;
  /** Records the token that wakes the waiting copy; false if it no longer waits. */
  setWakeToken(pool: SlotPool, jobId: string, token: string): Promise<boolean>;
  /** The oldest waiting copies, at most `count`. */
  head(pool: SlotPool, count: number): Promise<QueuedCopy[]>;
  /**
   * Moves a waiting copy into a free slot, in one step. With `seen` (its entry as `head` listed
   * it) the store need not read the entry again: if it changed since (a new token, or gone), the
   * grant answers "stale" and the caller asks again without it.
   */
  grant(
    pool: SlotPool,
    jobId: string,
    limit: number,
    now: string,
    seen?: QueuedCopy,
  ): Promise<GrantOutcome>;
  /** Takes the copy out of the queue, if it is there. */
  leave(pool: SlotPool, jobId: string): Promise<void>;
  /** How many copies wait before this one; counting stops at `upTo` (it reads the queue). */
  position(pool: SlotPool, queued: QueuedCopy, upTo?: number): Promise<number>;
  /** How many slots of the pool are held now: one small read. */
  inUse(pool: SlotPool): Promise<number>;
  /** The slots held now and the pool's own limit, if it has one: one small read. */
  standing(pool: SlotPool): Promise<{ inUse: number; limit?: PoolLimit }>;
  /**
   * Records the pool's own limit: from then on no slot is given beyond `limit.places` (nor beyond
   * the `limit` a caller passes), whoever asks. Only over `previous` (the limit as the caller read
   * it; undefined: none yet): false, and nothing written, if another writer changed it since.
   */
  setLimit(pool: SlotPool, limit: PoolLimit, previous: PoolLimit | undefined): Promise<boolean>;
  /**
   * Gives a holder's slot back and puts it in the queue at the place it first joined it (a copy
   * that took a free slot at once: when it took it), in one step; answers its place in the queue
   * (its entry as it stands if it holds no slot and waits already; undefined if neither).
   */
  requeue(pool: SlotPool, jobId: string): Promise<QueuedCopy | undefined>;
  view(pool: SlotPool): Promise<SlotPoolView>;
  /** Every pool that has ever given a slot (a pool with a queue has), for the sweeper. */
  pools(): Promise<SlotPool[]>;
}

/**
 * A scheduled function's lease: one run at a time holds it (a run that overlaps the one before is
 * told so and does nothing), and it keeps where the last run stopped (`cursor`), so each run goes
 * on from there and every part of the work is served in turn.
 */
export interface Leases {
  /**
   * Takes the lease `name` for `holder` until `until`, if nobody holds it or the holder's time is
   * up at `now`; answers the cursor the last run left, or false when another run holds it.
   */
  claim(name: string, holder: string, now: Date, until: Date): Promise<{ cursor?: string } | false>;
  /** Gives the lease back, keeping `cursor` (none: start from the beginning next time). */
  finish(name: string, holder: string, cursor: string | undefined): Promise<void>;
}

/** A copy's end, as the event the destination region sent about it tells it. */
export interface CopyEnd {
  /** The account the event came from: only a copy of that account is ended by it. */
  account: string;
  result: "succeeded" | "failed";
  /** The cloud's reason, for a failed copy. */
  cause?: string;
  /** When the event says the copy ended. */
  endedAt?: string;
}

/** The wait of one copy for its end: the job it belongs to and the token that ends the wait. */
export interface CopyWaiter {
  jobId: string;
  accountId: string;
  token: string;
}

/** What recording a copy's end found: whose wait it met, if any. */
export type EndRecorded =
  /** A wait of the event's own account is recorded: its token ends it. */
  | { kind: "waiting"; waiter: CopyWaiter }
  /** No wait yet: the end is kept for the event's account alone, for the wait to find. */
  | { kind: "unclaimed" }
  /** The copy is another account's: nothing was written. */
  | { kind: "foreign" };

/**
 * Where a copy's wait and its end meet, by destination region and snapshot id (a key, not a
 * scan). Whichever comes second learns of the first in the same write, so an event that comes
 * before the wait is recorded still ends the wait as soon as it is. An end is checked against the
 * wait's account before it is written, and kept per account until a wait claims the copy: an
 * event of one account can never overwrite, or stand for, the end of another account's copy.
 */
export interface CopyWaits {
  /** Records the wait's token; answers the end its own account's event recorded, if any. */
  wait(
    region: string,
    snapshotId: string,
    waiter: CopyWaiter,
    expiresAt: Date,
  ): Promise<CopyEnd | undefined>;
  /** Records the copy's end, unless the copy is another account's; says whose wait it met. */
  end(region: string, snapshotId: string, end: CopyEnd, expiresAt: Date): Promise<EndRecorded>;
}

export interface PolicyPage {
  policies: DrPolicy[];
  nextToken?: string;
}

export interface RunVolumePage {
  volumes: RunVolume[];
  nextToken?: string;
}

/**
 * Scheduled DR policies and what they leave behind. Claims are conditional writes, so two
 * schedulers never run one policy's run twice; every other write is safe to repeat.
 */
export interface PolicyStore {
  create(policy: DrPolicy): Promise<void>;
  get(policyId: string): Promise<DrPolicy | undefined>;
  listByAccount(accountId: string, limit: number, nextToken?: string): Promise<PolicyPage>;
  /** Replaces the policy if it still exists; false if it does not. */
  replace(policy: DrPolicy): Promise<boolean>;
  /** Deletes the policy and its volume targets (runs and deletions stay as history). */
  delete(policyId: string): Promise<void>;
  /**
   * The accounts that keep policies (listed once they have had one), in an order that is the same
   * from call to call. A store may list a queue of its own besides, under a name that is no
   * account id (DynamoDB: the policies an older build queued together); `due` reads it alike.
   */
  policyAccounts(): Promise<string[]>;
  /** The account's enabled policies whose next run is at or before `now`, earliest first. */
  due(accountId: string, now: string, limit: number): Promise<DrPolicy[]>;
  /**
   * Claims the run of `policy` due at `policy.nextRunAt`: moves its next run to `nextRunAt` and
   * stores `run`, in one step; false when another scheduler claimed it (or the policy changed).
   */
  claimRun(policy: DrPolicy, run: PolicyRun, nextRunAt: string | null): Promise<boolean>;
  /** Stores a run asked for now (run now); false if a run with its id exists. */
  addRun(run: PolicyRun): Promise<boolean>;
  getRun(policyId: string, runId: string): Promise<PolicyRun | undefined>;
  /** Saves a run's outcome (or its progress). */
  saveRun(run: PolicyRun): Promise<void>;
  /**
   * Records what a run did with these volumes, each as an item of its own, so a run of any size
   * is kept whole; a volume recorded again is written over.
   */
  recordRunVolumes(policyId: string, runId: string, volumes: readonly RunVolume[]): Promise<void>;
  /**
   * A run's recorded volumes by volume id, `limit` at a time (of one outcome, if given); the
   * page token is bound to the run.
   */
  runVolumes(
    policyId: string,
    runId: string,
    query: { limit: number; outcome?: RunOutcome; nextToken?: string },
  ): Promise<RunVolumePage>;
  /**
   * Takes up a run left STARTING: moves its `resumeAt` to `resumeAt`, if it still reads as it did
   * (so two schedulers never take up one run together); false otherwise.
   */
  claimResume(run: PolicyRun, resumeAt: string): Promise<boolean>;
  /** Runs still STARTING whose `resumeAt` is at or before `now`. */
  runsToResume(now: string, limit: number): Promise<PolicyRun[]>;
  /** The policy's newest runs, newest first. */
  recentRuns(policyId: string, limit: number): Promise<PolicyRun[]>;
  /** Every volume target of the policy. */
  targets(policyId: string): Promise<VolumeTarget[]>;
  /**
   * Records the job copying a volume to a destination, creating the target (breaching at
   * `breachAt` unless a copy comes first) if it is new. Only if the target's job is still
   * `seenJobId` (what the caller planned with) or already `jobId`: false when another run has
   * given the volume a job meanwhile.
   */
  assignJob(
    target: Pick<VolumeTarget, "policyId" | "volumeId" | "destinationRegion">,
    jobId: string,
    now: string,
    breachAt: string,
    seenJobId: string | null,
  ): Promise<boolean>;
  /**
   * Records a completed copy as the target's recovery point if its source is newer than the one
   * recorded, with the time it next breaches; clears the breach. Returns the target as it was.
   */
  recordCopy(
    target: Pick<VolumeTarget, "policyId" | "volumeId" | "destinationRegion">,
    point: RecoveryPoint,
    breachAt: string,
    now: string,
  ): Promise<VolumeTarget | undefined>;
  /** Targets not yet reported as breached whose `breachAt` is at or before `now`. */
  dueBreaches(now: string, limit: number): Promise<VolumeTarget[]>;
  /**
   * Marks the target breached since `now` if it still breaches at `breachAt`; false when it
   * changed meanwhile (a new copy came).
   */
  markBreached(target: VolumeTarget, now: string): Promise<boolean>;
  /** Moves the target's next breach check (its policy's RPO grew). */
  rescheduleBreach(target: VolumeTarget, breachAt: string): Promise<void>;
  /** Stops checking the target's RPO (its policy or destination is gone). */
  retireBreachCheck(target: VolumeTarget): Promise<void>;
  /** Records a copy a policy's job made (again harmlessly, when a step is retried). */
  recordPolicyCopy(copy: PolicyCopy): Promise<void>;
  /** The copies recorded for a volume in a destination, oldest source first. */
  policyCopies(
    target: Pick<VolumeTarget, "policyId" | "volumeId" | "destinationRegion">,
  ): Promise<PolicyCopy[]>;
  /** Forgets a recorded copy: retention deleted it, or it is gone from the cloud. */
  forgetPolicyCopy(
    copy: Pick<PolicyCopy, "policyId" | "volumeId" | "destinationRegion" | "snapshotId">,
  ): Promise<void>;
  saveDeletion(deletion: Deletion): Promise<void>;
  /** The policy's newest deletions, newest first. */
  recentDeletions(policyId: string, limit: number): Promise<Deletion[]>;
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

/** One event of an execution's history, as much of it as snaprelay reads. */
export interface ExecutionEvent {
  id: number;
  /** The event before it in its thread (the execution, or one Map iteration); 0 for the first. */
  previousEventId: number;
  /** ISO time. */
  at: string;
  /** Step Functions' event type: TaskStateEntered, LambdaFunctionFailed, ExecutionAborted, … */
  type: string;
  /** The state's name, for the …StateEntered and …StateExited events. */
  stateName?: string;
  /** The Map iteration's index, for MapIterationStarted. */
  index?: number;
  error?: string;
  cause?: string;
}

/** A page of an execution's history, and the token of the page after it, if there is one. */
export interface ExecutionEventPage {
  events: ExecutionEvent[];
  nextToken?: string;
}

export interface Workflow {
  /**
   * Starts the job's execution, named after the job (or `name`, an execution that takes over an
   * ended one) so it cannot run twice: a second start returns the first execution. Gives up
   * (throws) once `signal` aborts.
   */
  start(
    jobId: string,
    input: Record<string, unknown>,
    options?: { signal?: AbortSignal; name?: string },
  ): Promise<{ executionArn: string }>;
  /** The execution's status, or undefined when there is no such execution. */
  describe(executionArn: string): Promise<ExecutionView | undefined>;
  /**
   * Ends the wait of the task that handed out `token`, with `output` as its result; false when
   * that task no longer waits (answered, timed out, or its execution ended).
   */
  wake(token: string, output: Record<string, unknown>): Promise<boolean>;
  /**
   * Fails the task that handed out `token` with a named error (its Catch sees `error` and
   * `cause`); false when that task no longer waits.
   */
  fail(token: string, error: string, cause: string): Promise<boolean>;
  /**
   * Stops the execution (a cancelled job's), with the error CANCELLED_EXECUTION_ERROR (tenant-cause.ts)
   * and `cause`;
   * an execution that has ended already is left as it is.
   */
  stop(executionArn: string, cause: string): Promise<void>;
  /**
   * One page of the execution's events, oldest first: at most `maxResults` (1 to 1000), from the
   * page `nextToken` names (a token an earlier page gave; Step Functions lets a token be used
   * again, for 24 hours), without the states' input and output. Undefined when there is no such
   * execution; throws InvalidRequest when Step Functions refuses the token.
   */
  historyPage(
    executionArn: string,
    page: { nextToken?: string; maxResults: number },
  ): Promise<ExecutionEventPage | undefined>;
  isReachable(): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that runs `speed` times faster than real time from `origin` on (epoch ms): the local
 * stack's compressed clock, under which a day-long copy takes minutes. Speed 1 is real time.
 */
export const acceleratedClock = (origin: number, speed: number): Clock =>
  speed === 1 ? systemClock : { now: () => new Date(origin + (Date.now() - origin) * speed) };

export type AccessRequestStatus = "OPEN" | "APPROVED" | "REJECTED";

/** Who took a decision on an account's access (an approval, a rejection, a revoke), when and why. */
export interface AccessDecision {
  by: string;
  at: string;
  note: string | null;
}

/** An account's application to use the feature while it is in beta (the seed's form). */
export interface AccessRequest {
  requestId: string;
  accountId: string;
  reason: string;
  contact: string;
  status: AccessRequestStatus;
  createdAt: string;
  /** Who decided, when and why; null while OPEN. */
  decision: AccessDecision | null;
  /** Set when the access this request granted was revoked: who, when and why. */
  revocation?: AccessDecision | null;
}

export interface AccessRequestPage {
  requests: AccessRequest[];
  nextToken?: string;
}

/**
 * Where an approved account stands: PENDING_CONNECTION until snaprelay has assumed its role once
 * with the account's own external id, then CONNECTED; REVOKED once an admin took access back.
 */
export type GrantStatus = "PENDING_CONNECTION" | "CONNECTED" | "REVOKED";

/** The access an approval gave an account. */
export interface AccountGrant {
  accountId: string;
  /** The approved request that made the grant. */
  requestId: string;
  status: GrantStatus;
  /**
   * The external id the account's role must ask for, made for this account at the approval.
   * Undefined on a grant an older build made: that account's role asks the deployment's.
   */
  externalId: string | undefined;
  grantedBy: string;
  grantedAt: string;
  /** When snaprelay first assumed the role with the external id. */
  connectedAt: string | null;
  /** While PENDING_CONNECTION: when snaprelay last tried the role (a request or a connect). */
  connectAttemptAt: string | null;
  /** Why the last try of the role failed, and when; null once it worked. */
  connectFailure: { at: string; reason: string } | null;
  revocation: AccessDecision | null;
}

/** How a request is decided: an approval comes with the external id made for the account. */
export type AccessOutcome = { status: "APPROVED"; externalId: string } | { status: "REJECTED" };

/**
 * Access requests and the accounts granted access by them. An account has at most one OPEN
 * request; a decision is taken once, and an approval grants access in the same write.
 */
export interface AccessStore {
  /** The account's grant (a revoked one too); undefined if no approval ever granted it. */
  grant(accountId: string): Promise<AccountGrant | undefined>;
  /** Stores a new OPEN request; throws AccessRequestOpen if the account has one open already. */
  submit(request: AccessRequest): Promise<void>;
  get(requestId: string): Promise<AccessRequest | undefined>;
  /** Requests in `status`, newest first, a page at a time. */
  list(status: AccessRequestStatus, limit: number, nextToken?: string): Promise<AccessRequestPage>;
  /**
   * Decides an OPEN request; an approval grants its account in the same write, PENDING_CONNECTION
   * with `outcome.externalId` (replacing a REVOKED grant, never a live one: AlreadyAllowlisted).
   * Throws AccessRequestDecided if the request was decided already.
   */
  decide(
    requestId: string,
    outcome: AccessOutcome,
    decision: AccessDecision,
  ): Promise<AccessRequest>;
  /**
   * Takes the right to try the role of a PENDING_CONNECTION account now: true for one caller in
   * each window, when no try was made after `triedBefore` (a stored time, so across every Lambda
   * instance). False when another caller tried since, or the grant is not pending.
   */
  claimConnectAttempt(accountId: string, now: string, triedBefore: string): Promise<boolean>;
  /** A PENDING_CONNECTION grant becomes CONNECTED; answers the grant as it now is. */
  markConnected(accountId: string, at: string): Promise<AccountGrant | undefined>;
  /** Records a failed try of the role, as the account's last (whatever its status). */
  recordConnectFailure(accountId: string, at: string, reason: string): Promise<void>;
  /**
   * The grant becomes REVOKED, and the request that made it records the revocation, in one write.
   * A grant revoked already is answered as it is; throws AccountNotGranted if there is none.
   */
  revoke(accountId: string, revocation: AccessDecision): Promise<AccountGrant>;
}

/** Proves snaprelay can act in an account: one AssumeRole of its role, with an external id. */
export interface AccountRoles {
  /**
   * Resolves once the account's role was assumed with `externalId` (undefined: none passed);
   * rejects with AccountAccessDenied, saying why, when STS refused it.
   */
  tryAssume(accountId: string, externalId: string | undefined): Promise<void>;
}

/**
 * What snaprelay counts and times as it works, for dashboards and alarms (CloudWatch metrics in
 * AWS). Each call records one fact once: callers skip a retried step's second report.
 */
export interface Metrics {
  /** A copy's CopySnapshot was made; `waitedSeconds` since its job was created (queueing included). */
  copyStarted(destinationRegion: string, waitedSeconds: number): void;
  /** The cloud finished a copy of `bytes` (the source volume's size) in `seconds`. */
  copyCompleted(destinationRegion: string, copy: { bytes: number; seconds: number }): void;
  copyFailed(destinationRegion: string, code: string): void;
  /** A request or a job refused, by its error code (AccountNotAllowlisted, SnapshotNotFound, …). */
  rejected(code: string): void;
  /** Copies waiting for a slot in a region, and slots held there, as the sweeper reads them. */
  queueLength(destinationRegion: string, waiting: number, inUse: number): void;
  /** A DR target's newest recovery point grew older than its policy's RPO. */
  rpoBreached(destinationRegion: string): void;
  /**
   * One sweep's replay of copy events the copyEvents function failed on: handled again, dropped
   * as never handleable (malformed, not a tenant's), or left in the queue for a later sweep.
   */
  failedCopyEventsReplayed(counts: { replayed: number; dropped: number; left: number }): void;
}

/** A record of a failed copy event, as the queue holds it until it is deleted. */
export interface FailedEvent {
  /** The queue's id of the record. */
  id: string;
  /**
   * The record as sent: Lambda's invocation record of the failed asynchronous invocation (its
   * `requestPayload` is the event), or the event alone, from a dead-letter queue.
   */
  body: string;
  /** What `delete` takes; good for this receive only. */
  receipt: string;
  /** How many times the record was received, this time included. */
  receiveCount: number;
}

/**
 * Where the copy events that copyEvents failed on wait (Lambda's on-failure destination for it):
 * the sweeper takes each in turn and deletes it once handled.
 */
export interface FailedEvents {
  /**
   * Up to `max` (1 to 10) records, none received by another call until the queue's visibility
   * timeout has passed: a record not deleted by then comes back. May answer fewer than there are.
   */
  receive(max: number): Promise<FailedEvent[]>;
  /** Deletes a received record for good; deleting one already deleted is harmless. */
  delete(receipt: string): Promise<void>;
}

/**
 * The limits an admin set for single accounts, and what each account uses of them now. Counts
 * stop at `upTo`: a caller only asks whether a limit is reached.
 */
export interface AccountLimitsStore {
  overrides(accountId: string): Promise<LimitOverrides | undefined>;
  setOverrides(overrides: LimitOverrides): Promise<void>;
  /** Unfinished jobs of the account, counted up to `upTo`. */
  jobsInFlight(accountId: string, upTo: number): Promise<number>;
  /** Policies of the account, counted up to `upTo`. */
  policyCount(accountId: string, upTo: number): Promise<number>;
  /** Counts one request of the account in the whole second `second` (epoch s); answers the count. */
  countRequest(accountId: string, second: number): Promise<number>;
}

/** STS, asked who signed a proof (caller-proof.ts). */
export interface IdentityVerifier {
  /**
   * The principal whose credentials signed the proof; `Unauthorized` saying why STS refused it, or
   * `IdentityUnavailable` when STS could not be asked.
   */
  whoSigned(proof: CheckedProof): Promise<VerifiedPrincipal>;
}

/** A console or CLI session: who proved themselves, and until when the session stands for them. */
export interface SignInSession {
  accountId: string;
  principalArn: string;
  createdAt: string;
  expiresAt: string;
}

/** Sessions by the SHA-256 of their token: the token itself is never stored. */
export interface SessionStore {
  create(tokenHash: string, session: SignInSession): Promise<void>;
  find(tokenHash: string): Promise<SignInSession | undefined>;
  remove(tokenHash: string): Promise<void>;
}
