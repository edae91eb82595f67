// How snaprelay reaches an account: never its own, any other through the configured role, with one
// set of temporary credentials shared until shortly before it expires; and the one AssumeRole that
// proves a tenant's role works.
import type { STSClient } from "@aws-sdk/client-sts";
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
  it("is no role in the deployment's own account, whose client refuses to act for a tenant", async () => {
    // Act
    const access = new AccountAccess(settings);
    const route = access.route("000000000000");
    const credentials = access.ec2("000000000000", "ap-mumbai").config.credentials();

    // Assess
    expect(route).toEqual({ accountId: "000000000000", roleArn: undefined });
    await expect(credentials).rejects.toMatchObject({ code: "ServiceAccountNotTenant" });
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

describe("a test AssumeRole of a tenant's role", () => {
  const stsAnswering = (answer: () => Promise<unknown>) => {
    const sent: unknown[] = [];
    const sts = {
      send: async (command: { input: unknown }) => {
        sent.push(command.input);
        return answer();
      },
    } as unknown as Pick<STSClient, "send">;
    return { sts, sent };
  };

  it("assumes the account's role with the external id it is given", async () => {
    // Prepare
    const { sts, sent } = stsAnswering(async () => ({}));

    // Act
    await new AccountAccess({ ...settings, sts }).tryAssume("111122223333", "snaprelay-abc");

    // Assess
    expect(sent).toEqual([
      {
        RoleArn: "arn:aws-cn:iam::111122223333:role/snaprelay-access",
        RoleSessionName: "snaprelay-connect",
        DurationSeconds: 900,
        ExternalId: "snaprelay-abc",
      },
    ]);
  });

  it("turns STS's refusal into AccountAccessDenied naming the role and the external id", async () => {
    // Prepare
    const { sts } = stsAnswering(async () => {
      throw Object.assign(new Error("User: x is not authorized to perform: sts:AssumeRole"), {
        name: "AccessDenied",
      });
    });

    // Act
    const act = new AccountAccess({ ...settings, sts }).tryAssume("111122223333", "snaprelay-abc");

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "AccountAccessDenied",
      message: expect.stringContaining(
        "arn:aws-cn:iam::111122223333:role/snaprelay-access with the external id snaprelay-abc",
      ),
    });
  });

  it("passes on any other failure as it came (STS busy is not the tenant's fault)", async () => {
    // Prepare
    const { sts } = stsAnswering(async () => {
      throw Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    });

    // Act
    const act = new AccountAccess({ ...settings, sts }).tryAssume("111122223333", undefined);

    // Assess
    await expect(act).rejects.toMatchObject({ name: "Throttling" });
  });

  it("never assumes anything in the deployment's own account", async () => {
    // Prepare
    const { sts, sent } = stsAnswering(async () => ({}));

    // Act
    const act = new AccountAccess({ ...settings, sts }).tryAssume("000000000000", "x");

    // Assess
    await expect(act).rejects.toMatchObject({ code: "ServiceAccountNotTenant" });
    expect(sent).toEqual([]);
  });
});

describe("the external id of an account's role", () => {
  it("is looked up when credentials are fetched, and kept a minute", async () => {
    // Prepare: an STS nobody answers, so that each fetch fails at once after its lookup
    vi.stubEnv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "secret");
    vi.stubEnv("AWS_MAX_ATTEMPTS", "1");
    const externalIdOf = vi.fn(async (accountId: string) => `own-id-of-${accountId}`);
    const access = new AccountAccess({ ...settings, externalIdOf });
    const credentials = access.ec2("111122223333", "ap-mumbai").config.credentials;
    const now = vi.spyOn(Date, "now");

    // Act
    await credentials().catch(() => undefined);
    await credentials().catch(() => undefined);
    const withinAMinute = externalIdOf.mock.calls.length;
    now.mockReturnValue(Date.now() + 61_000);
    await credentials().catch(() => undefined);
    now.mockRestore();
    vi.unstubAllEnvs();

    // Assess
    expect(withinAMinute).toBe(1);
    expect(externalIdOf.mock.calls).toEqual([["111122223333"], ["111122223333"]]);
  });
});
