// Reading an HTTP API event: the caller the authorizer vouched for, the JSON body, the path and
// query parameters. Each refusal is a named error with the contract's message.
import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from "aws-lambda";
import { z } from "zod";
import { DomainError } from "../core/errors.js";
import { parseWith, RegionSchema, SnapshotIdSchema } from "../core/request.js";
import type { Identity } from "../core/sign-in.js";

/** What the authorizer hands the API: who the caller is, or why it was refused. */
export type AuthorizerContext =
  | Identity
  | { refusal: string; refusalCode: "Unauthorized" | "IdentityUnavailable" };

/** The context as the API reads it: any of its fields may be missing, or come as a string. */
type ReceivedContext = Partial<Record<keyof Identity | "refusal" | "refusalCode", unknown>>;

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<ReceivedContext>;

/** Who is calling, as the authorizer vouched for it. */
export type Caller = Identity;

/** What a route knows of the request beyond its event: its id and when it must be answered. */
export interface RequestScope {
  requestId: string;
  answerBy: Date;
}

/**
 * The authenticated caller; 401 with the authorizer's reason otherwise. What the caller showed is
 * checked against its expiry here too: should the authorizer's verdicts ever be cached (its
 * resultTtlInSeconds is 0 today), a proof or a session still ends when it says, not a cache later.
 */
export const callerOf = (event: ApiEvent, now: Date = new Date()): Caller => {
  const verdict = event.requestContext.authorizer?.lambda ?? {};
  if (typeof verdict.accountId !== "string" || typeof verdict.principalArn !== "string") {
    const code =
      verdict.refusalCode === "IdentityUnavailable" ? "IdentityUnavailable" : "Unauthorized";
    throw new DomainError(
      code,
      (typeof verdict.refusal === "string" ? verdict.refusal : undefined) ??
        "Authorization refused: send a proof of your AWS identity (README: Authentication).",
      code === "IdentityUnavailable" ? { retryAfterSeconds: 5 } : undefined,
    );
  }
  const expiresAt = String(verdict.expiresAt ?? "");
  if (!(Date.parse(expiresAt) > now.getTime())) {
    throw new DomainError(
      "Unauthorized",
      `Authorization refused: what you signed in with expired at ${expiresAt || "an unknown time"}; make a new proof (\`snaprelay proof\`) or sign in again (\`snaprelay console\`).`,
    );
  }
  return {
    accountId: verdict.accountId,
    principalArn: verdict.principalArn,
    // The context's values come through as the authorizer gave them, or as strings.
    admin: String(verdict.admin) === "true",
    expiresAt,
    via: verdict.via === "session" ? "session" : "proof",
  };
};

/** No request of the API needs more: a larger body is refused before it is read. */
export const MAX_BODY_BYTES = 64 * 1024;

export const jsonBody = (event: ApiEvent): unknown => {
  const bytes = event.body
    ? Buffer.byteLength(event.body, event.isBase64Encoded ? "base64" : "utf8")
    : 0;
  if (bytes > MAX_BODY_BYTES) {
    throw new DomainError(
      "PayloadTooLarge",
      `The request body has ${bytes} bytes; at most ${MAX_BODY_BYTES} are read.`,
    );
  }
  if (!event.body) {
    throw new DomainError(
      "InvalidRequest",
      'The request needs a JSON body, such as {"snapshotId":"snap-…","sourceRegion":"ap-shanghai","destinationRegions":["ap-mumbai"]}.',
    );
  }
  const text = event.isBase64Encoded
    ? Buffer.from(event.body, "base64").toString("utf8")
    : event.body;
  try {
    return JSON.parse(text);
  } catch {
    throw new DomainError(
      "InvalidRequest",
      "The request body is not valid JSON; send a JSON object with snapshotId, sourceRegion and destinationRegions.",
    );
  }
};

/** An id snaprelay made (a job's, a policy's, an access request's): its shape is checked as found. */
const IdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, "must be an id of at most 128 letters, digits, _ and -");

const PATH_PARAMETERS = {
  snapshotId: SnapshotIdSchema,
  region: RegionSchema,
  jobId: IdSchema,
  policyId: IdSchema,
  requestId: IdSchema,
  // A run is named by the time it stands for (a scheduled run) or was asked for (manual-…).
  runId: z
    .string()
    .regex(
      /^(manual-)?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/,
      "must be a run id as GET /policies/{policyId} lists it: an ISO time, or manual- and one",
    ),
  accountId: z.string().regex(/^\d{12}$/, "must be an AWS account id: 12 digits"),
} satisfies Record<string, z.ZodType<string>>;

/** A path parameter, checked like a body's field: a malformed one is a 400 that names it. */
export const pathParameter = (event: ApiEvent, name: keyof typeof PATH_PARAMETERS): string => {
  const raw = event.pathParameters?.[name];
  if (!raw) throw new DomainError("InvalidRequest", `The path needs a ${name}.`);
  // Whether the gateway decoded it or not (a run id's colons may come as %3A).
  let value = raw;
  try {
    value = decodeURIComponent(raw);
  } catch {
    // Not an escape at all: the schema below refuses what it does not allow.
  }
  return parseWith(PATH_PARAMETERS[name], value, `path: ${name}`);
};

/** A header by name, whatever its case: API Gateway lowercases names, serverless-offline does not. */
export const headerValue = (
  headers: Record<string, string | undefined> | undefined,
  name: string,
): string | undefined => {
  const wanted = name.toLowerCase();
  return Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === wanted)?.[1];
};

export const header = (event: ApiEvent, name: string): string | undefined =>
  headerValue(event.headers, name);

/** Admin routes: the caller must be an admin; `what` says what only an admin may do. */
export const assertAdmin = (caller: Caller, what: string) => {
  if (!caller.admin) {
    throw new DomainError(
      "NotAdmin",
      `Only an admin may ${what}: you are signed in as ${caller.principalArn}, which is not one of the admins this deployment names (ADMIN_PRINCIPALS). Sign in as an admin principal.`,
    );
  }
};
