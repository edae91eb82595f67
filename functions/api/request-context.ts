// Reading an HTTP API event: the caller the authorizer vouched for, the JSON body, the path and
// query parameters. Each refusal is a named error with the contract's message.
import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from "aws-lambda";
import { DomainError } from "../core/errors.js";

/** What the authorizer hands the API: who the caller is, or why its token was refused. */
export type AuthorizerContext = { accountId: string; admin: boolean } | { refusal: string };

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<Partial<AuthorizerContext>>;

/** Who is calling, as the authorizer vouched for it: the account, and whether it is an admin. */
export interface Caller {
  accountId: string;
  admin: boolean;
}

/** What a route knows of the request beyond its event: its id and when it must be answered. */
export interface RequestScope {
  requestId: string;
  answerBy: Date;
}

/** The authenticated caller; 401 with the authorizer's reason otherwise. */
export const callerOf = (event: ApiEvent): Caller => {
  const verdict = event.requestContext.authorizer?.lambda;
  if (!verdict || !("accountId" in verdict) || typeof verdict.accountId !== "string") {
    const refusal = verdict && "refusal" in verdict ? verdict.refusal : undefined;
    throw new DomainError(
      "Unauthorized",
      refusal ?? "Authorization refused: send the header `Authorization: Bearer <token>`.",
    );
  }
  // The context's values come through as the authorizer gave them, or as strings.
  const admin = "admin" in verdict && String(verdict.admin) === "true";
  return { accountId: verdict.accountId, admin };
};

export const jsonBody = (event: ApiEvent): unknown => {
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

export const pathParameter = (event: ApiEvent, name: string): string => {
  const value = event.pathParameters?.[name];
  if (!value) throw new DomainError("InvalidRequest", `The path needs a ${name}.`);
  return value;
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
