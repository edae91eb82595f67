// The HTTP API's Lambda: one route table, authentication before any private route, and every
// outcome as JSON within the function's time: an answer that cannot be ready in time is a 503
// ServiceBusy with Retry-After, never the runtime's timeout. Each route is a small function.
import type { Context } from "aws-lambda";
import { assertAllowlisted } from "../core/access.js";
import { actingFor } from "../core/acting-for.js";
import { DomainError } from "../core/errors.js";
import { admitRequest } from "../core/limits.js";
import { ENTRY_FUNCTIONS } from "../manifest.js";
import { traced } from "../tracing.js";
import { type ApiDeps, apiDeps } from "../wiring.js";
import { answerInTime, errorResponse, type HttpResponse, json } from "./http.js";
import { openApiDocument } from "./openapi/document.js";
import { type ApiEvent, type Caller, callerOf, type RequestScope } from "./request-context.js";
import {
  applyForAccess,
  approveAccessRequest,
  getAccessRequest,
  listAccessRequests,
  rejectAccessRequest,
} from "./routes/access-requests.js";
import { connectOwnAccount, revokeAccount } from "./routes/accounts.js";
import { consolePage } from "./routes/console.js";
import { getCopySlots } from "./routes/copy-slots.js";
import { health } from "./routes/health.js";
import { getAccountLimits, getOwnLimits, setAccountLimits } from "./routes/limits.js";
import {
  createPolicy,
  deletePolicy,
  getPolicy,
  listPolicies,
  listRunVolumes,
  replacePolicy,
  runPolicyNow,
} from "./routes/policies.js";
import {
  cancelReplication,
  getReplication,
  getReplicationHistory,
  listReplications,
  startReplication,
} from "./routes/replications.js";
import { authRecipe, createSession, deleteSession, getSession } from "./routes/sessions.js";
import { getSnapshot } from "./routes/snapshots.js";

const deps = apiDeps();

type PrivateRoute = (
  event: ApiEvent,
  caller: Caller,
  deps: ApiDeps,
  scope: RequestScope,
) => Promise<HttpResponse>;

const privateRoutes: Record<string, PrivateRoute> = {
  "POST /replications": startReplication,
  "GET /replications": listReplications,
  "GET /replications/{jobId}": getReplication,
  "POST /replications/{jobId}/cancel": cancelReplication,
  "GET /replications/{jobId}/history": getReplicationHistory,
  "GET /regions/{region}/snapshots/{snapshotId}": getSnapshot,
  "GET /regions/{region}/copy-slots": getCopySlots,
  "POST /policies": createPolicy,
  "GET /policies": listPolicies,
  "GET /policies/{policyId}": getPolicy,
  "PUT /policies/{policyId}": replacePolicy,
  "DELETE /policies/{policyId}": deletePolicy,
  "POST /policies/{policyId}/run": runPolicyNow,
  "GET /policies/{policyId}/runs/{runId}/volumes": listRunVolumes,
};

/** Routes any authenticated account may call, allowlisted or not (admin routes check the role). */
const accountRoutes: Record<string, PrivateRoute> = {
  "POST /sessions": createSession,
  "GET /session": getSession,
  "DELETE /session": deleteSession,
  "POST /access-requests": applyForAccess,
  "GET /access-requests/{requestId}": getAccessRequest,
  "GET /admin/access-requests": listAccessRequests,
  "POST /admin/access-requests/{requestId}/approve": approveAccessRequest,
  "POST /admin/access-requests/{requestId}/reject": rejectAccessRequest,
  "POST /account/connect": connectOwnAccount,
  "POST /admin/accounts/{accountId}/revoke": revokeAccount,
  "GET /limits": getOwnLimits,
  "GET /admin/accounts/{accountId}/limits": getAccountLimits,
  "PUT /admin/accounts/{accountId}/limits": setAccountLimits,
};

// Room left before the function's own timeout for the busy answer to get out.
const ANSWER_MARGIN_MS = 1_500;

export const handler = traced(
  ENTRY_FUNCTIONS.api.name,
  async (
    event: ApiEvent,
    context: Pick<Context, "awsRequestId" | "getRemainingTimeInMillis">,
  ): Promise<HttpResponse> => {
    const scope: RequestScope = {
      requestId: context.awsRequestId,
      answerBy: new Date(Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS),
    };
    let response: HttpResponse;
    try {
      response = await answerInTime(scope.answerBy, async () => {
        if (event.routeKey === "GET /health") return health(deps);
        if (event.routeKey === "GET /openapi.json") return json(200, openApiDocument());
        if (event.routeKey === "GET /console") return consolePage();
        if (event.routeKey === "GET /auth") return authRecipe(deps);
        const caller = callerOf(event);
        // Counted per real second, whatever clock the jobs' times are read from.
        await admitRequest(caller.accountId, Math.floor(Date.now() / 1000), deps);
        const open = accountRoutes[event.routeKey];
        if (open) return open(event, caller, deps, scope);
        const route = privateRoutes[event.routeKey];
        if (!route) throw new DomainError("RouteNotFound", `No route ${event.routeKey}.`);
        // Read at each request: a connected account is let in, and a revoked one refused, at once.
        await assertAllowlisted(caller.accountId, deps.allowlist);
        // The tenant's CloudTrail names the API as what read its snapshots for this request.
        return actingFor("api", () => route(event, caller, deps, scope));
      });
    } catch (error) {
      response = errorResponse(error, scope.requestId);
      // A refusal of the request itself (bad input, not allowed, not found, in conflict): counted
      // by its code. Busy answers and our own failures are not refusals.
      if (error instanceof DomainError && (response.statusCode ?? 500) < 500) {
        deps.metrics.rejected(error.code);
      }
    }
    return { ...response, headers: { ...response.headers, "x-request-id": scope.requestId } };
  },
);
