// The beta's application form and its review. An account not on the allowlist applies
// (POST /access-requests) and reads its own request; an admin (a token with the admin role)
// lists requests and approves or rejects them, and an approval lets the account in at once.
import { z } from "zod";
import {
  ACCESS_STATUSES,
  decideAccessRequest,
  ownAccessRequest,
  submitAccessRequest,
} from "../../core/access.js";
import { DomainError } from "../../core/errors.js";
import { parseWith } from "../../core/request.js";
import type { ApiDeps } from "../../wiring.js";
import { json } from "../http.js";
import { type ApiEvent, type Caller, jsonBody, pathParameter } from "../request-context.js";

export const applyForAccess = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const request = await submitAccessRequest(caller.accountId, jsonBody(event), deps);
  return json(201, request, { location: `/access-requests/${request.requestId}` });
};

export const getAccessRequest = async (event: ApiEvent, caller: Caller, deps: ApiDeps) =>
  json(200, await ownAccessRequest(caller.accountId, pathParameter(event, "requestId"), deps));

export const AccessListQuerySchema = z.strictObject({
  status: z.enum(ACCESS_STATUSES as ["OPEN", "APPROVED", "REJECTED"]).default("OPEN"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  nextToken: z.string().min(1).max(2048).optional(),
});

/** Admin routes: the caller's token must carry the admin role. */
const assertAdmin = (caller: Caller) => {
  if (!caller.admin) {
    throw new DomainError(
      "NotAdmin",
      "Only an admin may review access requests: use a token with the admin role (npm run token -- --admin).",
    );
  }
};

export const listAccessRequests = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  assertAdmin(caller);
  const query = parseWith(AccessListQuerySchema, event.queryStringParameters ?? {}, "query");
  const page = await deps.access.list(query.status, query.limit, query.nextToken);
  return json(200, {
    requests: page.requests,
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  });
};

const decide =
  (status: "APPROVED" | "REJECTED") => async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
    assertAdmin(caller);
    const decided = await decideAccessRequest(
      caller.accountId,
      pathParameter(event, "requestId"),
      status,
      event.body ? jsonBody(event) : {},
      deps,
    );
    return json(200, decided);
  };

export const approveAccessRequest = decide("APPROVED");
export const rejectAccessRequest = decide("REJECTED");
