// The beta's application form and its review. An account not on the allowlist applies
// (POST /access-requests) and reads its own request; an admin (a token with the admin role)
// lists requests and approves or rejects them. An approved request shows the account's access and
// its onboarding: the role to create, with the external id made for it, and how.
import { z } from "zod";
import {
  ACCESS_STATUSES,
  decideAccessRequest,
  ownAccessRequest,
  submitAccessRequest,
} from "../../core/access.js";
import { onboardingOf } from "../../core/onboarding.js";
import type { AccessRequest } from "../../core/ports.js";
import { parseWith } from "../../core/request.js";
import type { ApiDeps } from "../../wiring.js";
import { json } from "../http.js";
import {
  type ApiEvent,
  assertAdmin,
  type Caller,
  jsonBody,
  pathParameter,
} from "../request-context.js";
import { presentGrant, tenancyOf } from "./accounts.js";

/**
 * A request with what it led to: the access it granted (while that grant is the account's) and,
 * until that access is revoked, the onboarding that connects the account.
 */
const requestView = async (request: AccessRequest, deps: ApiDeps) => {
  const grant =
    request.status === "APPROVED" ? await deps.access.grant(request.accountId) : undefined;
  const own = grant?.requestId === request.requestId ? grant : undefined;
  return {
    ...request,
    revocation: request.revocation ?? null,
    access: own ? presentGrant(own) : null,
    onboarding: own && own.status !== "REVOKED" ? onboardingOf(own, deps.config) : null,
  };
};

export const applyForAccess = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const request = await submitAccessRequest(caller.accountId, jsonBody(event), tenancyOf(deps));
  return json(201, request, { location: `/access-requests/${request.requestId}` });
};

export const getAccessRequest = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const request = await ownAccessRequest(caller.accountId, pathParameter(event, "requestId"), deps);
  return json(200, await requestView(request, deps));
};

export const AccessListQuerySchema = z.strictObject({
  status: z.enum(ACCESS_STATUSES as ["OPEN", "APPROVED", "REJECTED"]).default("OPEN"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  nextToken: z.string().min(1).max(2048).optional(),
});

const REVIEW = "review access requests";

export const listAccessRequests = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  assertAdmin(caller, REVIEW);
  const query = parseWith(AccessListQuerySchema, event.queryStringParameters ?? {}, "query");
  const page = await deps.access.list(query.status, query.limit, query.nextToken);
  return json(200, {
    requests: page.requests,
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  });
};

const decide =
  (status: "APPROVED" | "REJECTED") => async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
    assertAdmin(caller, REVIEW);
    const decided = await decideAccessRequest(
      caller.accountId,
      pathParameter(event, "requestId"),
      status,
      event.body ? jsonBody(event) : {},
      tenancyOf(deps),
    );
    return json(200, await requestView(decided, deps));
  };

export const approveAccessRequest = decide("APPROVED");
export const rejectAccessRequest = decide("REJECTED");
