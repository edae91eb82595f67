// The Lambda authorizer of the HTTP API: it finds out who is calling (a proof STS verifies, or a
// session made from one; core/sign-in.ts) and hands the API the verdict in its context: the
// caller, or why it was refused. HTTP APIs cannot shape an authorizer's denial, so the API itself
// answers 401 (or 503, when STS could not be asked) with the contract's error body.
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from "aws-lambda";
import { isDomainError } from "../core/errors.js";
import { authenticate } from "../core/sign-in.js";
import { ENTRY_FUNCTIONS } from "../manifest.js";
import { traced } from "../tracing.js";
import { signInDeps } from "../wiring.js";
import { type AuthorizerContext, headerValue } from "./request-context.js";

const deps = signInDeps();

export const handler = traced(
  ENTRY_FUNCTIONS.authorizer.name,
  async (
    event: APIGatewayRequestAuthorizerEventV2,
  ): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> => {
    try {
      const identity = await authenticate(headerValue(event.headers, "authorization"), deps);
      // Only who the caller is: whether its account may replicate is read per request, so an
      // approval or a revocation takes effect at once, whatever the authorizer's cache holds.
      return { isAuthorized: true, context: identity };
    } catch (error) {
      for (const refusalCode of ["Unauthorized", "IdentityUnavailable"] as const) {
        if (isDomainError(error, refusalCode)) {
          return { isAuthorized: true, context: { refusal: error.message, refusalCode } };
        }
      }
      throw error;
    }
  },
);
