// An account's limits: the defaults unless an admin set its own, each reached limit a named error
// that says which limit, its value and what to do, and schedules no more frequent than allowed.
import { describe, expect, it } from "vitest";
import {
  admitRequest,
  assertPoliciesBelow,
  assertScheduleNotTooFrequent,
  effectiveLimits,
  limitsReader,
  shortestGapMinutes,
} from "../../functions/core/limits.js";
import { parseSchedule } from "../../functions/core/policies/schedule.js";
import { ACCOUNT, InMemoryJobStore, T0 } from "./fakes.js";
import { InMemoryAccountLimits, TEST_LIMITS } from "./limit-fakes.js";
import { InMemoryPolicyStore } from "./policy-fakes.js";

const limits = { ...TEST_LIMITS, requestsPerSecond: 3, policies: 2, minScheduleMinutes: 60 };
const schedule = (expression: string) => parseSchedule(expression, T0);

describe("an account's limits", () => {
  it("are the defaults, with what an admin set for the account over them", async () => {
    // Prepare
    const store = new InMemoryAccountLimits(new InMemoryJobStore(), new InMemoryPolicyStore());
    await store.setOverrides({
      accountId: ACCOUNT,
      limits: { jobsInFlight: 5 },
      by: "999988887777",
      at: T0.toISOString(),
    });
    const limitsOf = limitsReader(limits, store);

    // Act
    const own = await limitsOf(ACCOUNT);
    const other = await limitsOf("444455556666");

    // Assess
    expect(own).toEqual({ ...limits, jobsInFlight: 5 });
    expect(other).toEqual(limits);
    expect(effectiveLimits(limits, undefined)).toEqual(limits);
  });
});

describe("the request rate", () => {
  it("admits an account's requests up to its limit in one second and refuses the next with a Retry-After", async () => {
    // Prepare
    const store = new InMemoryAccountLimits(new InMemoryJobStore(), new InMemoryPolicyStore());
    const deps = { limits: async () => limits, accountLimits: store };
    for (let index = 0; index < 3; index++) await admitRequest(ACCOUNT, 100, deps);

    // Act
    const fourth = admitRequest(ACCOUNT, 100, deps);

    // Assess
    await expect(fourth).rejects.toMatchObject({
      code: "TooManyRequests",
      retryAfterSeconds: 1,
      message: expect.stringContaining("more than its 3 requests per second"),
    });
  });

  it("counts each second and each account apart", async () => {
    // Prepare
    const store = new InMemoryAccountLimits(new InMemoryJobStore(), new InMemoryPolicyStore());
    const deps = { limits: async () => limits, accountLimits: store };
    for (let index = 0; index < 3; index++) await admitRequest(ACCOUNT, 100, deps);

    // Act
    const nextSecond = admitRequest(ACCOUNT, 101, deps);
    const otherAccount = admitRequest("444455556666", 100, deps);

    // Assess
    await expect(nextSecond).resolves.toBeUndefined();
    await expect(otherAccount).resolves.toBeUndefined();
  });
});

describe("the policies an account keeps", () => {
  it("may grow to the limit, and the next is refused with PolicyLimitExceeded saying what to do", () => {
    // Act
    const below = () => assertPoliciesBelow(ACCOUNT, 1, limits);
    const at = () => assertPoliciesBelow(ACCOUNT, 2, limits);

    // Assess
    expect(below).not.toThrow();
    expect(at).toThrow(
      expect.objectContaining({
        code: "PolicyLimitExceeded",
        message: expect.stringContaining("Delete one you no longer need"),
      }),
    );
  });
});

describe("a policy's schedule", () => {
  it("is measured by its shortest gap: a rate's period, a cron's closest two runs", () => {
    // Act
    const gaps = [
      shortestGapMinutes(schedule("rate(6 hours)").nextAfter, T0),
      shortestGapMinutes(schedule("cron(0/15 * ? * MON-FRI *)").nextAfter, T0),
      shortestGapMinutes(schedule("cron(0 3,4 * * ? *)").nextAfter, T0),
      shortestGapMinutes(schedule("cron(0 3 * * ? 2020)").nextAfter, T0),
    ];

    // Assess
    expect(gaps).toEqual([360, 15, 60, undefined]);
  });

  it("is refused when it runs more often than the account may, naming the allowed interval", () => {
    // Act
    const everyMinute = () => assertScheduleNotTooFrequent(schedule("rate(1 minute)"), T0, limits);
    const hourly = () => assertScheduleNotTooFrequent(schedule("rate(1 hour)"), T0, limits);

    // Assess
    expect(everyMinute).toThrow(
      expect.objectContaining({
        code: "InvalidRequest",
        message:
          "Invalid policy: schedule: rate(1 minute) runs every 1 minute at its most frequent; this account's policies may run at most every 1 hour (e.g. rate(60 minutes)). An admin can lower the limit for this account.",
      }),
    );
    expect(hourly).not.toThrow();
  });
});
