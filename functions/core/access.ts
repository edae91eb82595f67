// Who may replicate while the feature is in beta (the seed's first rule), and how an account
// asks. The allowlist is the deployment's seed (ALLOWLISTED_ACCOUNTS) together with every account
// an admin has approved; it is read at each request, so an approval takes effect at once, with
// no redeploy and no restart. An account not on it applies with a reason and a contact; an admin
// approves or rejects, and each decision records who, when and why.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { DomainError } from "./errors.js";
import type { AccessRequest, AccessRequestStatus, AccessStore, Clock } from "./ports.js";
import { PRINTABLE, PRINTABLE_MESSAGE, parseWith } from "./request.js";

/** Whether an account may replicate now. */
export interface Allowlist {
  has(accountId: string): Promise<boolean>;
}

/** The deployment's seed, then the accounts approved since (one read, for accounts not seeded). */
export const allowlistOf = (
  seed: readonly string[],
  store: Pick<AccessStore, "isGranted">,
): Allowlist => ({
  has: async (accountId) => seed.includes(accountId) || store.isGranted(accountId),
});

/** The seed alone: for code that runs where no approval can be read (and for tests). */
export const seededAllowlist = (seed: readonly string[]): Allowlist => ({
  has: async (accountId) => seed.includes(accountId),
});

export const assertAllowlisted = async (accountId: string, allowlist: Allowlist) => {
  if (!(await allowlist.has(accountId))) {
    throw new DomainError(
      "NotAllowlisted",
      `Account ${accountId} is not on the cross-region replication allowlist; only allowlisted accounts may replicate snapshots while the feature is in beta. Apply with POST /access-requests {"reason": "…", "contact": "…"}.`,
    );
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

export interface AccessDeps {
  access: AccessStore;
  allowlist: Allowlist;
  clock: Clock;
  newRequestId?: () => string;
}

export const submitAccessRequest = async (
  accountId: string,
  body: unknown,
  deps: AccessDeps,
): Promise<AccessRequest> => {
  const application = parseWith(AccessApplicationSchema, body, "body");
  if (await deps.allowlist.has(accountId)) {
    throw new DomainError(
      "AlreadyAllowlisted",
      `Account ${accountId} is on the allowlist already: it may replicate snapshots now.`,
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

export const decideAccessRequest = async (
  admin: string,
  requestId: string,
  status: "APPROVED" | "REJECTED",
  body: unknown,
  deps: Pick<AccessDeps, "access" | "clock">,
): Promise<AccessRequest> => {
  const { note } = parseWith(AccessDecisionSchema, body ?? {}, "body");
  await ownAccessRequest(undefined, requestId, deps);
  return deps.access.decide(requestId, status, {
    by: admin,
    at: deps.clock.now().toISOString(),
    note: note ?? null,
  });
};

export const ACCESS_STATUSES: readonly AccessRequestStatus[] = ["OPEN", "APPROVED", "REJECTED"];
