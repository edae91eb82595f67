// How snaprelay reaches an account: its own with its own credentials, any other through the
// configured role, with one set of temporary credentials shared until shortly before it expires.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AccountAccess,
  sharedUntilNearExpiry,
} from "../../functions/adapters/ec2/account-access.js";

const settings = {
  serviceAccountId: "000000000000",
  partition: "aws-cn",
  roleName: "snaprelay-access",
  externalId: "ext-1",
};

afterEach(() => {
  vi.useRealTimers();
});

describe("the route to an account", () => {
  it("is the deployment's own credentials for its own account", () => {
    // Act
    const route = new AccountAccess(settings).route("000000000000");

    // Assess
    expect(route).toEqual({ accountId: "000000000000", roleArn: undefined });
  });

  it("is the configured role, in the deployment's partition, for any other account", () => {
    // Act
    const route = new AccountAccess(settings).route("111122223333");

    // Assess
    expect(route.roleArn).toBe("arn:aws-cn:iam::111122223333:role/snaprelay-access");
  });

  it("gives one client per account and region, and the same one again", () => {
    // Prepare
    const access = new AccountAccess(settings);

    // Act
    const first = access.ec2("111122223333", "ap-mumbai");
    const again = access.ec2("111122223333", "ap-mumbai");
    const otherRegion = access.ec2("111122223333", "ap-beijing");

    // Assess
    expect(again).toBe(first);
    expect(otherRegion).not.toBe(first);
  });
});

describe("shared temporary credentials", () => {
  const expiringIn = (minutes: number) => ({
    accessKeyId: "ASIA111122223333ABCD",
    secretAccessKey: "secret",
    expiration: new Date(Date.now() + minutes * 60_000),
  });

  it("fetch once for any number of callers, at once or later, until near expiry", async () => {
    // Prepare
    vi.useFakeTimers({ now: new Date("2026-12-03T10:00:00Z") });
    const fetch = vi.fn(async () => expiringIn(60));
    const credentials = sharedUntilNearExpiry(fetch);

    // Act
    await Promise.all(Array.from({ length: 20 }, () => credentials()));
    vi.advanceTimersByTime(54 * 60_000);
    await credentials();

    // Assess
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("fetch again once less than 5 minutes are left", async () => {
    // Prepare
    vi.useFakeTimers({ now: new Date("2026-12-03T10:00:00Z") });
    const fetch = vi.fn(async () => expiringIn(60));
    const credentials = sharedUntilNearExpiry(fetch);
    await credentials();

    // Act
    vi.advanceTimersByTime(56 * 60_000);
    await credentials();

    // Assess
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("are fetched again after a failure, not kept failing", async () => {
    // Prepare
    const fetch = vi
      .fn()
      .mockRejectedValueOnce(Object.assign(new Error("not authorized"), { name: "AccessDenied" }))
      .mockResolvedValueOnce(expiringIn(60));
    const credentials = sharedUntilNearExpiry(fetch);

    // Act
    const first = credentials();
    await expect(first).rejects.toMatchObject({ name: "AccessDenied" });
    const second = await credentials();

    // Assess
    expect(second.accessKeyId).toBe("ASIA111122223333ABCD");
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
