// Who may replicate in the beta: the seeded accounts, and every account an admin approved once
// snaprelay has assumed its role; never snaprelay's own account. An account applies with a reason
// and a contact, once at a time; an admin approves or rejects, each decision says who, when and
// why, and an approval makes the account an external id of its own.
import { beforeEach, describe, expect, it } from "vitest";
import {
  type AccessDeps,
  type Allowlist,
  assertAllowlisted,
  decideAccessRequest,
  ownAccessRequest,
  submitAccessRequest,
  tenantAllowlist,
} from "../../functions/core/access.js";
import { SERVICE_ACCOUNT, tenancySettings } from "./access-fakes.js";
import { ACCOUNT, FixedClock, InMemoryAccessStore, T0 } from "./fakes.js";

const NEWCOMER = "999988887777";
const ADMIN = "000011112222";
let access: InMemoryAccessStore;
let deps: AccessDeps;
let allowlist: Allowlist;

beforeEach(() => {
  access = new InMemoryAccessStore();
  let next = 0;
  deps = {
    access,
    clock: new FixedClock(),
    tenancy: tenancySettings(),
    newRequestId: () => `acc-${++next}`,
  };
  allowlist = tenantAllowlist(deps);
});

const application = { reason: "DR copies of the orders database", contact: "ops@example.com" };

describe("the allowlist", () => {
  it("lets a seeded account through, and refuses another with NotAllowlisted saying how to apply", async () => {
    // Act
    const seeded = assertAllowlisted(ACCOUNT, allowlist);
    const other = assertAllowlisted(NEWCOMER, allowlist);

    // Assess
    await expect(seeded).resolves.toBeUndefined();
    await expect(other).rejects.toMatchObject({
      code: "NotAllowlisted",
      message: expect.stringContaining("Account 999988887777 is not on the"),
    });
    await expect(other).rejects.toThrow(/POST \/access-requests/);
  });

  it("refuses everyone when nobody is seeded or approved", async () => {
    // Act
    const act = assertAllowlisted(
      ACCOUNT,
      tenantAllowlist({ ...deps, tenancy: tenancySettings({ allowlistedAccounts: [] }) }),
    );

    // Assess
    await expect(act).rejects.toMatchObject({ code: "NotAllowlisted" });
  });

  it("refuses snaprelay's own account with ServiceAccountNotTenant, saying why", async () => {
    // Act
    const act = assertAllowlisted(SERVICE_ACCOUNT, allowlist);

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "ServiceAccountNotTenant",
      message: expect.stringContaining(
        "Account 000000000000 is the account snaprelay is deployed in",
      ),
    });
  });
});

describe("applying for access", () => {
  it("records an OPEN request with the reason and contact", async () => {
    // Act
    const request = await submitAccessRequest(NEWCOMER, application, deps);

    // Assess
    expect(request).toEqual({
      requestId: "acc-1",
      accountId: NEWCOMER,
      ...application,
      status: "OPEN",
      createdAt: T0.toISOString(),
      decision: null,
    });
    expect(await ownAccessRequest(NEWCOMER, "acc-1", deps)).toEqual(request);
  });

  it("refuses a second request while one is open with AccessRequestOpen", async () => {
    // Prepare
    await submitAccessRequest(NEWCOMER, application, deps);

    // Act
    const second = submitAccessRequest(NEWCOMER, application, deps);

    // Assess
    await expect(second).rejects.toMatchObject({
      code: "AccessRequestOpen",
      message: expect.stringContaining("(acc-1)"),
    });
  });

  it("refuses a bad body with InvalidRequest naming the field, and records nothing", async () => {
    // Act
    const act = submitAccessRequest(
      NEWCOMER,
      { reason: "short", contact: "ops@example.com" },
      deps,
    );

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "InvalidRequest",
      message: expect.stringContaining("reason: must say in at least 10 characters"),
    });
    expect((await access.list("OPEN", 10)).requests).toEqual([]);
  });

  it("refuses an account already allowlisted with AlreadyAllowlisted", async () => {
    // Act
    const act = submitAccessRequest(ACCOUNT, application, deps);

    // Assess
    await expect(act).rejects.toMatchObject({ code: "AlreadyAllowlisted" });
  });

  it("refuses an approved account waiting for its role, pointing it to its onboarding", async () => {
    // Prepare
    await submitAccessRequest(NEWCOMER, application, deps);
    await decideAccessRequest(ADMIN, "acc-1", "APPROVED", {}, deps);

    // Act
    const act = submitAccessRequest(NEWCOMER, application, deps);

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "AlreadyAllowlisted",
      message: expect.stringContaining("GET /access-requests/acc-1"),
    });
  });

  it("refuses snaprelay's own account, and records nothing", async () => {
    // Act
    const act = submitAccessRequest(SERVICE_ACCOUNT, application, deps);

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "ServiceAccountNotTenant",
      message: expect.stringContaining("cannot apply for access"),
    });
    expect((await access.list("OPEN", 10)).requests).toEqual([]);
  });

  it("shows another account's request as not found", async () => {
    // Prepare
    await submitAccessRequest(NEWCOMER, application, deps);

    // Act
    const act = ownAccessRequest(ACCOUNT, "acc-1", deps);

    // Assess
    await expect(act).rejects.toMatchObject({ code: "AccessRequestNotFound" });
  });
});

describe("deciding a request", () => {
  beforeEach(async () => {
    await submitAccessRequest(NEWCOMER, application, deps);
  });

  it("approving records who, when and why, and grants the account pending its connection", async () => {
    // Act
    const decided = await decideAccessRequest(
      ADMIN,
      "acc-1",
      "APPROVED",
      { note: "known team" },
      deps,
    );

    // Assess
    expect(decided.status).toBe("APPROVED");
    expect(decided.decision).toEqual({ by: ADMIN, at: T0.toISOString(), note: "known team" });
    expect(await access.grant(NEWCOMER)).toMatchObject({
      status: "PENDING_CONNECTION",
      requestId: "acc-1",
      grantedBy: ADMIN,
    });
    await expect(assertAllowlisted(NEWCOMER, allowlist)).rejects.toMatchObject({
      code: "AccountNotConnected",
    });
  });

  it("approving makes the account an external id of its own: random, in STS's characters", async () => {
    // Prepare
    const other = "444455556666";
    await submitAccessRequest(other, application, deps);

    // Act
    await decideAccessRequest(ADMIN, "acc-1", "APPROVED", {}, deps);
    await decideAccessRequest(ADMIN, "acc-2", "APPROVED", {}, deps);
    const ids = [
      (await access.grant(NEWCOMER))?.externalId,
      (await access.grant(other))?.externalId,
    ];

    // Assess
    for (const id of ids) expect(id).toMatch(/^snaprelay-[0-9a-f]{32}$/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids).not.toContain(deps.tenancy.accountRoleExternalId);
  });

  it("rejecting keeps the account out, and lets it apply again", async () => {
    // Act
    await decideAccessRequest(ADMIN, "acc-1", "REJECTED", {}, deps);
    const again = await submitAccessRequest(NEWCOMER, application, deps);

    // Assess
    await expect(assertAllowlisted(NEWCOMER, allowlist)).rejects.toMatchObject({
      code: "NotAllowlisted",
    });
    expect(again.status).toBe("OPEN");
    expect(await access.grant(NEWCOMER)).toBeUndefined();
  });

  it("a second decision is refused with AccessRequestDecided, saying how it was decided", async () => {
    // Prepare
    await decideAccessRequest(ADMIN, "acc-1", "REJECTED", {}, deps);

    // Act
    const act = decideAccessRequest(ADMIN, "acc-1", "APPROVED", {}, deps);

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "AccessRequestDecided",
      message: expect.stringContaining("REJECTED by 000011112222"),
    });
  });

  it("an unknown request is not found", async () => {
    // Act
    const act = decideAccessRequest(ADMIN, "acc-404", "APPROVED", {}, deps);

    // Assess
    await expect(act).rejects.toMatchObject({ code: "AccessRequestNotFound" });
  });

  it("approving snaprelay's own account is refused, and leaves its request OPEN", async () => {
    // Prepare: a request made before the service account was refused at the door
    await access.submit({
      requestId: "acc-own",
      accountId: SERVICE_ACCOUNT,
      reason: "an old application",
      contact: "ops@example.com",
      status: "OPEN",
      createdAt: T0.toISOString(),
      decision: null,
    });

    // Act
    const act = decideAccessRequest(ADMIN, "acc-own", "APPROVED", {}, deps);

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "ServiceAccountNotTenant",
      message: expect.stringContaining("cannot be approved as a tenant"),
    });
    expect((await access.get("acc-own"))?.status).toBe("OPEN");
    expect(await access.grant(SERVICE_ACCOUNT)).toBeUndefined();
  });
});
