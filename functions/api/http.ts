// HTTP responses of the API: JSON bodies, and domain errors mapped to status codes with the
// contract's `{"error": {"code", "message"}}` body. Unexpected errors are logged, not leaked.
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { isPassingTrouble } from "../adapters/passing-trouble.js";
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
  AccountAccessDenied: 403,
  JobNotFound: 404,
  PolicyNotFound: 404,
  SnapshotNotFound: 404,
  RouteNotFound: 404,
  IdempotencyConflict: 409,
  IllegalTransition: 409,
  JobFinished: 409,
  NotAdmin: 403,
  AccessRequestNotFound: 404,
  AccessRequestOpen: 409,
  AccessRequestDecided: 409,
  AlreadyAllowlisted: 409,
  ServiceBusy: 503,
};

const PASSING_CODES = new Set<ErrorCode>(["ServiceBusy", "CloudThrottled", "SlotsBusy"]);

/** How long a caller told "busy" should wait before it tries again. */
export const RETRY_AFTER_SECONDS = 5;

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

/** A throttled, timed-out or failing AWS call: the request may well succeed a moment later. */
const busy = (message: string) =>
  json(503, errorBody("ServiceBusy", message), { "retry-after": String(RETRY_AFTER_SECONDS) });

/** The answer, or ServiceBusy once `answerBy` passes (the unfinished work is abandoned). */
export const answerInTime = async (
  answerBy: Date,
  answer: () => Promise<HttpResponse>,
): Promise<HttpResponse> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DomainError(
            "ServiceBusy",
            `snaprelay could not answer in time because it is busy; retry in ${RETRY_AFTER_SECONDS} seconds.`,
          ),
        ),
      Math.max(0, answerBy.getTime() - Date.now()),
    );
  });
  try {
    return await Promise.race([answer(), late]);
  } finally {
    clearTimeout(timer);
  }
};

export const errorResponse = (error: unknown, requestId: string): HttpResponse => {
  if (error instanceof DomainError) {
    // The service or the cloud behind it is busy for a moment: the caller may simply retry.
    if (PASSING_CODES.has(error.code)) return busy(error.message);
    return json(STATUS_OF[error.code] ?? 409, errorBody(error.code, error.message));
  }
  logger.error("request failed", {
    requestId,
    error: error instanceof Error ? error : String(error),
  });
  if (isPassingTrouble(error)) {
    return busy(
      `A service snaprelay relies on is busy or slow right now; retry in ${RETRY_AFTER_SECONDS} seconds. (request id ${requestId})`,
    );
  }
  return json(
    500,
    errorBody(
      "InternalError",
      `The request failed on our side; quote request id ${requestId} when reporting it.`,
    ),
  );
};
