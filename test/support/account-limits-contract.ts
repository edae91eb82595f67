// The AccountLimitsStore's promises, as one suite run against the in-memory fake and against
// DynamoDB Local: overrides read back as set, requests counted per account and second, and the
// jobs in flight and policies of an account counted from the stores that hold them.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ReplicationJob } from "../../functions/core/job.js";
import type { DrPolicy } from "../../functions/core/policies/policy.js";
import type { AccountLimitsStore, JobStore, PolicyStore } from "../../functions/core/ports.js";

export interface LimitStores {
  limits: AccountLimitsStore;
  jobs: JobStore;
  policies: PolicyStore;
}

const T0 = "2026-12-07T10:00:00.000Z";
const anAccount = () => String(Math.floor(1e11 + Math.random() * 8.9e11));

const aJob = (accountId: string, status: ReplicationJob["status"]): ReplicationJob => ({
  jobId: `job-${randomUUID()}`,
  accountId,
  status,
  snapshotId: "snap-0abc1234",
  sourceRegion: "ap-shanghai",
  name: "counted",
  tags: {},
  trigger: { type: "api" },
  createdAt: T0,
  updatedAt: T0,
  executionArn: null,
  copies: [],
  error: null,
});

const aPolicy = (accountId: string): DrPolicy => ({
  policyId: `pol-${randomUUID()}`,
  accountId,
  name: "counted",
  sourceRegion: "ap-shanghai",
  selector: { volumeIds: [], tags: { dr: "true" } },
  destinationRegions: ["ap-mumbai"],
  schedule: "rate(1 hour)",
  timeZone: "UTC",
  retention: { count: 3 },
  rpoMinutes: 60,
  enabled: true,
  createdAt: T0,
  updatedAt: T0,
  nextRunAt: T0,
  lastRunAt: null,
});

export const accountLimitsContract = (name: string, makeStores: () => Promise<LimitStores>) => {
  describe(`${name}: account limits`, () => {
    it("reads back the limits an admin set, and nothing for an account without any", async () => {
      const { limits } = await makeStores();
      const accountId = anAccount();
      const overrides = {
        accountId,
        limits: { jobsInFlight: 5, minScheduleMinutes: 15 },
        by: "999988887777",
        at: T0,
        note: "bigger fleet",
      };

      await limits.setOverrides(overrides);
      await limits.setOverrides({ ...overrides, limits: { jobsInFlight: 7 } });

      expect(await limits.overrides(accountId)).toEqual({
        ...overrides,
        limits: { jobsInFlight: 7 },
      });
      expect(await limits.overrides(anAccount())).toBeUndefined();
    });

    it("counts each request of an account in its second, each second and account apart", async () => {
      const { limits } = await makeStores();
      const accountId = anAccount();

      const counts = [
        await limits.countRequest(accountId, 1000),
        await limits.countRequest(accountId, 1000),
        await limits.countRequest(accountId, 1000),
        await limits.countRequest(accountId, 1001),
        await limits.countRequest(anAccount(), 1000),
      ];

      expect(counts).toEqual([1, 2, 3, 1, 1]);
    });

    it("counts an account's unfinished jobs and its policies, up to the number asked", async () => {
      const { limits, jobs, policies } = await makeStores();
      const accountId = anAccount();
      for (const status of ["PENDING", "RUNNING", "RUNNING", "COMPLETED", "FAILED"] as const) {
        await jobs.create(aJob(accountId, status));
      }
      await jobs.create(aJob(anAccount(), "RUNNING"));
      for (let index = 0; index < 3; index++) await policies.create(aPolicy(accountId));

      const counted = {
        inFlight: await limits.jobsInFlight(accountId, 100),
        inFlightUpTo2: await limits.jobsInFlight(accountId, 2),
        policies: await limits.policyCount(accountId, 100),
        policiesUpTo1: await limits.policyCount(accountId, 1),
      };

      expect(counted).toEqual({ inFlight: 3, inFlightUpTo2: 2, policies: 3, policiesUpTo1: 1 });
    });

    it("counts a job out of flight once as it finishes, however often its end is written", async () => {
      const { limits, jobs } = await makeStores();
      const accountId = anAccount();
      const finishing = aJob(accountId, "RUNNING");
      const cancelled = aJob(accountId, "PENDING");
      await jobs.create(finishing);
      await jobs.create(cancelled);
      await jobs.create(aJob(accountId, "RUNNING"));

      await jobs.apply(finishing.jobId, { status: "COMPLETED" }, T0);
      await jobs.apply(finishing.jobId, { status: "COMPLETED" }, T0);
      await jobs.apply(cancelled.jobId, { status: "CANCELLED" }, T0);
      await jobs.apply(cancelled.jobId, { status: "CANCELLED" }, T0);

      expect(await limits.jobsInFlight(accountId, 100)).toBe(1);
    });
  });
};
