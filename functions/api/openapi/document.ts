// The OpenAPI 3.1 document of the HTTP API (GET /openapi.json), generated from the same zod
// schemas the routes check requests with and the presenters are typed by: it cannot drift from
// the code. Built once per Lambda instance.
import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type RouteConfig,
} from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { AccessApplicationSchema, AccessDecisionSchema } from "../../core/access.js";
import { PolicyRequestSchema } from "../../core/policies/policy.js";
import { RegionSchema, ReplicationRequestSchema, SnapshotIdSchema } from "../../core/request.js";
import { AccessListQuerySchema } from "../routes/access-requests.js";
import { SetLimitsBodySchema } from "../routes/limits.js";
import { PolicyListQuerySchema, RunVolumesQuerySchema } from "../routes/policies.js";
import {
  CancelBodySchema,
  HistoryQuerySchema,
  JobListQuerySchema,
} from "../routes/replications.js";
import { SessionRequestSchema } from "../routes/sessions.js";
import {
  AccessRequestListSchema,
  AccessRequestSchema,
  AccountConnectionSchema,
  AccountLimitsSchema,
  AccountRevocationSchema,
  CopySlotsSchema,
  ErrorBodySchema,
  GatewayRefusalSchema,
  HealthSchema,
  HistorySchema,
  JobBodySchema,
  JobListSchema,
  NewSessionSchema,
  PolicyDetailSchema,
  PolicyListSchema,
  PolicyRunSchema,
  PolicyWithWarningsSchema,
  ProofRecipeSchema,
  RunVolumeListSchema,
  SessionSchema,
  SignOutSchema,
  SnapshotSchema,
} from "./schemas.js";

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const errors = (...statuses: number[]) => {
  const meaning: Record<number, string> = {
    400: "Bad input: the message names the field and what is allowed.",
    401: "No proof of identity, or one that does not hold (unsigned, signed with a wrong secret, older than 15 minutes, for another audience), or a session that expired or was signed out: the message says what to do.",
    403: "The account is not allowlisted, not connected yet (its role to create is named), revoked, or snaprelay's own; or snaprelay cannot act in it; or the route is an admin's.",
    404: "No such resource in the caller's account.",
    409: "A conflict with the resource's state (the message says which).",
    413: "The body is larger than the API reads (64 KiB).",
    429: "Over one of the account's limits (requests per second, jobs in flight): retry after Retry-After seconds, or ask an admin for more (GET /limits shows them).",
    503: "Busy, or STS could not be asked who signed: try again after Retry-After seconds.",
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      // A request with no Authorization header at all is refused by API Gateway, in its words.
      status === 401
        ? json(z.union([ErrorBodySchema, GatewayRefusalSchema]), meaning[status] ?? "")
        : json(ErrorBodySchema, meaning[status] ?? "Refused."),
    ]),
  );
};

const JobIdParams = z.object({ jobId: z.string().openapi({ example: "job-5f1b2c3d-…" }) });
const PolicyIdParams = z.object({ policyId: z.string().openapi({ example: "pol-3f2e…" }) });
const RegionParams = z.object({ region: RegionSchema });
const AccountIdParams = z.object({ accountId: z.string().openapi({ example: "123456789012" }) });
const RequestIdParams = z.object({ requestId: z.string().openapi({ example: "acc-7d0c…" }) });
const IdempotencyHeaders = z.object({
  "Idempotency-Key": z
    .string()
    .optional()
    .openapi({ description: "The same key and body again answers the first job." }),
});

const PRIVATE = [401, 403, 429, 503];
/** Routes any authenticated account may call: no allowlist, so no 403 for it. */
const ACCOUNT = [401, 429, 503];
/** Routes of a tenant's own access: refused (403) to snaprelay's own account, or once revoked. */
const TENANT = [403, ...ACCOUNT];

const routes: RouteConfig[] = [
  {
    method: "get",
    path: "/auth",
    summary:
      "How to prove who you are: presign sts:GetCallerIdentity for this endpoint and region, covering this audience header",
    responses: { 200: json(ProofRecipeSchema, "The recipe.") },
  },
  {
    method: "post",
    path: "/sessions",
    summary:
      "Turn a proof of identity into a short-lived session (the console's sign-in); its token is shown once",
    request: {
      body: { required: false, content: { "application/json": { schema: SessionRequestSchema } } },
    },
    responses: {
      201: json(
        NewSessionSchema,
        "The session: send its token as `Authorization: Bearer <token>`.",
      ),
      ...errors(400, 413, ...ACCOUNT),
    },
  },
  {
    method: "get",
    path: "/session",
    summary: "Who is signed in: the account, the principal, whether an admin, and until when",
    responses: { 200: json(SessionSchema, "The caller."), ...errors(...ACCOUNT) },
  },
  {
    method: "delete",
    path: "/session",
    summary: "Sign out: the session shown ends now (a proof has no session to end)",
    responses: { 200: json(SignOutSchema, "Whether a session ended."), ...errors(...ACCOUNT) },
  },
  {
    method: "get",
    path: "/health",
    summary: "Whether the stack can serve",
    responses: { 200: json(HealthSchema, "It can."), 503: json(ErrorBodySchema, "It cannot.") },
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    responses: { 200: { description: "The OpenAPI 3.1 document." } },
  },
  {
    method: "get",
    path: "/console",
    summary: "The ops console's page (it signs in with a token in the browser)",
    responses: {
      200: { description: "The page.", content: { "text/html": { schema: z.string() } } },
      503: json(ErrorBodySchema, "The console is not built into this package."),
    },
  },
  {
    method: "post",
    path: "/replications",
    summary: "Start copying a snapshot to one or more regions",
    request: {
      headers: IdempotencyHeaders,
      body: { content: { "application/json": { schema: ReplicationRequestSchema } } },
    },
    responses: {
      202: json(JobBodySchema, "The job, accepted."),
      ...errors(400, 409, 413, ...PRIVATE),
    },
  },
  {
    method: "get",
    path: "/replications",
    summary: "The account's jobs, newest first",
    request: { query: JobListQuerySchema },
    responses: { 200: json(JobListSchema, "A page of jobs."), ...errors(400, ...PRIVATE) },
  },
  {
    method: "get",
    path: "/replications/{jobId}",
    summary: "A job, with each copy's live progress, ETA and queue position",
    request: { params: JobIdParams },
    responses: { 200: json(JobBodySchema, "The job."), ...errors(400, 404, ...PRIVATE) },
  },
  {
    method: "post",
    path: "/replications/{jobId}/cancel",
    summary: "Cancel a running job: stop it and clean up its copies",
    request: {
      params: JobIdParams,
      body: { required: false, content: { "application/json": { schema: CancelBodySchema } } },
    },
    responses: {
      202: json(JobBodySchema, "The job, CANCELLED (again, if it was already)."),
      ...errors(400, 404, 409, 413, ...PRIVATE),
    },
  },
  {
    method: "get",
    path: "/replications/{jobId}/history",
    summary: "The job's execution, one entry per state, a page at a time",
    description:
      "Each page reads one page of the execution's history. Errors are snaprelay's codes and messages only. A nextToken belongs to the job it was given for and is read on from within 24 hours.",
    request: { params: JobIdParams, query: HistoryQuerySchema },
    responses: { 200: json(HistorySchema, "A page of history."), ...errors(400, 404, ...PRIVATE) },
  },
  {
    method: "get",
    path: "/regions/{region}/snapshots/{snapshotId}",
    summary: "A snapshot as the cloud shows it, with its replication status",
    request: { params: RegionParams.extend({ snapshotId: SnapshotIdSchema }) },
    responses: { 200: json(SnapshotSchema, "The snapshot."), ...errors(400, 404, ...PRIVATE) },
  },
  {
    method: "get",
    path: "/regions/{region}/copy-slots",
    summary: "The region's copy slots: limit, holders and queue length",
    request: { params: RegionParams },
    responses: { 200: json(CopySlotsSchema, "The slots."), ...errors(400, ...PRIVATE) },
  },
  {
    method: "post",
    path: "/policies",
    summary: "Declare a scheduled DR policy",
    request: { body: { content: { "application/json": { schema: PolicyRequestSchema } } } },
    responses: {
      201: json(PolicyWithWarningsSchema, "The policy, with advice."),
      ...errors(400, 409, 413, ...PRIVATE),
    },
  },
  {
    method: "get",
    path: "/policies",
    summary: "The account's DR policies",
    request: { query: PolicyListQuerySchema },
    responses: { 200: json(PolicyListSchema, "A page of policies."), ...errors(400, ...PRIVATE) },
  },
  {
    method: "get",
    path: "/policies/{policyId}",
    summary: "A policy, with each volume's recovery point, its last runs and deletions",
    request: { params: PolicyIdParams },
    responses: { 200: json(PolicyDetailSchema, "The policy."), ...errors(400, 404, ...PRIVATE) },
  },
  {
    method: "put",
    path: "/policies/{policyId}",
    summary: "Replace a policy",
    request: {
      params: PolicyIdParams,
      body: { content: { "application/json": { schema: PolicyRequestSchema } } },
    },
    responses: {
      200: json(PolicyWithWarningsSchema, "The policy, with advice."),
      ...errors(400, 404, 413, ...PRIVATE),
    },
  },
  {
    method: "delete",
    path: "/policies/{policyId}",
    summary: "Delete a policy (its copies stay)",
    request: { params: PolicyIdParams },
    responses: { 204: { description: "Deleted." }, ...errors(400, 404, ...PRIVATE) },
  },
  {
    method: "post",
    path: "/policies/{policyId}/run",
    summary: "Run a policy now",
    request: { params: PolicyIdParams },
    responses: {
      202: json(PolicyRunSchema, "The run, started."),
      ...errors(400, 404, ...PRIVATE),
    },
  },
  {
    method: "get",
    path: "/policies/{policyId}/runs/{runId}/volumes",
    summary:
      "Every volume a policy run selected and what it did with each (its job, why it needed none, or why it failed), page by page",
    request: {
      params: PolicyIdParams.extend({
        runId: z.string().openapi({ example: "2026-12-07T10:00:00.000Z" }),
      }),
      query: RunVolumesQuerySchema,
    },
    responses: {
      200: json(RunVolumeListSchema, "A page of the run's volumes, by outcome and volume id."),
      ...errors(400, 404, ...PRIVATE),
    },
  },
  {
    method: "post",
    path: "/access-requests",
    summary: "Apply for access while the feature is in beta (any authenticated account)",
    request: { body: { content: { "application/json": { schema: AccessApplicationSchema } } } },
    responses: {
      201: json(AccessRequestSchema, "The request, OPEN."),
      ...errors(400, 409, 413, ...TENANT),
    },
  },
  {
    method: "get",
    path: "/access-requests/{requestId}",
    summary:
      "The caller's own access request; approved, with the account's access and its onboarding (the role to create, its external id and template)",
    request: { params: RequestIdParams },
    responses: { 200: json(AccessRequestSchema, "The request."), ...errors(400, 404, ...ACCOUNT) },
  },
  {
    method: "post",
    path: "/account/connect",
    summary:
      "Connect the caller's approved account: snaprelay assumes its role with the account's external id now",
    description:
      "A pending account becomes CONNECTED and may replicate at once. A role snaprelay cannot assume is a 403 naming the role to create, the account it trusts, the external id and the template; a connected or seeded account is checked the same way.",
    responses: {
      200: json(AccountConnectionSchema, "The role was assumed."),
      ...errors(...TENANT),
    },
  },
  {
    method: "get",
    path: "/admin/access-requests",
    summary: "Access requests by status, newest first (admin)",
    request: { query: AccessListQuerySchema },
    responses: {
      200: json(AccessRequestListSchema, "A page of requests."),
      ...errors(400, ...PRIVATE),
    },
  },
  {
    method: "post",
    path: "/admin/access-requests/{requestId}/approve",
    summary:
      "Approve a request: the account gets its own external id, and replicates once snaprelay has assumed its role with it (admin)",
    request: {
      params: RequestIdParams,
      body: { required: false, content: { "application/json": { schema: AccessDecisionSchema } } },
    },
    responses: {
      200: json(AccessRequestSchema, "The request, APPROVED, with its onboarding."),
      ...errors(400, 404, 409, 413, ...PRIVATE),
    },
  },
  {
    method: "post",
    path: "/admin/access-requests/{requestId}/reject",
    summary: "Reject a request (admin)",
    request: {
      params: RequestIdParams,
      body: { required: false, content: { "application/json": { schema: AccessDecisionSchema } } },
    },
    responses: {
      200: json(AccessRequestSchema, "The request, REJECTED."),
      ...errors(400, 404, 409, 413, ...PRIVATE),
    },
  },
  {
    method: "post",
    path: "/admin/accounts/{accountId}/revoke",
    summary:
      "Revoke an approved account's access: no new work, its jobs in flight cancelled (admin)",
    request: {
      params: AccountIdParams,
      body: { required: false, content: { "application/json": { schema: AccessDecisionSchema } } },
    },
    responses: {
      200: json(AccountRevocationSchema, "The access, REVOKED, and the jobs cancelled."),
      ...errors(400, 404, 409, 413, ...PRIVATE),
    },
  },
  {
    method: "get",
    path: "/limits",
    summary: "The caller's own limits, and what it uses of them now",
    responses: { 200: json(AccountLimitsSchema, "The limits."), ...errors(...ACCOUNT) },
  },
  {
    method: "get",
    path: "/admin/accounts/{accountId}/limits",
    summary: "An account's limits (admin)",
    request: { params: AccountIdParams },
    responses: { 200: json(AccountLimitsSchema, "The limits."), ...errors(400, ...PRIVATE) },
  },
  {
    method: "put",
    path: "/admin/accounts/{accountId}/limits",
    summary:
      "Set an account's own limits over the defaults; a limit left out follows the default (admin)",
    request: {
      params: AccountIdParams,
      body: { content: { "application/json": { schema: SetLimitsBodySchema } } },
    },
    responses: {
      200: json(AccountLimitsSchema, "The limits, as they now hold."),
      ...errors(400, 413, ...PRIVATE),
    },
  },
];

/** Routes anyone may call; every other needs a proof of identity or a session. */
const PUBLIC = new Set(["/health", "/openapi.json", "/console", "/auth"]);

let built: object | undefined;

export const openApiDocument = (): object => {
  if (built) return built;
  const registry = new OpenAPIRegistry();
  const proof = registry.registerComponent("securitySchemes", "awsIdentityProof", {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description:
      "`SnapRelay-STS <base64url of a presigned URL>`: sts:GetCallerIdentity presigned (SigV4) with the caller's own AWS credentials for the endpoint and region GET /auth names, its signature covering the header `x-snaprelay-audience: <audience>`, X-Amz-Expires at most 900. snaprelay sends it to STS, which answers the account and principal; a proof is good for 15 minutes from its signing. `snaprelay proof` makes one.",
  });
  const session = registry.registerComponent("securitySchemes", "session", {
    type: "http",
    scheme: "bearer",
    description:
      "A session's token from POST /sessions (`srs_…`), good until its expiresAt or DELETE /session.",
  });
  for (const route of routes) {
    registry.registerPath({
      ...route,
      ...(PUBLIC.has(route.path)
        ? {}
        : route.method === "post" && route.path === "/sessions"
          ? // A session is made from a proof only, never from another session.
            { security: [{ [proof.name]: [] }] }
          : { security: [{ [proof.name]: [] }, { [session.name]: [] }] }),
    });
  }
  built = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "snaprelay",
      version: "1",
      description:
        "Cross-region snapshot replication: start copies, watch jobs, cancel them, read their history, and declare scheduled DR policies.",
    },
  });
  return built;
};
