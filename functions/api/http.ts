// HTTP responses of the API: JSON bodies, and domain errors mapped to status codes with the
// contract's `{"error": {"code", "message"}}` body. Unexpected errors are logged, not leaked.
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { DomainError, type ErrorCode } from "../core/errors.js";
import { logger } from "../logger.js";

export type HttpResponse = APIGatewayProxyStructuredResultV2;

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  InvalidRequest: 400,
  UnsupportedRegion: 400,
  InvalidDestination: 400,
  NameTooLong: 400,
  Unauthorized: 401,
  NotAllowlisted: 403,
  JobNotFound: 404,
  SnapshotNotFound: 404,
  RouteNotFound: 404,
  IdempotencyConflict: 409,
  IllegalTransition: 409,
  WorkflowUnavailable: 503,
};

export const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

export const errorBody = (code: string, message: string) => ({ error: { code, message } });

export const errorResponse = (error: unknown, requestId: string): HttpResponse => {
  if (error instanceof DomainError) {
    return json(STATUS_OF[error.code] ?? 409, errorBody(error.code, error.message));
  }
  logger.error("request failed", {
    requestId,
    error: error instanceof Error ? error : String(error),
  });
  return json(
    500,
    errorBody(
      "InternalError",
      `The request failed on our side; quote request id ${requestId} when reporting it.`,
    ),
  );
};
