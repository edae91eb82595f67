// The benchmark's numbers for one scenario, from what the run collected: the copies' timelines and
// the executions (from their histories), the jobs as they ended, samples of the regions' slots, and
// what the local cloud counted (its refusals, its most pending copies, the copies deleted). Pure.
// Times come in real ms and go out in the compressed clock's units; every median and percentile
// goes out with the count of samples it was taken over.
import type { CopyTimeline } from "./timelines.js";

export interface RegionSample {
  /** Real epoch ms. */
  at: number;
  /** The destination region sampled (the scenario's only one when absent). */
  region?: string;
  /** Copies pending in the destination region, as the cloud counts them (this account's). */
  pendingCopies: number;
  /** Copies waiting for a slot, as snaprelay's queue counts them. */
  queueLength: number;
  /**
   * The places the cloud left snaprelay at the sample, where copies that are not snaprelay's took
   * some (none given: every slot).
   */
  places?: number;
}

export interface EndedCopy {
  region: string;
  /** Clock ms the cloud spent transferring the copy (start to completion). */
  transferMs: number | undefined;
  /** Real epoch ms at which the cloud finished the copy. */
  cloudCompletedAt: number | undefined;
}

export interface EndedJob {
  jobId: string;
  status: string;
  /** Every error message of the job and its copies, to look for the cloud's limit. */
  errors: string[];
  /** Clock ms from creation to its last change. */
  durationMs: number;
  copies: EndedCopy[];
}

/** One execution of a job (its own, or one that adopted it), as its history shows it. */
export interface ExecutionCount {
  jobId: string;
  name: string;
  /** Events in its history. */
  events: number;
  /** State transitions as Step Functions bills them (see billedTransitions). */
  transitions: number;
}

/** What the local cloud counted over the run, in every account. */
export interface CloudCounts {
  /** CopySnapshot calls refused, by destination region, then by error code. */
  refusals: Record<string, Record<string, number>>;
  /** The most copies pending at once, by `<account> <region>`: every copy, snaprelay's or not. */
  mostPending: Record<string, number>;
  /** Copies deleted while pending, once completed, or once failed. */
  deletedCopies: { pending: number; completed: number; error: number };
}

export interface ScenarioInput {
  name: string;
  clockSpeed: number;
  slots: number;
  jobs: EndedJob[];
  /** One per copy (a job to n regions has n). */
  timelines: CopyTimeline[];
  executions: ExecutionCount[];
  samples: RegionSample[];
  /** The cloud's high-water mark of pending copies in the destinations, the jobs' account's. */
  maxPending: number;
  cloud: CloudCounts;
  /** Copies the jobs recorded that the cloud no longer has completed, after the run (null: not looked). */
  recordedCopiesLost: number | null;
  /** Extra figures a scenario adds (e.g. another account's wait). */
  extra?: Record<string, unknown>;
}

/** A distribution, and how many values it was taken over. */
export interface Spread {
  median: number;
  p99: number;
  max: number;
  count: number;
}

export interface ScenarioResult {
  name: string;
  clockSpeed: number;
  jobs: number;
  completed: number;
  failed: number;
  maxPending: number;
  /** Every CopySnapshot the cloud refused, whoever asked and whether or not a retry got past it. */
  cloudRefusals: { total: number; byCode: Record<string, number> };
  /** The same, by destination region and code. */
  cloudRefusalsByRegion: Record<string, Record<string, number>>;
  /** The cloud's most pending copies of any account in any region: snaprelay's and others'. */
  cloudMaxPending: number;
  /** The same, by `<account> <region>`. */
  cloudMaxPendingByPool: Record<string, number>;
  resourceLimitErrorsInJobs: number;
  slotUtilization: number | null;
  queueOrderViolations: number;
  slotHandoffSeconds: Spread | null;
  pollsPerCopy: Spread | null;
  transitionsPerJob: (Spread & { total: number }) | null;
  historyEventsPerExecution: Spread | null;
  /** Executions that took over a job whose own execution ended first (`<jobId>-adopted-N`). */
  adoptedExecutions: number;
  detectLatencySeconds: Spread | null;
  overheadMs: Spread | null;
  /** Recorded copies lost and copies the cloud saw deleted: recovery must delete none. */
  copiesDeleted: { recordedLost: number | null; pending: number; completed: number };
  [extra: string]: unknown;
}

const CLOUD_LIMIT = /ResourceLimitExceeded|CopyCapacityExceeded|copies in progress/;
const ADOPTED = /-adopted-\d+$/;

/** The value at quantile `q` (0..1) of `values`, nearest rank; undefined when there are none. */
export const quantile = (values: readonly number[], q: number): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
};

/** Median, 99th percentile and maximum of `values` with their count; null when there are none. */
export const spreadOf = (values: readonly number[]): Spread | null => {
  const median = quantile(values, 0.5);
  const p99 = quantile(values, 0.99);
  const max = quantile(values, 1);
  return median === undefined || p99 === undefined || max === undefined
    ? null
    : { median, p99, max, count: values.length };
};

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Copies grouped by the queue they wait in: one account's, in one region. */
const byPool = <T extends { region?: string | undefined; account?: string | undefined }>(
  items: readonly T[],
) => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = `${item.account ?? ""} ${item.region ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.values()];
};

/**
 * Copies given a slot while an older copy of the same queue (account and region) still waited
 * for one: a copy X is counted when some Y of its queue joined it before X asked for a slot, yet
 * was given its slot after X. (Given, not started: a woken copy's first step may lag its wake-up by a few ms.)
 */
export const queueOrderViolations = (timelines: readonly CopyTimeline[]): number => {
  let violations = 0;
  for (const region of byPool(timelines)) {
    // A copy's first grant is its turn in the queue: one the cloud refused went back to the head
    // and was granted again, after copies its first grant came before.
    const firstGrant = (t: CopyTimeline) => t.refusedGrants?.[0] ?? t.grantedAt;
    const waited = region.filter(
      (t): t is CopyTimeline & { queuedAt: number } =>
        t.queuedAt !== undefined && firstGrant(t) !== undefined,
    );
    for (const copy of region) {
      // A copy that never waited arrived when it took its slot.
      const granted = firstGrant(copy);
      const arrived = copy.queuedAt ?? granted;
      if (arrived === undefined || granted === undefined) continue;
      if (
        waited.some(
          (older) => older.queuedAt < arrived && (firstGrant(older) ?? Number.NaN) > granted,
        )
      ) {
        violations++;
      }
    }
  }
  return violations;
};

/**
 * While the queue was not empty, copies in flight over the places there were (the slots, or
 * fewer where copies that are not snaprelay's took some): 1 means no place stood idle while a
 * copy waited for one. Over every sample of every region.
 */
export const slotUtilization = (samples: readonly RegionSample[], slots: number): number | null => {
  const busy = samples.filter((sample) => sample.queueLength > 0);
  if (busy.length === 0) return null;
  const placesOf = (sample: RegionSample) => Math.max(0, Math.min(slots, sample.places ?? slots));
  const places = busy.reduce((total, sample) => total + placesOf(sample), 0);
  if (places === 0) return null;
  const inFlight = busy.reduce(
    (total, sample) => total + Math.min(sample.pendingCopies, placesOf(sample)),
    0,
  );
  return round(inFlight / places, 3);
};

/**
 * Turns the functions' clock (the queue's stamps) into real time. The clock runs `speed` times
 * faster from an origin the stack chose; each copy's first AcquireSlot stamped the queue (or its
 * grant) before its answer was recorded, so every copy bounds the origin from above, and the
 * tightest bound is within one step's latency of it.
 */
export const clockToReal = (
  timelines: readonly CopyTimeline[],
  speed: number,
): ((clockMs: number) => number) => {
  if (speed <= 1) return (clockMs) => clockMs;
  let origin = Number.POSITIVE_INFINITY;
  for (const { askedAt, queuedAt, grantedAt } of timelines) {
    const stamp = queuedAt ?? grantedAt;
    if (askedAt === undefined || stamp === undefined) continue;
    origin = Math.min(origin, (speed * askedAt - stamp) / (speed - 1));
  }
  if (!Number.isFinite(origin)) return (clockMs) => clockMs;
  return (clockMs) => origin + (clockMs - origin) / speed;
};

/**
 * For each copy that waited: from the release that freed its slot to its CopySnapshot (the cloud's
 * start of the copy where known, else its StartCopy step's), real ms.
 * A region's slots are alike, so the slot a grant takes is the one freed longest ago and not yet
 * taken: releases and grants (grants placed in real time by `toReal`) are walked in time order,
 * each release freeing a slot and each grant taking the oldest freed one (the first grants take
 * the slots that were never held). Every grant comes after the release it is paired with, and
 * no release is counted twice, so a hand-off may read long (a slot left idle), never short.
 */
export const slotHandoffMs = (
  timelines: readonly CopyTimeline[],
  toReal: (clockMs: number) => number = (clockMs) => clockMs,
): number[] => {
  const handoffs: number[] = [];
  for (const region of byPool(timelines)) {
    type Step = { at: number; release: true } | { at: number; release: false; copy?: CopyTimeline };
    const steps: Step[] = [];
    for (const copy of region) {
      if (copy.releasedAt !== undefined) steps.push({ at: copy.releasedAt, release: true });
      const grantedAt = copy.grantedAt !== undefined ? toReal(copy.grantedAt) : copy.slotAt;
      if (grantedAt !== undefined) steps.push({ at: grantedAt, release: false, copy });
      // A slot the cloud had no place for took a freed slot (not measured), and giving it back
      // freed none: the pool's limit came down by that place.
      for (const refused of copy.refusedGrants ?? []) {
        steps.push({ at: toReal(refused), release: false });
      }
    }
    // At the same moment a release comes first: the grant may be its hand-off.
    steps.sort((a, b) => a.at - b.at || Number(b.release) - Number(a.release));
    const freed: number[] = [];
    for (const step of steps) {
      if (step.release) {
        freed.push(step.at);
        continue;
      }
      const release = freed.shift();
      if (!step.copy) continue;
      const { queuedAt } = step.copy;
      const startedAt = step.copy.cloudStartedAt ?? step.copy.startedAt;
      if (release !== undefined && queuedAt !== undefined && startedAt !== undefined) {
        handoffs.push(startedAt - release);
      }
    }
  }
  return handoffs;
};

/** Refusals over every region, in all and by error code. */
export const refusalsOf = (
  refusals: CloudCounts["refusals"],
): { total: number; byCode: Record<string, number> } => {
  const byCode: Record<string, number> = {};
  let total = 0;
  for (const codes of Object.values(refusals)) {
    for (const [code, count] of Object.entries(codes)) {
      byCode[code] = (byCode[code] ?? 0) + count;
      total += count;
    }
  }
  return { total, byCode };
};

/** A job's executions summed: the transitions the job was billed for. */
export const transitionsByJob = (executions: readonly ExecutionCount[]): Map<string, number> => {
  const byJob = new Map<string, number>();
  for (const execution of executions) {
    byJob.set(execution.jobId, (byJob.get(execution.jobId) ?? 0) + execution.transitions);
  }
  return byJob;
};

const copyKey = (jobId: string, region: string | undefined) => `${jobId} ${region ?? ""}`;

export const scenarioResult = (input: ScenarioInput): ScenarioResult => {
  const { clockSpeed } = input;
  const clockSeconds = (realMs: number) => round((realMs * clockSpeed) / 1000);
  const single = input.timelines.every((timeline) => timeline.region === undefined);
  const endedInCloud = new Map<string, number | undefined>();
  for (const job of input.jobs) {
    for (const copy of job.copies) {
      endedInCloud.set(copyKey(job.jobId, single ? undefined : copy.region), copy.cloudCompletedAt);
    }
  }
  // Each copy's release is read from its history (see CopyTimeline.releasedAt): the end of the
  // wait its event settled, or the step that gave the slot back. Not the cloud's end of the copy,
  // which comes before the event reaches snaprelay: the hand-off starts when snaprelay frees the slot.
  const handoffs = slotHandoffMs(input.timelines, clockToReal(input.timelines, clockSpeed)).map(
    clockSeconds,
  );
  const detect = input.timelines.flatMap((timeline) => {
    const recorded = timeline.completionRecordedAt;
    const cloudEnd = endedInCloud.get(copyKey(timeline.jobId, timeline.region));
    return recorded !== undefined && cloudEnd !== undefined
      ? [clockSeconds(Math.max(0, recorded - cloudEnd))]
      : [];
  });
  const overheads = input.jobs.flatMap((job) => {
    const transfers = job.copies.map((copy) => copy.transferMs);
    if (job.status !== "COMPLETED" || transfers.length === 0) return [];
    if (transfers.some((ms) => ms === undefined)) return [];
    return [Math.round(Math.max(0, job.durationMs - Math.max(...(transfers as number[]))))];
  });
  const transitions = [...transitionsByJob(input.executions).values()];
  const transitionSpread = spreadOf(transitions);
  return {
    name: input.name,
    clockSpeed,
    jobs: input.jobs.length,
    completed: input.jobs.filter((job) => job.status === "COMPLETED").length,
    failed: input.jobs.filter((job) => job.status !== "COMPLETED").length,
    maxPending: input.maxPending,
    cloudRefusals: refusalsOf(input.cloud.refusals),
    cloudRefusalsByRegion: input.cloud.refusals,
    cloudMaxPending: Math.max(0, ...Object.values(input.cloud.mostPending)),
    cloudMaxPendingByPool: input.cloud.mostPending,
    resourceLimitErrorsInJobs: input.jobs.filter((job) =>
      job.errors.some((message) => CLOUD_LIMIT.test(message)),
    ).length,
    slotUtilization: slotUtilization(input.samples, input.slots),
    queueOrderViolations: queueOrderViolations(input.timelines),
    slotHandoffSeconds: spreadOf(handoffs),
    pollsPerCopy: spreadOf(input.timelines.map((t) => t.polls)),
    transitionsPerJob: transitionSpread
      ? { ...transitionSpread, total: transitions.reduce((sum, count) => sum + count, 0) }
      : null,
    historyEventsPerExecution: spreadOf(input.executions.map((execution) => execution.events)),
    adoptedExecutions: input.executions.filter((execution) => ADOPTED.test(execution.name)).length,
    detectLatencySeconds: spreadOf(detect),
    overheadMs: spreadOf(overheads),
    copiesDeleted: {
      recordedLost: input.recordedCopiesLost,
      pending: input.cloud.deletedCopies.pending,
      completed: input.cloud.deletedCopies.completed,
    },
    ...input.extra,
  };
};
