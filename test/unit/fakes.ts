// In-memory stand-ins for the domain's ports, for unit tests. They keep the promises the real
// adapters keep: the job store enforces job.ts's transition tables as DynamoDB's conditional
// writes do, and accepts a change the job already shows, so a test cannot pass on a lenient fake.
import { SEED_REGIONS } from "../../functions/config.js";
import { allowlistOf } from "../../functions/core/access.js";
import { TAG_JOB_ID } from "../../functions/core/copy-tags.js";
import { DomainError } from "../../functions/core/errors.js";
import { nextHoldSeconds, secondsBetween } from "../../functions/core/hold-time.js";
import {
  type CopyRecord,
  copyStatusesLeadingTo,
  isFinishedJob,
  jobStatusesLeadingTo,
  newCopy,
  type ReplicationJob,
} from "../../functions/core/job.js";
import { isAlreadyApplied } from "../../functions/core/job-changes.js";
import type { PolicySelector } from "../../functions/core/policies/policy.js";
import type {
  AccessDecision,
  AccessOutcome,
  AccessRequest,
  AccessRequestStatus,
  AccessStore,
  AccountGrant,
  Clock,
  CopyEnd,
  CopyRequest,
  CopySlots,
  CopyStartClaim,
  CopyWaiter,
  CopyWaits,
  EndRecorded,
  ExecutionEvent,
  ExecutionEventPage,
  ExecutionView,
  GrantOutcome,
  IdempotencyClaim,
  JobChange,
  JobListQuery,
  JobPage,
  JobStore,
  Metrics,
  PoolLimit,
  QueuedCopy,
  SlotPool,
  SlotPoolView,
  SnapshotProvider,
  SnapshotView,
  Workflow,
} from "../../functions/core/ports.js";
import type { ReplicationPolicy } from "../../functions/core/rules.js";
import type { StepDeps, StepSettings } from "../../functions/core/step-deps.js";
import { InMemoryPolicyStore } from "./policy-fakes.js";

export const ACCOUNT = "111122223333";
export const T0 = new Date("2026-11-25T02:00:00.000Z");

/** The same guards as the DynamoDB store's condition expression. */
const conditionHolds = (job: ReplicationJob, change: JobChange): boolean => {
  if (change.status && !jobStatusesLeadingTo(change.status).includes(job.status)) return false;
  if (
    change.executionArn &&
    job.executionArn !== null &&
    job.executionArn !== change.executionArn &&
    job.executionArn !== change.takesOver
  )
    return false;
  return Object.entries(change.copies ?? {}).every(([region, copyChange]) => {
    const copy = job.copies.find((c) => c.destinationRegion === region);
    if (!copy) return false;
    if (copyChange.status) return copyStatusesLeadingTo(copyChange.status).includes(copy.status);
    if (copyChange.progress !== undefined) return copy.status === "COPYING";
    return true;
  });
};

export class InMemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, ReplicationJob>();
  private readonly idempotency = new Map<string, { jobId: string; requestHash: string }>();
  private readonly claims = new Map<string, string>();
  /** Claims ever taken on each copy's start (a released claim stays counted). */
  private readonly startAttempts = new Map<string, number>();
  /**
   * When the sweeper should next look at each job in its queue; a new job is due at its creation,
   * a finished one leaves unless it still has work for the sweeper.
   */
  private readonly sweepAt = new Map<string, string>();
  /** The accounts that have ever had a job in the sweeper's queue; never forgotten. */
  private readonly sweepListed = new Set<string>();

  /** Puts a job in the store as it is, for a test's Prepare. */
  seed(job: ReplicationJob): void {
    this.jobs.set(job.jobId, structuredClone(job));
    this.sweepListed.add(job.accountId);
    if (isFinishedJob(job.status)) this.sweepAt.delete(job.jobId);
    else this.sweepAt.set(job.jobId, job.createdAt);
  }

  all(): ReplicationJob[] {
    return [...this.jobs.values()].map((job) => structuredClone(job));
  }

  async create(
    job: ReplicationJob,
    claim?: IdempotencyClaim,
  ): Promise<{ job: ReplicationJob; created: boolean }> {
    // A claim taken before is a replay (its job returned), whatever job id the replay brings.
    const held = claim && this.idempotency.get(`${job.accountId}#${claim.key}`);
    if (claim && held) {
      const existing = this.jobs.get(held.jobId);
      if (held.requestHash !== claim.requestHash || !existing) {
        throw new DomainError(
          "IdempotencyConflict",
          `Idempotency-Key ${claim.key} was already used with a different request.`,
        );
      }
      return { job: structuredClone(existing), created: false };
    }
    if (this.jobs.has(job.jobId)) throw new Error(`ConditionalCheckFailed: job ${job.jobId}`);
    if (claim) {
      this.idempotency.set(`${job.accountId}#${claim.key}`, {
        jobId: job.jobId,
        requestHash: claim.requestHash,
      });
    }
    this.jobs.set(job.jobId, structuredClone(job));
    this.sweepListed.add(job.accountId);
    this.sweepAt.set(job.jobId, job.createdAt);
    return { job: structuredClone(job), created: true };
  }

  async get(jobId: string): Promise<ReplicationJob | undefined> {
    const job = this.jobs.get(jobId);
    return job ? structuredClone(job) : undefined;
  }

  async listByAccount(accountId: string, query: JobListQuery): Promise<JobPage> {
    const matching = [...this.jobs.values()]
      .filter((job) => job.accountId === accountId)
      .filter((job) => !query.status || job.status === query.status)
      .filter((job) => !query.snapshotId || job.snapshotId === query.snapshotId)
      .sort((a, b) => `${b.createdAt}#${b.jobId}`.localeCompare(`${a.createdAt}#${a.jobId}`));
    // The token names the listing and the last job shown, as the DynamoDB store's does.
    const listing = `${query.status ?? ""}|${query.snapshotId ?? ""}`;
    let start = 0;
    if (query.nextToken) {
      const [tokenListing, afterJobId] = query.nextToken.split("@");
      if (tokenListing !== listing) {
        throw new DomainError("InvalidRequest", "nextToken: it belongs to another listing.");
      }
      start = matching.findIndex((job) => job.jobId === afterJobId) + 1;
    }
    const page = matching.slice(start, start + query.limit);
    const last = page.at(-1);
    return {
      jobs: page.map((job) => structuredClone(job)),
      ...(last && start + query.limit < matching.length
        ? { nextToken: `${listing}@${last.jobId}` }
        : {}),
    };
  }

  async sweepAccounts(): Promise<string[]> {
    return [...this.sweepListed].sort();
  }

  async dueForSweep(accountId: string, dueBy: string, limit: number): Promise<ReplicationJob[]> {
    return [...this.jobs.values()]
      .filter((job) => job.accountId === accountId)
      .filter((job) => this.sweepAt.has(job.jobId) && (this.sweepAt.get(job.jobId) ?? "") <= dueBy)
      .sort((a, b) =>
        (this.sweepAt.get(a.jobId) ?? "").localeCompare(this.sweepAt.get(b.jobId) ?? ""),
      )
      .slice(0, limit)
      .map((job) => structuredClone(job));
  }

  async apply(jobId: string, change: JobChange, now: string): Promise<ReplicationJob> {
    const current = this.jobs.get(jobId);
    if (!current) throw new DomainError("JobNotFound", `Job ${jobId} does not exist.`);
    if (!conditionHolds(current, change)) {
      if (isAlreadyApplied(current, change)) return structuredClone(current);
      throw new DomainError("IllegalTransition", `job ${jobId} refused ${JSON.stringify(change)}.`);
    }
    const next = structuredClone(current);
    next.updatedAt = now;
    if (change.status) next.status = change.status;
    if (change.error !== undefined) next.error = change.error;
    if (change.executionArn) next.executionArn = change.executionArn;
    if (change.cancellation) next.cancellation = change.cancellation;
    if (change.status && isFinishedJob(change.status)) this.sweepAt.delete(jobId);
    if (change.nextSweepAt && (this.sweepAt.has(jobId) || change.status)) {
      this.sweepAt.set(jobId, change.nextSweepAt);
    }
    if (change.sweepDone) this.sweepAt.delete(jobId);
    for (const [region, copyChange] of Object.entries(change.copies ?? {})) {
      const copy = next.copies.find((c) => c.destinationRegion === region);
      const defined = Object.entries(copyChange).filter(([, value]) => value !== undefined);
      if (copy) Object.assign(copy, Object.fromEntries(defined));
    }
    this.jobs.set(jobId, next);
    return structuredClone(next);
  }

  async claimCopyStart(
    jobId: string,
    destinationRegion: string,
    now: Date,
    leaseSeconds: number,
  ): Promise<CopyStartClaim | undefined> {
    const copy = this.jobs
      .get(jobId)
      ?.copies.find((c) => c.destinationRegion === destinationRegion);
    if (copy?.status !== "QUEUED") return undefined;
    const key = `${jobId}#${destinationRegion}`;
    const claimedAt = this.claims.get(key);
    const staleBefore = new Date(now.getTime() - leaseSeconds * 1000).toISOString();
    if (claimedAt !== undefined && claimedAt >= staleBefore) return undefined;
    this.claims.set(key, now.toISOString());
    const attempts = this.startAttempts.get(key) ?? 0;
    this.startAttempts.set(key, attempts + 1);
    return attempts === 0 ? "first" : "again";
  }

  async countQueuedCopies(accountId: string, destinationRegion: string, exceptJobId: string) {
    return [...this.jobs.values()].filter(
      (job) =>
        job.accountId === accountId &&
        job.jobId !== exceptJobId &&
        !isFinishedJob(job.status) &&
        job.copies.some((c) => c.destinationRegion === destinationRegion && c.status === "QUEUED"),
    ).length;
  }

  async activeJobsFor(accountId: string, sourceRegion: string, snapshotId: string) {
    return (
      [...this.jobs.values()]
        .filter(
          (job) =>
            job.accountId === accountId &&
            job.sourceRegion === sourceRegion &&
            job.snapshotId === snapshotId &&
            !isFinishedJob(job.status),
        )
        // Oldest first, as the DynamoDB store gives them.
        .sort((a, b) => `${a.createdAt}#${a.jobId}`.localeCompare(`${b.createdAt}#${b.jobId}`))
        .map((job) => structuredClone(job))
    );
  }

  async releaseCopyStart(jobId: string, destinationRegion: string, claimedAt: Date): Promise<void> {
    const key = `${jobId}#${destinationRegion}`;
    if (this.claims.get(key) === claimedAt.toISOString()) this.claims.delete(key);
  }

  async isReachable(): Promise<boolean> {
    return true;
  }
}

/**
 * Snapshots per account and region, as the cloud would show them: an account sees only its own.
 * Records the copies and deletions asked for. Tests add snapshots to ACCOUNT unless they say.
 */
export class InMemorySnapshots implements SnapshotProvider {
  private readonly snapshots = new Map<string, SnapshotView & { accountId: string }>();
  private readonly volumes = new Map<
    string,
    { accountId: string; region: string; volumeId: string; tags: Record<string, string> }
  >();
  readonly copiesStarted: CopyRequest[] = [];
  readonly deleted: string[] = [];
  /** The next delete fails with this error, once. */
  failNextDeleteWith: unknown;
  /** Every call for these accounts fails as a refused role would. */
  readonly refusedAccounts = new Set<string>();
  private nextId = 1;

  add(
    region: string,
    snapshotId: string,
    fields: Partial<SnapshotView> = {},
    accountId = ACCOUNT,
  ): SnapshotView {
    const view: SnapshotView = {
      snapshotId,
      region,
      state: "completed",
      progress: 100,
      volumeId: "vol-0abc1234",
      volumeSizeGiB: 8,
      description: "",
      startTime: T0.toISOString(),
      tags: {},
      ...fields,
    };
    this.snapshots.set(key(accountId, region, snapshotId), { ...view, accountId });
    return view;
  }

  addVolume(
    region: string,
    volumeId: string,
    tags: Record<string, string> = {},
    accountId = ACCOUNT,
  ) {
    this.volumes.set(key(accountId, region, volumeId), { accountId, region, volumeId, tags });
  }

  update(region: string, snapshotId: string, fields: Partial<SnapshotView>, accountId = ACCOUNT) {
    const view = this.snapshots.get(key(accountId, region, snapshotId));
    if (!view) throw new Error(`no snapshot ${snapshotId} in ${region}`);
    this.snapshots.set(key(accountId, region, snapshotId), { ...view, ...fields });
  }

  async describe(
    accountId: string,
    region: string,
    snapshotId: string,
  ): Promise<SnapshotView | undefined> {
    this.checkAccess(accountId);
    const view = this.snapshots.get(key(accountId, region, snapshotId));
    return view ? viewOf(view) : undefined;
  }

  async findCopy(
    accountId: string,
    destinationRegion: string,
    tags: Record<string, string>,
  ): Promise<SnapshotView | undefined> {
    this.checkAccess(accountId);
    const found = [...this.snapshots.values()].find(
      (view) =>
        view.accountId === accountId &&
        view.region === destinationRegion &&
        Object.entries(tags).every(([tagKey, value]) => view.tags[tagKey] === value),
    );
    return found ? viewOf(found) : undefined;
  }

  async startCopy(request: CopyRequest): Promise<string> {
    this.checkAccess(request.accountId);
    const source = this.snapshots.get(
      key(request.accountId, request.sourceRegion, request.sourceSnapshotId),
    );
    if (!source) throw new Error(`InvalidSnapshot.NotFound: ${request.sourceSnapshotId}`);
    this.copiesStarted.push(structuredClone(request));
    let snapshotId = `snap-copy${String(this.nextId++).padStart(4, "0")}`;
    // An id a test seeded by hand is not given again.
    while (this.snapshots.has(key(request.accountId, request.destinationRegion, snapshotId))) {
      snapshotId = `snap-copy${String(this.nextId++).padStart(4, "0")}`;
    }
    this.add(
      request.destinationRegion,
      snapshotId,
      {
        state: "pending",
        progress: 0,
        volumeId: "vol-ffffffff",
        description: request.description,
        tags: { ...request.tags },
      },
      request.accountId,
    );
    return snapshotId;
  }

  async countForeignPending(accountId: string, region: string): Promise<number> {
    this.checkAccess(accountId);
    return [...this.snapshots.values()].filter(
      (view) =>
        view.accountId === accountId &&
        view.region === region &&
        view.state === "pending" &&
        view.volumeId === "vol-ffffffff" &&
        view.tags[TAG_JOB_ID] === undefined,
    ).length;
  }

  async countOwned(accountId: string, region: string): Promise<number> {
    this.checkAccess(accountId);
    return [...this.snapshots.values()].filter(
      (view) => view.accountId === accountId && view.region === region,
    ).length;
  }

  async delete(accountId: string, region: string, snapshotId: string): Promise<void> {
    this.checkAccess(accountId);
    if (this.failNextDeleteWith !== undefined) {
      const error = this.failNextDeleteWith;
      this.failNextDeleteWith = undefined;
      throw error;
    }
    this.snapshots.delete(key(accountId, region, snapshotId));
    this.deleted.push(snapshotId);
  }

  async findVolumes(accountId: string, region: string, selector: PolicySelector) {
    this.checkAccess(accountId);
    return [...this.volumes.values()]
      .filter(
        (volume) =>
          volume.accountId === accountId &&
          volume.region === region &&
          (selector.volumeIds.includes(volume.volumeId) ||
            (Object.keys(selector.tags).length > 0 &&
              Object.entries(selector.tags).every(([tag, value]) => volume.tags[tag] === value))),
      )
      .map((volume) => volume.volumeId)
      .sort();
  }

  async newestSnapshots(accountId: string, region: string, volumeIds: readonly string[]) {
    this.checkAccess(accountId);
    const newest = new Map<string, SnapshotView>();
    for (const view of this.snapshots.values()) {
      if (view.accountId !== accountId || view.region !== region) continue;
      if (view.state !== "completed" || !volumeIds.includes(view.volumeId)) continue;
      const held = newest.get(view.volumeId);
      if (!held || view.startTime > held.startTime) newest.set(view.volumeId, viewOf(view));
    }
    return newest;
  }

  async findTagged(accountId: string, region: string, tags: Record<string, readonly string[]>) {
    this.checkAccess(accountId);
    return [...this.snapshots.values()]
      .filter(
        (view) =>
          view.accountId === accountId &&
          view.region === region &&
          Object.entries(tags).every(([tag, values]) => values.includes(view.tags[tag] ?? "\0")),
      )
      .map(viewOf);
  }

  async findByIds(accountId: string, region: string, snapshotIds: readonly string[]) {
    this.checkAccess(accountId);
    return snapshotIds.flatMap((snapshotId) => {
      const view = this.snapshots.get(key(accountId, region, snapshotId));
      return view ? [viewOf(view)] : [];
    });
  }

  private checkAccess(accountId: string): void {
    if (this.refusedAccounts.has(accountId)) {
      throw new DomainError(
        "AccountAccessDenied",
        `snaprelay cannot act in account ${accountId}: assuming its role was refused.`,
      );
    }
  }
}

const key = (accountId: string, region: string, snapshotId: string) =>
  `${accountId}/${region}/${snapshotId}`;

const viewOf = ({ accountId, ...view }: SnapshotView & { accountId: string }): SnapshotView =>
  structuredClone(view);

/** Slots and queues in memory, with the DynamoDB store's rules (see the CopySlots contract). */
export class InMemoryCopySlots implements CopySlots {
  private readonly holders = new Map<string, Map<string, string>>();
  private readonly queues = new Map<string, Map<string, QueuedCopy>>();
  /** The token each holder given its slot from the queue was woken with, by pool and job. */
  private readonly wakeTokens = new Map<string, string>();

  private holdersOf(pool: SlotPool): Map<string, string> {
    const key = `${pool.accountId}#${pool.region}`;
    let holders = this.holders.get(key);
    if (!holders) {
      holders = new Map();
      this.holders.set(key, holders);
    }
    return holders;
  }

  private queueOf(pool: SlotPool): Map<string, QueuedCopy> {
    const key = `${pool.accountId}#${pool.region}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new Map();
      this.queues.set(key, queue);
    }
    return queue;
  }

  private ordered(pool: SlotPool): QueuedCopy[] {
    return [...this.queueOf(pool).values()].sort((a, b) =>
      `${a.queuedAt}#${a.jobId}`.localeCompare(`${b.queuedAt}#${b.jobId}`),
    );
  }

  private readonly lastGrantAt = new Map<string, string>();
  /** Each pool's own limit, as setLimit recorded it. */
  private readonly limits = new Map<string, PoolLimit>();
  /** When each holder joined the queue (or took its slot), by pool and job. */
  private readonly arrivals = new Map<string, string>();

  async take(pool: SlotPool, jobId: string, limit: number, now: string): Promise<boolean> {
    return this.hold(pool, jobId, limit, now, now);
  }

  private hold(
    pool: SlotPool,
    jobId: string,
    limit: number,
    now: string,
    arrivedAt: string,
  ): boolean {
    const holders = this.holdersOf(pool);
    if (holders.has(jobId)) return true;
    const own = this.limits.get(`${pool.accountId}#${pool.region}`);
    if (holders.size >= (own ? Math.min(limit, own.places) : limit)) return false;
    // Stamped after every slot given before, as the DynamoDB store does.
    const key = `${pool.accountId}#${pool.region}`;
    const last = this.lastGrantAt.get(key);
    const stamp = last !== undefined && last > now ? last : now;
    this.lastGrantAt.set(key, stamp);
    holders.set(jobId, stamp);
    this.arrivals.set(`${key}#${jobId}`, arrivedAt);
    return true;
  }

  async holds(pool: SlotPool, jobId: string): Promise<boolean> {
    return this.holdersOf(pool).has(jobId);
  }

  async heldSince(pool: SlotPool, jobId: string): Promise<string | undefined> {
    return this.holdersOf(pool).get(jobId);
  }

  private readonly typicalHolds = new Map<string, number>();

  async release(pool: SlotPool, jobId: string, endedAt?: string): Promise<boolean> {
    const key = `${pool.accountId}#${pool.region}`;
    this.wakeTokens.delete(`${key}#${jobId}`);
    this.arrivals.delete(`${key}#${jobId}`);
    const since = this.holdersOf(pool).get(jobId);
    if (since !== undefined && endedAt !== undefined) {
      this.typicalHolds.set(
        key,
        nextHoldSeconds(this.typicalHolds.get(key), secondsBetween(since, endedAt)),
      );
    }
    return this.holdersOf(pool).delete(jobId);
  }

  async holdSeconds(pool: SlotPool): Promise<number | undefined> {
    return this.typicalHolds.get(`${pool.accountId}#${pool.region}`);
  }

  async enqueue(pool: SlotPool, jobId: string, now: string): Promise<QueuedCopy> {
    const queue = this.queueOf(pool);
    const waiting = queue.get(jobId) ?? { jobId, queuedAt: now, wakeToken: null };
    queue.set(jobId, waiting);
    return { ...waiting };
  }

  async queued(pool: SlotPool, jobId: string): Promise<QueuedCopy | undefined> {
    const waiting = this.queueOf(pool).get(jobId);
    return waiting ? { ...waiting } : undefined;
  }

  async setWakeToken(pool: SlotPool, jobId: string, token: string): Promise<boolean> {
    const waiting = this.queueOf(pool).get(jobId);
    if (!waiting) return false;
    waiting.wakeToken = token;
    return true;
  }

  async head(pool: SlotPool, count: number): Promise<QueuedCopy[]> {
    return this.ordered(pool)
      .slice(0, count)
      .map((waiting) => ({ ...waiting }));
  }

  /**
   * Copies whose next grant meets a token recorded since it was read (their wait began again at
   * that moment): the grant answers "stale" once, as DynamoCopySlots's transaction would.
   */
  readonly staleOnce = new Set<string>();

  async grant(
    pool: SlotPool,
    jobId: string,
    limit: number,
    now: string,
    seen?: QueuedCopy,
  ): Promise<GrantOutcome> {
    const waiting = this.queueOf(pool).get(jobId);
    // As the store does: an entry seen that has changed since (or gone) is stale, read again.
    if (seen && (!waiting || waiting.wakeToken !== seen.wakeToken)) {
      return { granted: false, because: "stale" };
    }
    if (!waiting) return { granted: false, because: "gone" };
    if (this.staleOnce.delete(jobId)) return { granted: false, because: "stale" };
    if (this.holdersOf(pool).has(jobId)) {
      this.queueOf(pool).delete(jobId);
      return { granted: false, because: "gone" };
    }
    if (!this.hold(pool, jobId, limit, now, waiting.queuedAt)) {
      return { granted: false, because: "full" };
    }
    this.queueOf(pool).delete(jobId);
    if (waiting.wakeToken) {
      this.wakeTokens.set(`${pool.accountId}#${pool.region}#${jobId}`, waiting.wakeToken);
    }
    return {
      granted: true,
      wakeToken: waiting.wakeToken,
      grantedAt: this.holdersOf(pool).get(jobId) ?? now,
    };
  }

  async leave(pool: SlotPool, jobId: string): Promise<void> {
    this.queueOf(pool).delete(jobId);
  }

  async position(pool: SlotPool, queued: QueuedCopy, upTo = Infinity): Promise<number> {
    const key = `${queued.queuedAt}#${queued.jobId}`;
    const before = this.ordered(pool).filter((w) => `${w.queuedAt}#${w.jobId}` < key).length;
    return Math.min(before, upTo);
  }

  async inUse(pool: SlotPool): Promise<number> {
    return this.holdersOf(pool).size;
  }

  async view(pool: SlotPool): Promise<SlotPoolView> {
    return {
      holders: [...this.holdersOf(pool)]
        .map(([jobId, since]) => {
          const wakeToken = this.wakeTokens.get(`${pool.accountId}#${pool.region}#${jobId}`);
          return { jobId, since, ...(wakeToken ? { wakeToken } : {}) };
        })
        .sort((a, b) => a.since.localeCompare(b.since)),
      queueLength: this.queueOf(pool).size,
      ...this.limitOf(pool),
    };
  }

  private limitOf(pool: SlotPool): { limit?: PoolLimit } {
    const limit = this.limits.get(`${pool.accountId}#${pool.region}`);
    return limit ? { limit: { ...limit } } : {};
  }

  async standing(pool: SlotPool): Promise<{ inUse: number; limit?: PoolLimit }> {
    return { inUse: this.holdersOf(pool).size, ...this.limitOf(pool) };
  }

  async setLimit(
    pool: SlotPool,
    limit: PoolLimit,
    previous: PoolLimit | undefined,
  ): Promise<boolean> {
    const key = `${pool.accountId}#${pool.region}`;
    const stored = this.limits.get(key);
    const unchanged = previous
      ? stored?.checkedAt === previous.checkedAt && stored.places === previous.places
      : stored === undefined;
    if (!unchanged) return false;
    this.limits.set(key, { ...limit });
    this.holdersOf(pool);
    return true;
  }

  async requeue(pool: SlotPool, jobId: string): Promise<QueuedCopy | undefined> {
    const key = `${pool.accountId}#${pool.region}`;
    const since = this.holdersOf(pool).get(jobId);
    if (since === undefined) return this.queued(pool, jobId);
    const arrivedAt = this.arrivals.get(`${key}#${jobId}`) ?? since;
    await this.release(pool, jobId);
    if (!this.queueOf(pool).has(jobId)) {
      this.queueOf(pool).set(jobId, { jobId, queuedAt: arrivedAt, wakeToken: null });
    }
    return this.queued(pool, jobId);
  }

  async pools(): Promise<SlotPool[]> {
    const keys = new Set([...this.holders.keys(), ...this.queues.keys()]);
    return [...keys].map((key) => {
      const [accountId = "", region = ""] = key.split("#");
      return { accountId, region };
    });
  }
}

/**
 * Runs nothing; remembers what it was asked to start, or fails as told. A started execution is
 * RUNNING until a test says otherwise with `executions`.
 */
export class RecordingWorkflow implements Workflow {
  readonly started: Array<{ jobId: string; input: Record<string, unknown> }> = [];
  /** Each execution's state by ARN, as DescribeExecution would give it. */
  readonly executions = new Map<string, ExecutionView>();
  /** Every start fails with this error while it is set. */
  failWith: unknown;

  async start(
    jobId: string,
    input: Record<string, unknown>,
    options: { signal?: AbortSignal; name?: string } = {},
  ): Promise<{ executionArn: string }> {
    if (this.failWith !== undefined) throw this.failWith;
    options.signal?.throwIfAborted();
    const executionArn = executionArnOf(options.name ?? jobId);
    this.started.push({ jobId, input });
    // Starting a running execution again returns it, as Step Functions does.
    if (!this.executions.has(executionArn))
      this.executions.set(executionArn, { status: "RUNNING" });
    return { executionArn };
  }

  async describe(executionArn: string): Promise<ExecutionView | undefined> {
    const execution = this.executions.get(executionArn);
    return execution ? { ...execution } : undefined;
  }

  /** The tokens woken, in order, with their outputs. */
  readonly woken: Array<{ token: string; output: Record<string, unknown> }> = [];
  /** Tokens whose task no longer waits: waking them answers false. */
  readonly goneTokens = new Set<string>();

  async wake(token: string, output: Record<string, unknown>): Promise<boolean> {
    if (this.goneTokens.has(token)) return false;
    this.woken.push({ token, output });
    return true;
  }

  /** The tokens failed, in order, with their errors. */
  readonly failed: Array<{ token: string; error: string; cause: string }> = [];

  async fail(token: string, error: string, cause: string): Promise<boolean> {
    if (this.goneTokens.has(token)) return false;
    this.failed.push({ token, error, cause });
    return true;
  }

  /** The executions stopped, in order, with the cause given. */
  readonly stopped: Array<{ executionArn: string; cause: string }> = [];

  async stop(executionArn: string, cause: string): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.stopped.push({ executionArn, cause });
    const execution = this.executions.get(executionArn);
    if (execution?.status === "RUNNING") this.executions.set(executionArn, { status: "ABORTED" });
  }

  /** Each execution's history by ARN, as a test sets it. */
  readonly histories = new Map<string, ExecutionEvent[]>();
  /** Every page of history read, in order, as GetExecutionHistory calls. */
  readonly historyReads: Array<{ executionArn: string; nextToken?: string; maxResults: number }> =
    [];

  /** Pages as Step Functions does: a token names where its page starts, in its own execution. */
  async historyPage(
    executionArn: string,
    page: { nextToken?: string; maxResults: number },
  ): Promise<ExecutionEventPage | undefined> {
    this.historyReads.push({ executionArn, ...page });
    const events = this.histories.get(executionArn);
    if (!events) return undefined;
    let from = 0;
    if (page.nextToken !== undefined) {
      const [arn, start] = Buffer.from(page.nextToken, "base64url").toString("utf8").split("#");
      if (arn !== executionArn || !/^\d+$/.test(start ?? "")) {
        throw new DomainError("InvalidRequest", "nextToken is not one this route gave.");
      }
      from = Number(start);
    }
    const to = from + page.maxResults;
    return {
      events: events.slice(from, to),
      ...(to < events.length
        ? { nextToken: Buffer.from(`${executionArn}#${to}`).toString("base64url") }
        : {}),
    };
  }

  async isReachable(): Promise<boolean> {
    return this.failWith === undefined;
  }
}

/**
 * CopyWaits in memory: the wait and the ends of each copy, met by region and snapshot id; each
 * account's end kept apart, and an end refused for a copy another account waits for.
 */
export class InMemoryCopyWaits implements CopyWaits {
  readonly records = new Map<
    string,
    { waiter?: CopyWaiter; ends: Map<string, CopyEnd>; expiresAt: Date }
  >();

  async wait(
    region: string,
    snapshotId: string,
    waiter: CopyWaiter,
    expiresAt: Date,
  ): Promise<CopyEnd | undefined> {
    const key = `${region}#${snapshotId}`;
    const ends = this.records.get(key)?.ends ?? new Map<string, CopyEnd>();
    this.records.set(key, { ends, waiter: { ...waiter }, expiresAt });
    const end = ends.get(waiter.accountId);
    return end ? { ...end } : undefined;
  }

  async end(
    region: string,
    snapshotId: string,
    end: CopyEnd,
    expiresAt: Date,
  ): Promise<EndRecorded> {
    const key = `${region}#${snapshotId}`;
    const before = this.records.get(key);
    if (before?.waiter && before.waiter.accountId !== end.account) return { kind: "foreign" };
    const ends = new Map(before?.ends);
    ends.set(end.account, { ...end });
    this.records.set(key, { ...before, ends, expiresAt: before?.expiresAt ?? expiresAt });
    return before?.waiter
      ? { kind: "waiting", waiter: { ...before.waiter } }
      : { kind: "unclaimed" };
  }
}

export const executionArnOf = (jobId: string): string =>
  `arn:aws:states:ap-shanghai:${ACCOUNT}:execution:snaprelay-test-replication:${jobId}`;

export class FixedClock implements Clock {
  private current: Date;

  constructor(start: Date = T0) {
    this.current = new Date(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

export const seedPolicy = (fields: Partial<ReplicationPolicy> = {}): ReplicationPolicy => ({
  supportedRegions: [...SEED_REGIONS],
  ...fields,
});

export const settings = (fields: Partial<StepSettings> = {}): StepSettings => ({
  ...seedPolicy(),
  pollMinSeconds: 15,
  pollMaxSeconds: 600,
  assumedCopyMiBPerSecond: 100,
  copyStartLeaseSeconds: 120,
  snapshotQuotaPerRegion: 1000,
  copyStallSeconds: 3600,
  copySlots: { default: 20, byRegion: {} },
  ...fields,
});

export interface Fakes {
  jobs: InMemoryJobStore;
  snapshots: InMemorySnapshots;
  slots: InMemoryCopySlots;
  copyWaits: InMemoryCopyWaits;
  workflow: RecordingWorkflow;
  clock: FixedClock;
  access: InMemoryAccessStore;
  metrics: RecordingMetrics;
  policies: InMemoryPolicyStore;
  deps: StepDeps;
}

/** Metrics kept as a list of what was counted, in order: `name region-or-code value…`. */
export class RecordingMetrics implements Metrics {
  readonly recorded: string[] = [];
  copyStarted(region: string, waitedSeconds: number) {
    this.recorded.push(`CopyStarted ${region} waited=${waitedSeconds}`);
  }
  copyCompleted(region: string, copy: { bytes: number; seconds: number }) {
    this.recorded.push(`CopyCompleted ${region} bytes=${copy.bytes} seconds=${copy.seconds}`);
  }
  copyFailed(region: string, code: string) {
    this.recorded.push(`CopyFailed ${region} ${code}`);
  }
  rejected(code: string) {
    this.recorded.push(`Rejected ${code}`);
  }
  queueLength(region: string, waiting: number, inUse: number) {
    this.recorded.push(`QueueLength ${region} waiting=${waiting} inUse=${inUse}`);
  }
  rpoBreached(region: string) {
    this.recorded.push(`RpoBreached ${region}`);
  }
  failedCopyEventsReplayed(counts: { replayed: number; dropped: number; left: number }) {
    this.recorded.push(
      `FailedCopyEventsReplayed replayed=${counts.replayed} dropped=${counts.dropped} left=${counts.left}`,
    );
  }
}

/** The ports a step needs, fresh; `random` is 0 so waits carry no jitter unless a test says so. */
export const stepFakes = (stepSettings: StepSettings = settings()): Fakes => {
  const jobs = new InMemoryJobStore();
  const snapshots = new InMemorySnapshots();
  const slots = new InMemoryCopySlots();
  const copyWaits = new InMemoryCopyWaits();
  const workflow = new RecordingWorkflow();
  const clock = new FixedClock();
  const access = new InMemoryAccessStore();
  const metrics = new RecordingMetrics();
  const policies = new InMemoryPolicyStore();
  return {
    jobs,
    snapshots,
    slots,
    copyWaits,
    workflow,
    clock,
    access,
    metrics,
    policies,
    deps: {
      jobs,
      snapshots,
      slots,
      copyWaits,
      workflow,
      clock,
      settings: stepSettings,
      allowlist: allowlistOf([ACCOUNT], access),
      metrics,
      policies,
      random: () => 0,
    },
  };
};

export const aCopy = (destinationRegion: string, fields: Partial<CopyRecord> = {}): CopyRecord => ({
  ...newCopy(destinationRegion),
  ...fields,
});

/** A job from ap-shanghai to ap-mumbai and ap-beijing, PENDING, as the API stores it. */
export const aJob = (fields: Partial<ReplicationJob> = {}): ReplicationJob => ({
  jobId: "job-1",
  accountId: ACCOUNT,
  status: "PENDING",
  snapshotId: "snap-oi5spwt2",
  sourceRegion: "ap-shanghai",
  name: "Copied snap-oi5spwt2 from ap-shanghai",
  tags: { team: "dr" },
  trigger: { type: "api" },
  createdAt: T0.toISOString(),
  updatedAt: T0.toISOString(),
  executionArn: null,
  copies: [aCopy("ap-mumbai"), aCopy("ap-beijing")],
  error: null,
  ...fields,
});

/** The job as its copies' steps find it: RUNNING, and `copy` for ap-mumbai. */
export const aRunningJob = (copy: Partial<CopyRecord> = {}): ReplicationJob =>
  aJob({
    status: "RUNNING",
    executionArn: executionArnOf("job-1"),
    copies: [aCopy("ap-mumbai", { status: "QUEUED", ...copy })],
  });

/** A RUNNING job `jobId` with its own execution and one QUEUED copy to ap-mumbai. */
export const aQueuedJob = (jobId: string, fields: Partial<ReplicationJob> = {}): ReplicationJob =>
  aJob({
    jobId,
    status: "RUNNING",
    executionArn: executionArnOf(jobId),
    copies: [aCopy("ap-mumbai", { status: "QUEUED" })],
    ...fields,
  });

/**
 * job-1's copy to ap-mumbai, COPYING as snap-copy0001 since T0, which the cloud already shows
 * completed: only its end is left to be told.
 */
export const seedCopyDoneInTheCloud = (fakes: Fakes): void => {
  fakes.jobs.seed(
    aRunningJob({
      status: "COPYING",
      destinationSnapshotId: "snap-copy0001",
      startedAt: T0.toISOString(),
    }),
  );
  fakes.snapshots.add("ap-mumbai", "snap-copy0001", { state: "completed", progress: 100 });
};

/**
 * EBS's copySnapshot event for snap-copy0001 in ap-mumbai, as EventBridge delivers it (the AWS
 * documentation's example); `detail` changes its detail's fields.
 */
export const ebsEvent = (detail: Record<string, unknown> = {}, account = ACCOUNT) => ({
  version: "0",
  id: "01234567-0123-0123-0123-012345678901",
  "detail-type": "EBS Snapshot Notification",
  source: "aws.ec2",
  account,
  time: "2026-12-03T10:00:00Z",
  region: "ap-mumbai",
  resources: ["arn:aws:ec2::ap-mumbai:snapshot/snap-copy0001"],
  detail: {
    event: "copySnapshot",
    result: "succeeded",
    cause: "",
    "request-id": "",
    snapshot_id: "arn:aws:ec2::ap-mumbai:snapshot/snap-copy0001",
    source: "arn:aws:ec2::ap-shanghai:snapshot/snap-oi5spwt2",
    startTime: "2026-12-03T09:00:00Z",
    endTime: "2026-12-03T10:00:00Z",
    incremental: "false",
    ...detail,
  },
});

/** Reads a job the test put in the store; a missing one fails the test. */
export const stored = async (jobs: JobStore, jobId = "job-1"): Promise<ReplicationJob> => {
  const job = await jobs.get(jobId);
  if (!job) throw new Error(`the store has no job ${jobId}`);
  return job;
};

/** The copy to `region` of a job; a missing one fails the test. */
export const copyTo = (job: ReplicationJob, region: string): CopyRecord => {
  const copy = job.copies.find((c) => c.destinationRegion === region);
  if (!copy) throw new Error(`job ${job.jobId} has no copy to ${region}`);
  return copy;
};

/** AccessStore in memory: requests by id, one open per account, each account's grant. */
export class InMemoryAccessStore implements AccessStore {
  private readonly requests = new Map<string, AccessRequest>();
  private readonly grants = new Map<string, AccountGrant>();

  async grant(accountId: string): Promise<AccountGrant | undefined> {
    const grant = this.grants.get(accountId);
    return grant ? structuredClone(grant) : undefined;
  }

  async submit(request: AccessRequest): Promise<void> {
    const open = [...this.requests.values()].find(
      (r) => r.accountId === request.accountId && r.status === "OPEN",
    );
    if (open) {
      throw new DomainError(
        "AccessRequestOpen",
        `Account ${request.accountId} has an access request open already (${open.requestId}); an admin decides it before another can be made.`,
      );
    }
    this.requests.set(request.requestId, structuredClone(request));
  }

  async get(requestId: string): Promise<AccessRequest | undefined> {
    const request = this.requests.get(requestId);
    return request ? structuredClone(request) : undefined;
  }

  async list(status: AccessRequestStatus, limit: number, nextToken?: string) {
    const all = [...this.requests.values()]
      .filter((r) => r.status === status)
      .sort((a, b) =>
        `${b.createdAt}#${b.requestId}`.localeCompare(`${a.createdAt}#${a.requestId}`),
      );
    const from = nextToken ? Number(nextToken) : 0;
    if (!Number.isInteger(from)) throw new DomainError("InvalidRequest", "bad nextToken");
    const page = all.slice(from, from + limit).map((r) => structuredClone(r));
    return from + limit < all.length
      ? { requests: page, nextToken: String(from + limit) }
      : { requests: page };
  }

  async decide(
    requestId: string,
    outcome: AccessOutcome,
    decision: AccessDecision,
  ): Promise<AccessRequest> {
    const current = this.requests.get(requestId);
    if (!current) throw new DomainError("AccessRequestNotFound", `No access request ${requestId}.`);
    if (current.status !== "OPEN") {
      throw new DomainError(
        "AccessRequestDecided",
        `Access request ${requestId} was decided already: ${current.status}${current.decision ? ` by ${current.decision.by} at ${current.decision.at}` : ""}.`,
      );
    }
    const live = this.grants.get(current.accountId);
    if (outcome.status === "APPROVED" && live && live.status !== "REVOKED") {
      throw new DomainError(
        "AlreadyAllowlisted",
        `Account ${current.accountId} has access already; access request ${requestId} stays OPEN.`,
      );
    }
    const decided = { ...current, status: outcome.status, decision };
    this.requests.set(requestId, decided);
    if (outcome.status === "APPROVED") {
      this.grants.set(current.accountId, {
        accountId: current.accountId,
        requestId,
        status: "PENDING_CONNECTION",
        externalId: outcome.externalId,
        grantedBy: decision.by,
        grantedAt: decision.at,
        connectedAt: null,
        connectAttemptAt: null,
        connectFailure: null,
        revocation: null,
      });
    }
    return structuredClone(decided);
  }

  async claimConnectAttempt(accountId: string, now: string, triedBefore: string) {
    const grant = this.grants.get(accountId);
    if (grant?.status !== "PENDING_CONNECTION") return false;
    if (grant.connectAttemptAt !== null && grant.connectAttemptAt > triedBefore) return false;
    grant.connectAttemptAt = now;
    return true;
  }

  async markConnected(accountId: string, at: string) {
    const grant = this.grants.get(accountId);
    if (grant?.status === "PENDING_CONNECTION") {
      Object.assign(grant, {
        status: "CONNECTED",
        connectedAt: at,
        connectAttemptAt: null,
        connectFailure: null,
      });
    }
    return grant ? structuredClone(grant) : undefined;
  }

  async recordConnectFailure(accountId: string, at: string, reason: string) {
    const grant = this.grants.get(accountId);
    if (grant) Object.assign(grant, { connectFailure: { at, reason }, connectAttemptAt: at });
  }

  async revoke(accountId: string, revocation: AccessDecision): Promise<AccountGrant> {
    const grant = this.grants.get(accountId);
    if (!grant) {
      throw new DomainError(
        "AccountNotGranted",
        `No approval granted account ${accountId} access: there is nothing to revoke.`,
      );
    }
    if (grant.status !== "REVOKED") {
      Object.assign(grant, { status: "REVOKED", revocation });
      const request = this.requests.get(grant.requestId);
      if (request) request.revocation = revocation;
    }
    return structuredClone(grant);
  }
}
