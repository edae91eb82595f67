// The AccountLimitsStore in memory, counting from the job and policy fakes it is given, as the
// DynamoDB store counts from the table's indexes (the contract suite runs against both).
import { isFinishedJob } from "../../functions/core/job.js";
import type { AccountLimits, LimitOverrides } from "../../functions/core/limits.js";
import type { AccountLimitsStore } from "../../functions/core/ports.js";
import type { InMemoryJobStore } from "./fakes.js";
import type { InMemoryPolicyStore } from "./policy-fakes.js";

/** Limits generous enough that a test meets one only when it means to. */
export const TEST_LIMITS: AccountLimits = {
  requestsPerSecond: 1_000,
  jobsInFlight: 10_000,
  policies: 1_000,
  volumesPerRun: 1_000,
  minScheduleMinutes: 60,
};

export class InMemoryAccountLimits implements AccountLimitsStore {
  private readonly overridesByAccount = new Map<string, LimitOverrides>();
  private readonly requests = new Map<string, number>();

  constructor(
    private readonly jobs: Pick<InMemoryJobStore, "all">,
    private readonly policies: Pick<InMemoryPolicyStore, "policies">,
  ) {}

  async overrides(accountId: string) {
    const found = this.overridesByAccount.get(accountId);
    return found ? structuredClone(found) : undefined;
  }

  async setOverrides(overrides: LimitOverrides) {
    this.overridesByAccount.set(overrides.accountId, structuredClone(overrides));
  }

  async jobsInFlight(accountId: string, upTo: number) {
    const count = this.jobs
      .all()
      .filter((job) => job.accountId === accountId && !isFinishedJob(job.status)).length;
    return Math.min(count, upTo);
  }

  async policyCount(accountId: string, upTo: number) {
    const count = [...this.policies.policies.values()].filter(
      (policy) => policy.accountId === accountId,
    ).length;
    return Math.min(count, upTo);
  }

  async countRequest(accountId: string, second: number) {
    const key = `${accountId}#${second}`;
    const count = (this.requests.get(key) ?? 0) + 1;
    this.requests.set(key, count);
    return count;
  }
}
