// The Lambda authorizer of the HTTP API. It verifies the bearer token and hands the API the
// verdict in its context: the account id, or why the token was refused. HTTP APIs cannot shape
// an authorizer's denial, so the API itself answers 401 with the contract's error body.
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from "aws-lambda";
import { loadConfig } from "../config.js";
import { isDomainError } from "../core/errors.js";
import { headerValue } from "./request-context.js";
import { bearerToken, verifyToken } from "./tokens.js";

export type AuthorizerContext = { accountId: string; admin: boolean } | { refusal: string };

// Only the token settings: the authorizer needs no AWS client.
const config = loadConfig();
const settings = { secret: config.authTokenSecret, issuer: config.authTokenIssuer };

export const handler = async (
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> => {
  try {
    const { accountId, admin } = await verifyToken(
      bearerToken(headerValue(event.headers, "authorization")),
      settings,
    );
    // Only who the caller is: whether its account may replicate is read per request, so an
    // approval takes effect at once, whatever the authorizer's cache holds.
    return { isAuthorized: true, context: { accountId, admin } };
  } catch (error) {
    if (!isDomainError(error, "Unauthorized")) throw error;
    return { isAuthorized: true, context: { refusal: error.message } };
  }
};
