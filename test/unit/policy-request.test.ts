// Declaring a DR policy: a good body becomes a policy with its next run; a bad one is refused with
// the field and what is allowed.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../functions/core/errors.js";
import {
  checkPolicyRequest,
  newPolicy,
  replacedPolicy,
} from "../../functions/core/policies/policy.js";
import { ACCOUNT, seedPolicy } from "./fakes.js";

const NOW = new Date("2026-12-03T20:00:00.000Z");
const body = (fields: Record<string, unknown> = {}) => ({
  name: "orders-db-dr",
  sourceRegion: "ap-shanghai",
  selector: { volumeIds: ["vol-0abc1234"], tags: { dr: "true" } },
  destinationRegions: ["ap-mumbai"],
  schedule: "rate(6 hours)",
  retention: { count: 7, maxAgeDays: 30 },
  rpoMinutes: 480,
  ...fields,
});
const check = (fields: Record<string, unknown> = {}) =>
  checkPolicyRequest(body(fields), seedPolicy(), NOW);
const refusal = (fields: Record<string, unknown>) => {
  try {
    check(fields);
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("the policy was accepted");
};

describe("a policy request", () => {
  it("is accepted with UTC and enabled by default", () => {
    expect(check()).toMatchObject({ timeZone: "UTC", enabled: true, rpoMinutes: 480 });
  });

  it("becomes a policy whose first run is one period after its creation", () => {
    const policy = newPolicy(ACCOUNT, check(), "pol-1", NOW);
    expect(policy).toMatchObject({
      policyId: "pol-1",
      accountId: ACCOUNT,
      nextRunAt: "2026-12-04T02:00:00.000Z",
      lastRunAt: null,
    });
  });

  it("has no next run while paused", () => {
    expect(newPolicy(ACCOUNT, check({ enabled: false }), "pol-1", NOW).nextRunAt).toBeNull();
  });

  it("keeps its id, creation and rate grid when replaced", () => {
    const policy = newPolicy(ACCOUNT, check(), "pol-1", NOW);
    const later = new Date("2026-12-04T03:00:00.000Z");
    const replaced = replacedPolicy(policy, check({ schedule: "rate(12 hours)" }), later);
    expect(replaced).toMatchObject({
      policyId: "pol-1",
      createdAt: NOW.toISOString(),
      updatedAt: later.toISOString(),
      nextRunAt: "2026-12-04T08:00:00.000Z",
    });
  });

  it.each([
    [{ schedule: "every 6 hours" }, "schedule:"],
    [{ schedule: "cron(0 3 * * * *)" }, "schedule:"],
    [{ timeZone: "Mars/Base" }, "timeZone:"],
    [{ retention: { count: 0 } }, "retention.count: must be at least 1"],
    [{ retention: {} }, "retention: give count"],
    [{ destinationRegions: [] }, "destinationRegions: at least one"],
    [{ selector: {} }, "selector: name the volumes"],
    [{ selector: { volumeIds: ["disk-1"] } }, "selector.volumeIds[0]: must look like vol-"],
    [{ rpoMinutes: 0 }, "rpoMinutes: must be at least 1"],
    [{ name: "" }, "name: must not be empty"],
    [{ extra: true }, "extra"],
  ])("is refused as InvalidRequest when %j, naming the field", (fields, words) => {
    const { code, message } = refusal(fields);
    expect(code).toBe("InvalidRequest");
    expect(message).toContain(words);
  });

  it("is refused when a destination is the source region", () => {
    const { code, message } = refusal({ destinationRegions: ["ap-shanghai"] });
    expect(code).toBe("InvalidDestination");
    expect(message).toContain("ap-shanghai is the source region");
  });

  it("is refused when a region is not supported, listing those that are", () => {
    const { code, message } = refusal({ destinationRegions: ["eu-west-1"] });
    expect(code).toBe("UnsupportedRegion");
    expect(message).toContain("destinationRegions: eu-west-1");
    expect(message).toContain("ap-mumbai");
  });

  it("is refused when its schedule never runs again", () => {
    expect(refusal({ schedule: "cron(0 3 * * ? 2020)" }).message).toContain("has no run after");
  });
});
