// The Lambda authorizer of the HTTP API. It verifies the bearer token and hands the API the
// verdict in its context: the account id, or why the token was refused. HTTP APIs cannot shape
// an authorizer's denial, so the API itself answers 401 with the contract's error body.
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from "aws-lambda";
import { loadConfig } from "../config.js";
import { isDomainError } from "../core/errors.js";
import { logger } from "../logger.js";
import { ENTRY_FUNCTIONS } from "../manifest.js";
import { traced } from "../tracing.js";
import { type AuthorizerContext, headerValue } from "./request-context.js";
import { tokenSecretFrom } from "./token-secret.js";
import { bearerToken, verifyToken } from "./tokens.js";

// Only the token settings and the secret, from SSM Parameter Store: no other AWS client.
const config = loadConfig();
const tokenSecret = tokenSecretFrom(config.authTokenSecretParameter);

/** The secret; a deployment that cannot read it says why in its log (callers see a 500). */
const secretOrLog = async (): Promise<string> => {
  try {
    return await tokenSecret();
  } catch (error) {
    logger.error("the authorizer cannot verify tokens", { error: error as Error });
    throw error;
  }
};

export const handler = traced(
  ENTRY_FUNCTIONS.authorizer.name,
  async (
    event: APIGatewayRequestAuthorizerEventV2,
  ): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> => {
    try {
      const token = bearerToken(headerValue(event.headers, "authorization"));
      const settings = { secret: await secretOrLog(), issuer: config.authTokenIssuer };
      const { accountId, admin } = await verifyToken(token, settings);
      // Only who the caller is: whether its account may replicate is read per request, so an
      // approval takes effect at once, whatever the authorizer's cache holds.
      return { isAuthorized: true, context: { accountId, admin } };
    } catch (error) {
      if (!isDomainError(error, "Unauthorized")) throw error;
      return { isAuthorized: true, context: { refusal: error.message } };
    }
  },
);
