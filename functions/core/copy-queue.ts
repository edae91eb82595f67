// The copy queue. A copy takes one of its pool's slots (account and destination region, as EC2
// counts) before it calls CopySnapshot, and gives it back when it ends. A copy that finds no
// slot waits in its region's queue, oldest first; a copy that ends hands its slot straight to
// the head of the queue and wakes it, so nobody polls and nobody overtakes. A lost wake-up is
// made good by the waiter's own timeout (it asks again) and by the sweeper. A pool gives fewer
// slots than configured while copies that are not snaprelay's take places of the cloud's own
// limit (a copy refused for it goes back to the queue at its place), and more as they finish.
import { errorMessage } from "./errors.js";
import { isFinishedCopy, isFinishedJob, type ReplicationJob } from "./job.js";
import { loadCopy, loadJob } from "./load-job.js";
import type { PoolLimit, QueuedCopy, SlotPool } from "./ports.js";
import { type StepDeps, slotLimitOf } from "./step-deps.js";

/**
 * What AcquireSlot answers, and what wakes a waiting copy. The times (the queue's and the grant's,
 * by the functions' clock) let a run be checked afterwards for fairness.
 */
export type SlotOutcome =
  | { acquired: true; grantedAt: string }
  | {
      acquired: false;
      /** Copies waiting before this one, counted up to twice the pool's slots. */
      position: number;
      queuedAt: string;
      /**
       * How long the wait may go without a wake-up before the copy asks again: about as long as
       * the queue takes to reach it (queueWaitSeconds), never sooner than 5 minutes near the head
       * of the queue, where a lost wake-up would cost a slot, nor 4 hours further back.
       */
      waitSeconds: number;
    };

/**
 * A wait near the head of the queue asks again after 5 minutes at the soonest, further back after
 * 4 hours: a copy far back cannot be given a slot before those ahead of it, and a wake-up lost at
 * the head is sent again by the sweeper within a minute or two; a thousand waits asking every half
 * hour cost reads and state transitions for nothing, and competed with the hand-offs for the
 * machine (in the 1,000-copy bench a job took 32 state transitions asking every 30 minutes, 17
 * with these). Beyond these floors a wait lasts as long as the queue needs to reach it.
 */
export const WAIT_NEAR_HEAD_SECONDS = 300;
export const WAIT_FAR_BACK_SECONDS = 14_400;
/** A week: no wait is longer, however slow the queue (a task's timeout may be up to a year). */
export const WAIT_LONGEST_SECONDS = 7 * 86_400;

/**
 * How long a waiting copy waits before it asks again, if no wake-up comes first: about as long as
 * the queue takes to bring it to the head, (position + 1) × the pool's typical hold ÷ its slots,
 * so a copy behind day-long copies asks a few times in all, not every five minutes for days (each
 * ask adds to its execution's history, which Step Functions caps at 25,000 events). `position`
 * is counted up to `nearHead`: a copy that far back is at least there. While no copy of the pool
 * has ended (its pace unknown: the first copies may run for days), a copy that has waited
 * `waitedSeconds` waits at least as long again, up to the far-back floor: its asks come at 5, 10,
 * 20, 40 … minutes, then every 4 hours (19 asks in 52 hours, not 624). A wake-up still ends any
 * wait the moment a slot frees.
 */
export const queueWaitSeconds = (plan: {
  position: number;
  nearHead: number;
  slots: number;
  holdSeconds: number | undefined;
  /** How long the copy has waited in the queue so far. */
  waitedSeconds?: number;
}): number => {
  // Whole seconds: the wait is a Task's TimeoutSecondsPath, which Step Functions requires to be a
  // positive integer (anything else fails the execution with States.Runtime).
  const waited = Math.round(Math.min(WAIT_FAR_BACK_SECONDS, Math.max(0, plan.waitedSeconds ?? 0)));
  const floor = Math.max(
    plan.position < plan.nearHead ? WAIT_NEAR_HEAD_SECONDS : WAIT_FAR_BACK_SECONDS,
    plan.holdSeconds === undefined ? waited : 0,
  );
  if (plan.holdSeconds === undefined) return floor;
  const untilHead = ((plan.position + 1) * plan.holdSeconds) / Math.max(1, plan.slots);
  return Math.round(Math.min(WAIT_LONGEST_SECONDS, Math.max(floor, untilHead)));
};

/**
 * EBS's limit on copies in progress per account and destination region. Copies that are not
 * snaprelay's (another tool's, in the same account and region) take places of it that the pool's
 * slots do not count: the pool then keeps its own, lower limit (see PoolLimit).
 */
export const CLOUD_COPY_LIMIT = 20;

/**
 * A lowered limit is checked against the cloud at most this often (by the sweeper's walk and by
 * the copies that end), so places freed by others' copies are given back within about a minute.
 */
export const LIMIT_RECHECK_SECONDS = 30;

/**
 * A limit lowered by a refusal the cloud's listing did not explain (no more copies that are not
 * snaprelay's than it showed then) is kept this long before it is raised again: raised sooner,
 * it would be refused again at once.
 */
export const REFUSAL_KEPT_SECONDS = 600;

/**
 * The places the cloud leaves the pool while `foreign` copies that are not snaprelay's are pending:
 * the cloud's limit (EBS's, or the configured slots if more) less those, never more than the
 * configured slots; 0 only when they take the cloud's whole limit.
 */
export const placesLeft = (configured: number, foreign: number): number =>
  Math.max(0, Math.min(configured, Math.max(configured, CLOUD_COPY_LIMIT) - Math.max(0, foreign)));

/** The slots the pool may give now: its configured slots, or fewer while its own limit says so. */
export const effectiveLimit = (configured: number, limit: PoolLimit | undefined): number =>
  limit ? Math.max(0, Math.min(configured, limit.places)) : configured;

/** The pool keeps fewer places than its configured slots. */
export const isLowered = (configured: number, limit: PoolLimit | undefined): limit is PoolLimit =>
  limit !== undefined && limit.places < configured;

/**
 * The pool's limit once the cloud refused a copy for capacity. The cloud said it is full: the
 * places left are those its listing shows (its limit less the copies that are not snaprelay's),
 * and no more than the other copies holding a slot now (what it holds for snaprelay, at most),
 * but at least 1 unless the listing shows the cloud's whole limit taken by others. `foreign`
 * undefined: the cloud could not be asked, and the refusal alone lowers the limit.
 */
export const limitAfterRefusal = (plan: {
  current: PoolLimit | undefined;
  configured: number;
  foreign: number | undefined;
  othersHolding: number;
  now: string;
}): PoolLimit => {
  const counted =
    plan.foreign === undefined
      ? effectiveLimit(plan.configured, plan.current)
      : placesLeft(plan.configured, plan.foreign);
  const places = counted === 0 ? 0 : Math.max(1, Math.min(counted, plan.othersHolding));
  return {
    places,
    reason: "refused",
    ...(plan.foreign === undefined ? {} : { foreignPending: plan.foreign }),
    changedAt: places === plan.current?.places ? plan.current.changedAt : plan.now,
    checkedAt: plan.now,
  };
};

/**
 * The pool's limit once the cloud has been looked at again and shows `foreign` copies that are
 * not snaprelay's: down to the places left, or up as they free (never above the configured slots).
 * A limit a refusal set is raised only once the cloud shows fewer such copies than it did then,
 * or after REFUSAL_KEPT_SECONDS.
 */
export const limitAfterLook = (plan: {
  current: PoolLimit | undefined;
  configured: number;
  foreign: number;
  now: string;
}): PoolLimit | undefined => {
  const { current, configured, foreign, now } = plan;
  const target = placesLeft(configured, foreign);
  if (!current) {
    return target < configured
      ? {
          places: target,
          reason: "foreign",
          foreignPending: foreign,
          changedAt: now,
          checkedAt: now,
        }
      : undefined;
  }
  const held = Math.min(configured, current.places);
  const mayRise =
    current.reason === "foreign" ||
    foreign < (current.foreignPending ?? Number.POSITIVE_INFINITY) ||
    Date.parse(now) - Date.parse(current.changedAt) >= REFUSAL_KEPT_SECONDS * 1000;
  const places = target < held || (target > held && mayRise) ? target : held;
  if (places === current.places) {
    return { ...current, foreignPending: foreign, checkedAt: now };
  }
  return { places, reason: "foreign", foreignPending: foreign, changedAt: now, checkedAt: now };
};

/**
 * What an ops engineer reads about the pool's limit, e.g. "limit 15 of 20: 5 copies in this
 * account are not snaprelay's (seen 2026-12-07T10:00:00.000Z)".
 */
export const describeLimit = (configured: number, limit: PoolLimit | undefined): string => {
  const places = effectiveLimit(configured, limit);
  const head = `limit ${places} of ${configured}`;
  if (!limit) return head;
  const seen = `(seen ${limit.checkedAt})`;
  const others =
    limit.foreignPending === undefined
      ? undefined
      : `${limit.foreignPending} ${limit.foreignPending === 1 ? "copy" : "copies"} in this account ${limit.foreignPending === 1 ? "is" : "are"} not snaprelay's`;
  if (limit.reason === "refused") {
    return `${head}: the cloud refused a copy for its copy limit${others ? `; ${others}` : ""} ${seen}`;
  }
  return `${head}: ${others ?? "copies in this account are not snaprelay's"} ${seen}`;
};

export const poolOf = (job: Pick<ReplicationJob, "accountId">, region: string): SlotPool => ({
  accountId: job.accountId,
  region,
});

/**
 * Starts the copy of `jobId` that has just been given a slot, in the pool's region, on behalf of
 * its execution (which, woken after, finds it started). Never fails: a copy it could not start is
 * started, or refused with its reason, by its own StartCopy step.
 */
export type StartGranted = (jobId: string) => Promise<void>;

/**
 * Hands the pool's free slots to the oldest waiting copies, waking each, and says whom it gave
 * them to. A copy whose task no longer waits keeps its slot: its next AcquireSlot finds it (or
 * the sweeper reclaims it). It never fails its caller: whatever it could not do now (a busy
 * store, a wake-up that did not go through) a waiting copy's own timeout or the sweeper does later.
 */
export const passOn = async (
  pool: SlotPool,
  deps: StepDeps,
  /** The pool's standing as the caller has just read it (none: read here). */
  read?: { inUse: number; limit?: PoolLimit },
  /** Starts a granted copy before it is woken (see `releaseSlot`); it must never fail. */
  startGranted?: StartGranted,
): Promise<{ granted: string[]; problem?: string }> => {
  const configured = slotLimitOf(deps.settings.copySlots, pool.region);
  let limit = configured;
  const granted: string[] = [];
  const problems: string[] = [];
  const result = () =>
    problems.length > 0 ? { granted, problem: problems.join("; ") } : { granted };
  const grantTo = (jobId: string, seen?: QueuedCopy) =>
    deps.slots.grant(pool, jobId, limit, deps.clock.now().toISOString(), seen);
  try {
    // Most calls find the pool full: one small read says so, and nothing more is read.
    const standing = read ?? (await deps.slots.standing(pool));
    limit = effectiveLimit(configured, standing.limit);
    let free = limit - standing.inUse;
    if (free <= 0) return result();
    // Each round reads the queue's head once (as many as there are free slots, and two more: an
    // index that lags may still list a copy granted a moment ago, which is passed over) and
    // grants down it, each entry as the index showed it. No slot left or an empty queue ends it.
    for (let round = 0; round < 3 && free > 0; round++) {
      const asked = free + 2;
      const waiting = await deps.slots.head(pool, asked);
      for (const head of waiting) {
        if (free <= 0) break;
        let outcome = await grantTo(head.jobId, head);
        // Its wait began again as the grant was written (a new token): the copy still waits
        // first, so it is granted again with the token read afresh, never passed over.
        for (let retry = 0; !outcome.granted && outcome.because === "stale" && retry < 3; retry++) {
          outcome = await grantTo(head.jobId);
        }
        if (!outcome.granted) {
          if (outcome.because === "full") return result();
          // Still waiting after its retries: nobody behind it may overtake it; the next hand-off does.
          if (outcome.because === "stale") {
            problems.push(`the wait of ${head.jobId} kept changing; its slot waits for it`);
            return result();
          }
          continue;
        }
        free--;
        granted.push(head.jobId);
        if (startGranted) await startGranted(head.jobId);
        if (outcome.wakeToken) {
          try {
            await deps.workflow.wake(outcome.wakeToken, {
              acquired: true,
              grantedAt: outcome.grantedAt,
            });
          } catch (error) {
            // The slot is given and its token kept with it: the sweeper wakes the copy again.
            problems.push(`waking ${head.jobId}: ${errorMessage(error)}`);
          }
        }
      }
      if (waiting.length < asked) break;
    }
    return result();
  } catch (error) {
    problems.push(errorMessage(error));
    return result();
  }
};

/**
 * The AcquireSlot step: the copy holds a slot (now or from before), or waits in the queue and
 * learns its place. A newcomer takes a free slot only when nobody waits before it.
 */
export const acquireSlot = async (
  jobId: string,
  destinationRegion: string,
  deps: StepDeps,
): Promise<SlotOutcome> => {
  const { job, copy } = await loadCopy(deps.jobs, jobId, destinationRegion);
  // Times are read just before the write they stamp, so they order as the writes did.
  const now = () => deps.clock.now().toISOString();
  const acquired = (grantedAt = now()): SlotOutcome => ({ acquired: true, grantedAt });
  // Started (a resumed run) or over: there is nothing to wait for; the next steps know what to do.
  if (copy.destinationSnapshotId || isFinishedCopy(copy.status)) return acquired();
  const pool = poolOf(job, destinationRegion);
  const held = await deps.slots.heldSince(pool, jobId);
  if (held) return acquired(held);
  const configured = slotLimitOf(deps.settings.copySlots, destinationRegion);
  let queued = await deps.slots.queued(pool, jobId);
  if (!queued) {
    const [first] = await deps.slots.head(pool, 1);
    // The pool's own limit is kept by the store on every grant, whatever limit is passed.
    if (!first && (await deps.slots.take(pool, jobId, configured, now()))) {
      return acquired(await deps.slots.heldSince(pool, jobId));
    }
    queued = await deps.slots.enqueue(pool, jobId, now());
  }
  // In a pool kept below its slots, places freed by copies that are not snaprelay's are seen by
  // the copies that wait for them too (a pool whose places are all taken by others has no copy
  // of its own to end).
  await lookAgain(pool, deps);
  // A slot may have freed with nobody to wake for it: hand free slots out (to us, if we are first).
  await passOn(pool, deps);
  const granted = await deps.slots.heldSince(pool, jobId);
  if (granted) return acquired(granted);
  // The queue moves at the pace of the places the cloud leaves, not of the configured slots.
  const slots = Math.max(1, effectiveLimit(configured, (await deps.slots.standing(pool)).limit));
  const nearHead = slots * 2;
  const [position, holdSeconds] = await Promise.all([
    deps.slots.position(pool, queued, nearHead),
    deps.slots.holdSeconds(pool),
  ]);
  return {
    acquired: false,
    position,
    queuedAt: queued.queuedAt,
    waitSeconds: queueWaitSeconds({
      position,
      nearHead,
      slots,
      holdSeconds,
      waitedSeconds: (Date.parse(now()) - Date.parse(queued.queuedAt)) / 1000,
    }),
  };
};

/**
 * The WaitForSlot task's Lambda: records the token that wakes this copy. A copy granted a slot
 * before its token arrived is woken at once; free slots are handed out in case a wake-up was lost.
 */
export const awaitSlot = async (
  jobId: string,
  destinationRegion: string,
  token: string,
  deps: StepDeps,
): Promise<{ waiting: boolean }> => {
  const job = await loadJob(deps.jobs, jobId);
  const pool = poolOf(job, destinationRegion);
  if (!(await deps.slots.setWakeToken(pool, jobId, token))) {
    // Not waiting: granted already (wake now), or not in the queue at all (the wait times out
    // and AcquireSlot decides again).
    const grantedAt = await deps.slots.heldSince(pool, jobId);
    if (grantedAt) await deps.workflow.wake(token, { acquired: true, grantedAt });
    return { waiting: false };
  }
  await passOn(pool, deps);
  return { waiting: true };
};

/**
 * A copy has ended (or will never start): its place in the queue and its slot go to the next.
 * `copyEnded`: the copy ran in the cloud to its end, so how long it held the slot tells how fast
 * the pool's queue moves (the waits of the copies behind it are spaced by it).
 * `startGranted`: the copy given the slot is started here, before its execution is woken, so the
 * slot stands idle for one CopySnapshot call, not for a wake-up, a state transition and a step.
 */
export const releaseSlot = async (
  job: Pick<ReplicationJob, "accountId" | "jobId">,
  destinationRegion: string,
  deps: StepDeps,
  options: { copyEnded?: boolean; startGranted?: StartGranted } = {},
): Promise<void> => {
  const pool = poolOf(job, destinationRegion);
  // A copy that ends holds a slot or waits, not both (a place kept beside a slot is a leftover):
  // both go back at once, so that the next copy is handed the slot one read after.
  await Promise.all([
    deps.slots.leave(pool, job.jobId),
    deps.slots.release(
      pool,
      job.jobId,
      options.copyEnded ? deps.clock.now().toISOString() : undefined,
    ),
  ]);
  const standing = await deps.slots.standing(pool);
  // A pool kept below its slots looks whether the copies that are not snaprelay's have freed up.
  const raised = options.copyEnded ? await lookAgain(pool, deps, standing) : undefined;
  // Always, even when nothing was released now: a retried step's first attempt may have freed
  // the slot and failed before handing it on.
  await passOn(
    pool,
    deps,
    raised ? { ...standing, limit: raised } : standing,
    options.startGranted,
  );
};

/**
 * For a pool kept below its configured slots, and not looked at for LIMIT_RECHECK_SECONDS:
 * counts the copies in its account and region that are not snaprelay's and moves the pool's limit
 * to the places they leave (up as they finish). Never fails its caller: a look that did not go
 * through is made by the next copy's end or the sweeper's next walk. Answers the limit it wrote.
 */
export const lookAgain = async (
  pool: SlotPool,
  deps: StepDeps,
  /** The pool's limit, when the caller has just read the pool (none: read here). */
  read?: { limit?: PoolLimit },
): Promise<PoolLimit | undefined> => {
  try {
    const configured = slotLimitOf(deps.settings.copySlots, pool.region);
    const { limit } = read ?? (await deps.slots.standing(pool));
    if (!isLowered(configured, limit)) return undefined;
    if (!isOlderThan(limit.checkedAt, LIMIT_RECHECK_SECONDS, deps)) return undefined;
    const foreign = await deps.snapshots.countForeignPending(pool.accountId, pool.region);
    const next = limitAfterLook({
      current: limit,
      configured,
      foreign,
      now: deps.clock.now().toISOString(),
    });
    if (!next || !(await deps.slots.setLimit(pool, next, limit))) return undefined;
    return next;
  } catch {
    return undefined;
  }
};

/**
 * The cloud refused the copy for its own copy capacity: it has fewer places than the pool gives.
 * The pool's limit comes down to the places left, and the copy gives its slot back and waits
 * again at the place it first joined the queue (so at the head: it was granted already), to be
 * given a slot by the queue's rule when one frees under the new limit. Safe to run again: the
 * limit is set from what the cloud and the pool show now, and a copy no longer holding keeps
 * its place in the queue.
 */
export const refusedForCapacity = async (
  job: Pick<ReplicationJob, "accountId" | "jobId">,
  destinationRegion: string,
  deps: StepDeps,
): Promise<void> => {
  const pool = poolOf(job, destinationRegion);
  const configured = slotLimitOf(deps.settings.copySlots, destinationRegion);
  const [standing, foreign, holds] = await Promise.all([
    deps.slots.standing(pool),
    deps.snapshots.countForeignPending(job.accountId, destinationRegion).catch(() => undefined),
    deps.slots.heldSince(pool, job.jobId),
  ]);
  const next = limitAfterRefusal({
    current: standing.limit,
    configured,
    foreign,
    othersHolding: standing.inUse - (holds ? 1 : 0),
    now: deps.clock.now().toISOString(),
  });
  // Refused only when another writer set the limit meanwhile, from a look as fresh as this one.
  await deps.slots.setLimit(pool, next, standing.limit);
  await deps.slots.requeue(pool, job.jobId);
  await passOn(pool, deps);
};

/** Where a waiting copy stands in its region's queue (0: next); undefined if it does not wait. */
export const queuePosition = async (
  job: ReplicationJob,
  destinationRegion: string,
  deps: Pick<StepDeps, "slots">,
): Promise<number | undefined> => {
  const pool = poolOf(job, destinationRegion);
  const queued = await deps.slots.queued(pool, job.jobId);
  return queued ? deps.slots.position(pool, queued) : undefined;
};

export interface ReclaimReport {
  released: { pool: SlotPool; jobId: string }[];
  /** Holders whose lost wake-up was sent again. */
  rewoken: { pool: SlotPool; jobId: string }[];
  dropped: { pool: SlotPool; jobId: string }[];
  granted: { pool: SlotPool; jobId: string }[];
  problems: { pool: SlotPool; message: string }[];
  /** Pools looked at by this walk. */
  looked: number;
  /** Where the walk stopped for its deadline (the next walk goes on after it); none: it went round. */
  cursor?: string;
}

/** Where to walk from and until when: the walk goes on after `after`, and stops at `deadline`. */
export interface PoolWalk {
  after?: string;
  /** Epoch ms after which no further pool is looked at. */
  deadline?: number;
  /** How much of each queue is read. */
  queueLooks?: number;
}

const poolName = (pool: SlotPool) => `${pool.accountId}#${pool.region}`;

/** A slot given this long ago whose copy has not started lost its wake-up: send it again. */
export const REWAKE_AFTER_SECONDS = 60;

/** The copy has called CopySnapshot (or ended). */
const hasStarted = (job: ReplicationJob, region: string): boolean => {
  const copy = job.copies.find((c) => c.destinationRegion === region);
  return copy?.status !== "QUEUED" || copy.destinationSnapshotId !== null;
};

const isOlderThan = (stamp: string, seconds: number, deps: Pick<StepDeps, "clock">): boolean =>
  deps.clock.now().getTime() - Date.parse(stamp) >= seconds * 1000;

/** A holder or a waiter whose copy can never use the slot again: its job or copy has ended. */
const isOver = (job: ReplicationJob | undefined, region: string): boolean => {
  if (!job || isFinishedJob(job.status)) return true;
  const copy = job.copies.find((c) => c.destinationRegion === region);
  return !copy || isFinishedCopy(copy.status);
};

/**
 * The sweeper's part, pool by pool: gives back the slots of copies that ended without giving them
 * back (an execution stopped or failed outside its Catch), drops their queue places, hands free
 * slots to waiting copies whose wake-up was lost, and reports each pool's queue for its metrics.
 * The walk goes on from where the last one stopped (`walk.after`) and stops at its deadline, so
 * with more pools than one sweep has time for, every pool is still looked at in turn.
 */
export const reclaimSlots = async (deps: StepDeps, walk: PoolWalk = {}): Promise<ReclaimReport> => {
  const report: ReclaimReport = {
    released: [],
    rewoken: [],
    dropped: [],
    granted: [],
    problems: [],
    looked: 0,
  };
  const pools = (await deps.slots.pools()).sort((a, b) => poolName(a).localeCompare(poolName(b)));
  const start = walk.after ? pools.findIndex((pool) => poolName(pool) > (walk.after ?? "")) : 0;
  const inTurn = start <= 0 ? pools : [...pools.slice(start), ...pools.slice(0, start)];
  for (const pool of inTurn) {
    if (walk.deadline !== undefined && Date.now() > walk.deadline) {
      report.cursor = report.looked > 0 ? report.cursor : walk.after;
      return report;
    }
    try {
      await reclaimPool(pool, deps, walk.queueLooks ?? 50, report);
    } catch (error) {
      report.problems.push({ pool, message: errorMessage(error) });
    }
    report.looked += 1;
    report.cursor = poolName(pool);
  }
  // Gone all the way round: the next walk starts from the beginning.
  report.cursor = undefined;
  return report;
};

const reclaimPool = async (
  pool: SlotPool,
  deps: StepDeps,
  queueLooks: number,
  report: ReclaimReport,
): Promise<void> => {
  const { holders, queueLength, limit } = await deps.slots.view(pool);
  deps.metrics.queueLength(pool.region, queueLength, holders.length);
  // Places that copies which are not snaprelay's have freed are given back before the hand-off.
  await lookAgain(pool, deps, { ...(limit ? { limit } : {}) });
  for (const { jobId, since, wakeToken } of holders) {
    const job = await deps.jobs.get(jobId);
    if (!isOver(job, pool.region)) {
      // Given its slot from the queue a while ago and still not started: its wake-up was lost.
      if (
        wakeToken &&
        job &&
        !hasStarted(job, pool.region) &&
        isOlderThan(since, REWAKE_AFTER_SECONDS, deps)
      ) {
        if (
          await deps.workflow
            .wake(wakeToken, { acquired: true, grantedAt: since })
            .catch(() => false)
        ) {
          report.rewoken.push({ pool, jobId });
        }
      }
      continue;
    }
    if (await deps.slots.release(pool, jobId)) report.released.push({ pool, jobId });
  }
  if (queueLength > 0) {
    const waiting: QueuedCopy[] = await deps.slots.head(pool, queueLooks);
    for (const { jobId } of waiting) {
      if (!isOver(await deps.jobs.get(jobId), pool.region)) continue;
      await deps.slots.leave(pool, jobId);
      report.dropped.push({ pool, jobId });
    }
  }
  const handed = await passOn(pool, deps);
  for (const jobId of handed.granted) report.granted.push({ pool, jobId });
  if (handed.problem) report.problems.push({ pool, message: handed.problem });
};
