// Who may replicate while the feature is in beta (the seed's first rule), and how an account
// gets in. The allowlist is the deployment's seed (ALLOWLISTED_ACCOUNTS) together with every
// account an admin approved and whose role snaprelay has since assumed with the account's own
// external id (see onboarding.ts); it is read at each request, so an approval, a connection and a
// revoke take effect at once, with no redeploy and no restart. snaprelay's own account is never a
// tenant. An account not on it applies with a reason and a contact; an admin approves or rejects,
// and each decision records who, when and why.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { DomainError, errorMessage } from "./errors.js";
import {
  CONNECT_RETRY_SECONDS,
  newExternalId,
  notConnected,
  roleArnOf,
  roleRefused,
  type TenancySettings,
} from "./onboarding.js";
import {
  type AccessRequest,
  type AccessRequestStatus,
  type AccessStore,
  type AccountGrant,
  type AccountRoles,
  type Clock,
  systemClock,
} from "./ports.js";
import { PRINTABLE, PRINTABLE_MESSAGE, parseWith } from "./request.js";

/** Whether an account may replicate now, and if not, why. */
export interface Allowlist {
  /** The error that refuses the account now; undefined when it may replicate. */
  refusal(accountId: string): Promise<DomainError | undefined>;
}

/** What the tenancy rules read: the settings, the grants, the time, and a way to try a role. */
export interface TenancyDeps {
  access: AccessStore;
  clock: Clock;
  tenancy: TenancySettings;
  /** Tries an approved account's role at its requests; absent, only POST /account/connect does. */
  roles?: AccountRoles;
}

/** Where an account stands with snaprelay, before any role is tried. */
type Standing =
  | { kind: "service" }
  | { kind: "seeded" }
  | { kind: "granted"; grant: AccountGrant }
  | { kind: "none" };

const standingOf = async (
  accountId: string,
  deps: Pick<TenancyDeps, "access" | "tenancy">,
): Promise<Standing> => {
  if (accountId === deps.tenancy.serviceAccountId) return { kind: "service" };
  if (deps.tenancy.allowlistedAccounts.includes(accountId)) return { kind: "seeded" };
  const grant = await deps.access.grant(accountId);
  return grant ? { kind: "granted", grant } : { kind: "none" };
};

const APPLY_HINT = `Apply with POST /access-requests {"reason": "…", "contact": "…"}.`;

const notAllowlisted = (accountId: string) =>
  new DomainError(
    "NotAllowlisted",
    `Account ${accountId} is not on the cross-region replication allowlist; only allowlisted accounts may replicate snapshots while the feature is in beta. ${APPLY_HINT}`,
  );

export const serviceAccountRefused = (accountId: string, what: string) =>
  new DomainError(
    "ServiceAccountNotTenant",
    `Account ${accountId} is the account snaprelay is deployed in (the configuration's serviceAccountId), and snaprelay never acts there for a tenant: it ${what}. Call from the account whose snapshots are to be copied.`,
  );

const revoked = (grant: AccountGrant) => {
  const by = grant.revocation
    ? ` by ${grant.revocation.by} at ${grant.revocation.at}${grant.revocation.note ? ` (${grant.revocation.note})` : ""}`
    : "";
  return new DomainError(
    "AccountRevoked",
    `Account ${grant.accountId}'s access was revoked${by}: snaprelay starts no new work for it. ${APPLY_HINT}`,
  );
};

/**
 * Tries the grant's role now: a success marks the grant CONNECTED and answers it; a failure is
 * recorded on the grant and answered as its reason.
 */
const tryRole = async (
  grant: AccountGrant,
  roles: AccountRoles,
  deps: Pick<TenancyDeps, "access">,
  now: Date,
): Promise<{ connected: AccountGrant } | { failure: string }> => {
  try {
    await roles.tryAssume(grant.accountId, grant.externalId);
  } catch (error) {
    const failure = errorMessage(error);
    await deps.access.recordConnectFailure(grant.accountId, now.toISOString(), failure);
    return { failure };
  }
  return {
    connected: (await deps.access.markConnected(grant.accountId, now.toISOString())) ?? grant,
  };
};

/** When a pending account's role is tried next at its requests: a window after the last try. */
const nextTryAt = (lastTry: string | null, now: Date): Date =>
  new Date(
    Math.max(
      now.getTime(),
      lastTry === null ? 0 : Date.parse(lastTry) + CONNECT_RETRY_SECONDS * 1000,
    ),
  );

/**
 * A pending account at its request: its role is tried, by one caller at most every
 * CONNECT_RETRY_SECONDS, and a success lets the request through.
 */
const pendingRefusal = async (
  grant: AccountGrant,
  deps: TenancyDeps,
): Promise<DomainError | undefined> => {
  const now = deps.clock.now();
  const triedBefore = new Date(now.getTime() - CONNECT_RETRY_SECONDS * 1000).toISOString();
  if (
    !deps.roles ||
    !(await deps.access.claimConnectAttempt(grant.accountId, now.toISOString(), triedBefore))
  ) {
    return notConnected(grant, deps.tenancy, nextTryAt(grant.connectAttemptAt, now));
  }
  const outcome = await tryRole(grant, deps.roles, deps, now);
  if ("failure" in outcome) {
    return notConnected(
      { ...grant, connectFailure: { at: now.toISOString(), reason: outcome.failure } },
      deps.tenancy,
      nextTryAt(now.toISOString(), now),
    );
  }
  // Revoked while its role was being tried: the revoke stands.
  return outcome.connected.status === "REVOKED" ? revoked(outcome.connected) : undefined;
};

const grantRefusal = async (
  grant: AccountGrant,
  deps: TenancyDeps,
): Promise<DomainError | undefined> => {
  switch (grant.status) {
    case "CONNECTED":
      return undefined;
    case "REVOKED":
      return revoked(grant);
    case "PENDING_CONNECTION":
      return pendingRefusal(grant, deps);
  }
};

/** The seed, the approved and connected accounts; never snaprelay's own account. */
export const tenantAllowlist = (deps: TenancyDeps): Allowlist => ({
  refusal: async (accountId) => {
    const standing = await standingOf(accountId, deps);
    switch (standing.kind) {
      case "service":
        return serviceAccountRefused(accountId, "cannot replicate as a tenant");
      case "seeded":
        return undefined;
      case "none":
        return notAllowlisted(accountId);
      case "granted":
        return grantRefusal(standing.grant, deps);
    }
  },
});

/** The seed, then the accounts approved since, with nothing that tries a role (for tests). */
export const allowlistOf = (seed: readonly string[], store: AccessStore): Allowlist =>
  tenantAllowlist({
    access: store,
    clock: systemClock,
    tenancy: {
      serviceAccountId: "",
      partition: "aws",
      accountRoleName: "snaprelay-access",
      allowlistedAccounts: [...seed],
      accountRoleExternalId: undefined,
    },
  });

/** The seed alone: for code that runs where no approval can be read (and for tests). */
export const seededAllowlist = (seed: readonly string[]): Allowlist => ({
  refusal: async (accountId) => (seed.includes(accountId) ? undefined : notAllowlisted(accountId)),
});

export const assertAllowlisted = async (accountId: string, allowlist: Allowlist) => {
  const refusal = await allowlist.refusal(accountId);
  if (refusal) throw refusal;
};

/**
 * The external id snaprelay passes when it assumes an account's role: the deployment's for a
 * seeded account (the operator's choice), an approved account's own (an approval of an older
 * build's: the deployment's).
 */
export const externalIdOf =
  (
    tenancy: Pick<TenancySettings, "allowlistedAccounts" | "accountRoleExternalId">,
    store: Pick<AccessStore, "grant">,
  ) =>
  async (accountId: string): Promise<string | undefined> => {
    if (tenancy.allowlistedAccounts.includes(accountId)) return tenancy.accountRoleExternalId;
    return (await store.grant(accountId))?.externalId ?? tenancy.accountRoleExternalId;
  };

/** What POST /account/connect answers: the role snaprelay assumed, and since when it may. */
export interface AccountConnection {
  accountId: string;
  status: "CONNECTED";
  roleArn: string;
  /** When the role was first assumed with the account's external id (now, for a seeded one). */
  connectedAt: string;
  /** Seeded by ALLOWLISTED_ACCOUNTS: its role asks the deployment's external id. */
  seeded: boolean;
}

/**
 * The tenant's own connect: snaprelay tries the account's role at once. A pending account becomes
 * CONNECTED; a failure is 403 saying what to create. A connected or seeded account is checked.
 */
export const connectAccount = async (
  accountId: string,
  deps: TenancyDeps & { roles: AccountRoles },
): Promise<AccountConnection> => {
  const standing = await standingOf(accountId, deps);
  const now = deps.clock.now();
  const roleArn = roleArnOf(accountId, deps.tenancy);
  switch (standing.kind) {
    case "service":
      throw serviceAccountRefused(accountId, "has no role to connect");
    case "none":
      throw notAllowlisted(accountId);
    case "seeded":
      try {
        await deps.roles.tryAssume(accountId, deps.tenancy.accountRoleExternalId);
      } catch (error) {
        throw new DomainError(
          "AccountAccessDenied",
          `snaprelay cannot assume the role ${roleArn}: ${errorMessage(error).replace(/[.\s]+$/, "")}. Account ${accountId} is seeded by the deployment (ALLOWLISTED_ACCOUNTS): its role trusts account ${deps.tenancy.serviceAccountId} with the deployment's external id, which snaprelay's operator gives.`,
        );
      }
      return {
        accountId,
        status: "CONNECTED",
        roleArn,
        connectedAt: now.toISOString(),
        seeded: true,
      };
    case "granted": {
      const { grant } = standing;
      if (grant.status === "REVOKED") throw revoked(grant);
      const outcome = await tryRole(grant, deps.roles, deps, now);
      if ("failure" in outcome) {
        throw grant.status === "CONNECTED"
          ? roleRefused(grant, deps.tenancy, outcome.failure)
          : notConnected(
              { ...grant, connectFailure: { at: now.toISOString(), reason: outcome.failure } },
              deps.tenancy,
              nextTryAt(now.toISOString(), now),
            );
      }
      if (outcome.connected.status === "REVOKED") throw revoked(outcome.connected);
      return {
        accountId,
        status: "CONNECTED",
        roleArn,
        connectedAt: outcome.connected.connectedAt ?? now.toISOString(),
        seeded: false,
      };
    }
  }
};

export const AccessApplicationSchema = z.strictObject({
  reason: z
    .string()
    .trim()
    .min(10, "must say in at least 10 characters what the account will replicate, and why")
    .max(1000, "must be at most 1000 characters")
    .regex(PRINTABLE, PRINTABLE_MESSAGE),
  contact: z
    .string()
    .trim()
    .min(3, "must be an email address or a name to reach")
    .max(200, "must be at most 200 characters")
    .regex(PRINTABLE, PRINTABLE_MESSAGE),
});

export const AccessDecisionSchema = z.strictObject({
  note: z
    .string()
    .trim()
    .min(1)
    .max(1000, "must be at most 1000 characters")
    .regex(PRINTABLE, PRINTABLE_MESSAGE)
    .optional(),
});

/** An admin's note on a decision (an approval, a rejection, a revoke): optional. */
export const decisionNote = (body: unknown): string | null =>
  parseWith(AccessDecisionSchema, body ?? {}, "body").note ?? null;

export interface AccessDeps extends Pick<TenancyDeps, "access" | "clock" | "tenancy"> {
  newRequestId?: () => string;
  newExternalId?: () => string;
}

export const submitAccessRequest = async (
  accountId: string,
  body: unknown,
  deps: AccessDeps,
): Promise<AccessRequest> => {
  const application = parseWith(AccessApplicationSchema, body, "body");
  const standing = await standingOf(accountId, deps);
  if (standing.kind === "service")
    throw serviceAccountRefused(accountId, "cannot apply for access");
  if (standing.kind === "seeded") {
    throw new DomainError(
      "AlreadyAllowlisted",
      `Account ${accountId} is on the allowlist already (seeded by the deployment): it may replicate snapshots now.`,
    );
  }
  if (standing.kind === "granted" && standing.grant.status !== "REVOKED") {
    throw new DomainError(
      "AlreadyAllowlisted",
      standing.grant.status === "CONNECTED"
        ? `Account ${accountId} is approved and connected already: it may replicate snapshots now.`
        : `Account ${accountId} is approved already (${standing.grant.requestId}): create its role as GET /access-requests/${standing.grant.requestId} shows, then call POST /account/connect.`,
    );
  }
  const request: AccessRequest = {
    requestId: (deps.newRequestId ?? (() => `acc-${randomUUID()}`))(),
    accountId,
    reason: application.reason,
    contact: application.contact,
    status: "OPEN",
    createdAt: deps.clock.now().toISOString(),
    decision: null,
  };
  await deps.access.submit(request);
  return request;
};

/** The caller's own request; another account's is as absent as one that never was. */
export const ownAccessRequest = async (
  accountId: string | undefined,
  requestId: string,
  deps: Pick<AccessDeps, "access">,
): Promise<AccessRequest> => {
  const request = await deps.access.get(requestId);
  if (!request || (accountId !== undefined && request.accountId !== accountId)) {
    throw new DomainError(
      "AccessRequestNotFound",
      `No access request ${requestId} for this account.`,
    );
  }
  return request;
};

/**
 * An admin's decision. An approval makes the account's external id and grants it
 * PENDING_CONNECTION: it replicates once snaprelay has assumed its role with that id.
 */
export const decideAccessRequest = async (
  admin: string,
  requestId: string,
  status: "APPROVED" | "REJECTED",
  body: unknown,
  deps: AccessDeps,
): Promise<AccessRequest> => {
  const note = decisionNote(body);
  const request = await ownAccessRequest(undefined, requestId, deps);
  if (status === "APPROVED" && request.accountId === deps.tenancy.serviceAccountId) {
    throw serviceAccountRefused(request.accountId, "cannot be approved as a tenant");
  }
  const decision = { by: admin, at: deps.clock.now().toISOString(), note };
  return deps.access.decide(
    requestId,
    status === "APPROVED"
      ? { status, externalId: (deps.newExternalId ?? newExternalId)() }
      : { status },
    decision,
  );
};

export const ACCESS_STATUSES: readonly AccessRequestStatus[] = ["OPEN", "APPROVED", "REJECTED"];
