// Each account's fair share of snaprelay: how fast it may call, how much it may have in flight,
// how many policies it may keep and how big and how frequent their runs may be. The deployment
// sets the defaults; an admin may raise or lower them for one account. A limit reached is a
// named error saying which limit, its value, and what to do.
import { DomainError } from "./errors.js";

export interface AccountLimits {
  /** API requests per second (counted per whole second). */
  requestsPerSecond: number;
  /** Jobs accepted and not yet finished, at once. */
  jobsInFlight: number;
  /** DR policies kept. */
  policies: number;
  /** Volumes one run of a policy copies; the rest wait for the next run. */
  volumesPerRun: number;
  /** The shortest time between two runs of a policy's schedule. */
  minScheduleMinutes: number;
}

export const LIMIT_NAMES = [
  "requestsPerSecond",
  "jobsInFlight",
  "policies",
  "volumesPerRun",
  "minScheduleMinutes",
] as const satisfies readonly (keyof AccountLimits)[];

/** The limits an admin set for one account, over the deployment's defaults. */
export interface LimitOverrides {
  accountId: string;
  limits: Partial<AccountLimits>;
  /** The admin who set them, and when. */
  by: string;
  at: string;
  note?: string;
}

/** An account's limits as they stand: its own where an admin set them, the defaults elsewhere. */
export type LimitsOf = (accountId: string) => Promise<AccountLimits>;

export const limitsReader =
  (
    defaults: AccountLimits,
    store: { overrides(accountId: string): Promise<LimitOverrides | undefined> },
  ): LimitsOf =>
  async (accountId) =>
    effectiveLimits(defaults, await store.overrides(accountId));

export const effectiveLimits = (
  defaults: AccountLimits,
  overrides: LimitOverrides | undefined,
): AccountLimits => ({ ...defaults, ...overrides?.limits });

/** How long a caller over its request rate waits: the rest of the second, rounded up. */
const RATE_RETRY_AFTER_SECONDS = 1;
/** How long a caller at its jobs-in-flight limit is told to wait before it asks again. */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 60;

/** Refuses a request over the account's rate; `count` is this request's number in its second. */
export const assertWithinRate = (accountId: string, count: number, limits: AccountLimits) => {
  if (count <= limits.requestsPerSecond) return;
  throw new DomainError(
    "TooManyRequests",
    `Account ${accountId} sent more than its ${limits.requestsPerSecond} requests per second; retry after ${RATE_RETRY_AFTER_SECONDS} s (the Retry-After header), and spread requests out. An admin can raise the limit for this account.`,
    { retryAfterSeconds: RATE_RETRY_AFTER_SECONDS },
  );
};

/** Counts a request of the account in its second; refuses it past the account's rate. */
export const admitRequest = async (
  accountId: string,
  second: number,
  // The store's counter (ports.ts AccountLimitsStore.countRequest), named here by its shape so
  // that the limits stay below the ports that speak of them.
  deps: {
    limits: LimitsOf;
    accountLimits: { countRequest(accountId: string, second: number): Promise<number> };
  },
): Promise<void> => {
  const [limits, count] = await Promise.all([
    deps.limits(accountId),
    deps.accountLimits.countRequest(accountId, second),
  ]);
  assertWithinRate(accountId, count, limits);
};

/** Refuses a new job while the account has its limit of jobs in flight. */
export const assertJobsInFlightBelow = (
  accountId: string,
  inFlight: number,
  limits: AccountLimits,
) => {
  if (inFlight < limits.jobsInFlight) return;
  throw new DomainError(
    "TooManyJobsInFlight",
    `Account ${accountId} has ${limits.jobsInFlight} jobs in flight, its limit; nothing was started. Retry once some have finished (Retry-After: ${IN_FLIGHT_RETRY_AFTER_SECONDS} s), cancel jobs you no longer need, or ask an admin to raise the limit.`,
    { retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS },
  );
};

/** Refuses a new policy when the account keeps its limit of policies. */
export const assertPoliciesBelow = (accountId: string, kept: number, limits: AccountLimits) => {
  if (kept < limits.policies) return;
  throw new DomainError(
    "PolicyLimitExceeded",
    `Account ${accountId} keeps ${limits.policies} DR policies, its limit; the policy was not created. Delete one you no longer need (DELETE /policies/{policyId}), or ask an admin to raise the limit.`,
  );
};

const MINUTE_MS = 60_000;

/**
 * The shortest gap between runs of a schedule: a rate's period, or for cron the shortest gap in
 * its next `sample` runs (a year of runs of any schedule that passes is far fewer).
 */
export const shortestGapMinutes = (
  nextAfter: (after: Date) => Date | undefined,
  from: Date,
  sample = 200,
): number | undefined => {
  let previous = nextAfter(from);
  let shortest: number | undefined;
  for (let index = 0; previous && index < sample; index++) {
    const next = nextAfter(previous);
    if (!next) break;
    const gap = (next.getTime() - previous.getTime()) / MINUTE_MS;
    shortest = shortest === undefined ? gap : Math.min(shortest, gap);
    previous = next;
  }
  return shortest;
};

/** Refuses a schedule that runs more often than the account's limit allows. */
export const assertScheduleNotTooFrequent = (
  schedule: { expression: string; nextAfter: (after: Date) => Date | undefined },
  now: Date,
  limits: AccountLimits,
) => {
  const gap = shortestGapMinutes(schedule.nextAfter, now);
  if (gap === undefined || gap >= limits.minScheduleMinutes) return;
  throw new DomainError(
    "InvalidRequest",
    `Invalid policy: schedule: ${schedule.expression} runs every ${formatMinutes(gap)} at its most frequent; this account's policies may run at most every ${formatMinutes(limits.minScheduleMinutes)} (e.g. rate(${limits.minScheduleMinutes} minutes)). An admin can lower the limit for this account.`,
  );
};

const formatMinutes = (minutes: number): string =>
  minutes % 60 === 0 && minutes >= 60
    ? `${minutes / 60} hour${minutes === 60 ? "" : "s"}`
    : `${minutes} minute${minutes === 1 ? "" : "s"}`;
