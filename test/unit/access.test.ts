// Who may replicate in the beta: the seeded accounts and every account an admin approved, at
// once. An account applies with a reason and a contact, once at a time; an admin approves or
// rejects, and each decision says who, when and why.
import { beforeEach, describe, expect, it } from "vitest";
import {
  allowlistOf,
  assertAllowlisted,
  decideAccessRequest,
  ownAccessRequest,
  submitAccessRequest,
} from "../../functions/core/access.js";
import { ACCOUNT, FixedClock, InMemoryAccessStore, T0 } from "./fakes.js";

const NEWCOMER = "999988887777";
const ADMIN = "000011112222";
let access: InMemoryAccessStore;
let deps: Parameters<typeof submitAccessRequest>[2];

beforeEach(() => {
  access = new InMemoryAccessStore();
  let next = 0;
  deps = {
    access,
    allowlist: allowlistOf([ACCOUNT], access),
    clock: new FixedClock(),
    newRequestId: () => `acc-${++next}`,
  };
});

const application = { reason: "DR copies of the orders database", contact: "ops@example.com" };

describe("the allowlist", () => {
  it("lets a seeded account through, and refuses another with NotAllowlisted saying how to apply", async () => {
    // Act
    const seeded = assertAllowlisted(ACCOUNT, deps.allowlist);
    const other = assertAllowlisted(NEWCOMER, deps.allowlist);

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
    const act = assertAllowlisted(ACCOUNT, allowlistOf([], access));

    // Assess
    await expect(act).rejects.toMatchObject({ code: "NotAllowlisted" });
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

  it("approving lets the account replicate at once, and records who, when and why", async () => {
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
    await expect(assertAllowlisted(NEWCOMER, deps.allowlist)).resolves.toBeUndefined();
  });

  it("rejecting keeps the account out, and lets it apply again", async () => {
    // Act
    await decideAccessRequest(ADMIN, "acc-1", "REJECTED", {}, deps);
    const again = await submitAccessRequest(NEWCOMER, application, deps);

    // Assess
    await expect(assertAllowlisted(NEWCOMER, deps.allowlist)).rejects.toMatchObject({
      code: "NotAllowlisted",
    });
    expect(again.status).toBe("OPEN");
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
});
