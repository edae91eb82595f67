// The benchmark's numbers for one scenario, from what the run collected: the copies' timelines
// (from their executions' histories), the jobs as they ended, samples of the region's slots and
// the cloud's copies. Pure. Times come in real ms and go out in the compressed clock's units.
import type { CopyTimeline } from "./timelines.js";

export interface RegionSample {
  /** Real epoch ms. */
  at: number;
  /** Copies pending in the destination region, as the cloud counts them (this account's). */
  pendingCopies: number;
  /** Copies waiting for a slot, as snaprelay's queue counts them. */
  queueLength: number;
}

export interface EndedJob {
  jobId: string;
  status: string;
  /** Every error message of the job and its copies, to look for the cloud's limit. */
  errors: string[];
  /** Clock ms from creation to its last change. */
  durationMs: number;
  /** Clock ms the cloud spent transferring its copy (start to completion). */
  transferMs: number | undefined;
  /** Real epoch ms at which the cloud finished its copy. */
  cloudCompletedAt: number | undefined;
}

export interface ScenarioInput {
  name: string;
  clockSpeed: number;
  slots: number;
  jobs: EndedJob[];
  timelines: CopyTimeline[];
  samples: RegionSample[];
  /** The cloud's high-water mark of pending copies in the region, this account's. */
  maxPending: number;
  /** Extra figures a scenario adds (e.g. another account's wait). */
  extra?: Record<string, unknown>;
}

export interface Spread {
  median: number;
  max: number;
}

export interface ScenarioResult {
  name: string;
  clockSpeed: number;
  jobs: number;
  completed: number;
  failed: number;
  maxPending: number;
  resourceLimitErrorsInJobs: number;
  slotUtilization: number | null;
  queueOrderViolations: number;
  slotHandoffSeconds: Spread | null;
  pollsPerCopy: Spread | null;
  transitionsPerJob: { median: number } | null;
  detectLatencySeconds: { max: number } | null;
  overheadMs: { p50: number; p99: number } | null;
  [extra: string]: unknown;
}

const CLOUD_LIMIT = /ResourceLimitExceeded|CopyCapacityExceeded|copies in progress/;

/** The value at quantile `q` (0..1) of `values`, nearest rank; undefined when there are none. */
export const quantile = (values: readonly number[], q: number): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
};

const spread = (values: readonly number[]): Spread | null => {
  const median = quantile(values, 0.5);
  const max = quantile(values, 1);
  return median === undefined || max === undefined ? null : { median, max };
};

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Copies given a slot while an older copy of the same region still waited for one: a copy X is
 * counted when some Y joined the queue before X asked for a slot, yet was given its slot after X.
 * (Given, not started: a woken copy's first step may lag its wake-up by a few milliseconds.)
 */
export const queueOrderViolations = (timelines: readonly CopyTimeline[]): number => {
  const waited = timelines.filter(
    (t): t is CopyTimeline & { queuedAt: number; grantedAt: number } =>
      t.queuedAt !== undefined && t.grantedAt !== undefined,
  );
  let violations = 0;
  for (const copy of timelines) {
    // A copy that never waited arrived when it took its slot.
    const arrived = copy.queuedAt ?? copy.grantedAt;
    if (arrived === undefined || copy.grantedAt === undefined) continue;
    const granted = copy.grantedAt;
    if (waited.some((older) => older.queuedAt < arrived && older.grantedAt > granted)) {
      violations++;
    }
  }
  return violations;
};

/**
 * While the queue was not empty, copies in flight over the slots there were: 1 means no slot
 * stood idle while a copy waited for one.
 */
export const slotUtilization = (samples: readonly RegionSample[], slots: number): number | null => {
  const busy = samples.filter((sample) => sample.queueLength > 0);
  if (busy.length === 0) return null;
  const inFlight = busy.reduce((total, sample) => total + Math.min(sample.pendingCopies, slots), 0);
  return round(inFlight / (slots * busy.length), 3);
};

/**
 * For each copy that waited: from the slot's release (the last one before the copy learnt it had
 * a slot) to the copy's CopySnapshot. Real time throughout.
 */
export const slotHandoffMs = (timelines: readonly CopyTimeline[]): number[] => {
  const releases = timelines
    .map((t) => t.releasedAt)
    .filter((at): at is number => at !== undefined)
    .sort((a, b) => a - b);
  const handoffs: number[] = [];
  for (const copy of timelines) {
    const { queuedAt, askedAt, slotAt, startedAt } = copy;
    if (queuedAt === undefined || askedAt === undefined) continue;
    if (slotAt === undefined || startedAt === undefined) continue;
    const release = releases.filter((at) => at <= slotAt).at(-1);
    if (release !== undefined && release >= askedAt) handoffs.push(startedAt - release);
  }
  return handoffs;
};

export const scenarioResult = (input: ScenarioInput): ScenarioResult => {
  const { clockSpeed } = input;
  const clockSeconds = (realMs: number) => round((realMs * clockSpeed) / 1000);
  // A copy's slot is given back when its end is recorded, or earlier, when its event hands the
  // slot on: the cloud's end of the copy bounds the release from below, so the earlier of the two
  // is taken (a hand-off may read a little long, never short).
  const endedInCloud = new Map(input.jobs.map((job) => [job.jobId, job.cloudCompletedAt]));
  const released = input.timelines.map((timeline) => {
    const cloudEnd = endedInCloud.get(timeline.jobId);
    return cloudEnd !== undefined && timeline.releasedAt !== undefined
      ? { ...timeline, releasedAt: Math.min(timeline.releasedAt, cloudEnd) }
      : timeline;
  });
  const handoffs = slotHandoffMs(released).map(clockSeconds);
  const detect = input.jobs.flatMap((job) => {
    const recorded = input.timelines.find((t) => t.jobId === job.jobId)?.completionRecordedAt;
    return recorded !== undefined && job.cloudCompletedAt !== undefined
      ? [clockSeconds(Math.max(0, recorded - job.cloudCompletedAt))]
      : [];
  });
  const overheads = input.jobs.flatMap((job) =>
    job.status === "COMPLETED" && job.transferMs !== undefined
      ? [Math.max(0, job.durationMs - job.transferMs)]
      : [],
  );
  const transitions = quantile(
    input.timelines.map((t) => t.transitions),
    0.5,
  );
  const p50 = quantile(overheads, 0.5);
  const p99 = quantile(overheads, 0.99);
  return {
    name: input.name,
    clockSpeed,
    jobs: input.jobs.length,
    completed: input.jobs.filter((job) => job.status === "COMPLETED").length,
    failed: input.jobs.filter((job) => job.status !== "COMPLETED").length,
    maxPending: input.maxPending,
    resourceLimitErrorsInJobs: input.jobs.filter((job) =>
      job.errors.some((message) => CLOUD_LIMIT.test(message)),
    ).length,
    slotUtilization: slotUtilization(input.samples, input.slots),
    queueOrderViolations: queueOrderViolations(input.timelines),
    slotHandoffSeconds: spread(handoffs),
    pollsPerCopy: spread(input.timelines.map((t) => t.polls)),
    transitionsPerJob: transitions === undefined ? null : { median: transitions },
    detectLatencySeconds: detect.length === 0 ? null : { max: Math.max(...detect) },
    overheadMs:
      p50 === undefined || p99 === undefined
        ? null
        : { p50: Math.round(p50), p99: Math.round(p99) },
    ...input.extra,
  };
};
