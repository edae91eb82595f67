// HTTP responses of the API: JSON bodies, and domain errors mapped to status codes with the
// contract's `{"error": {"code", "message"}}` body. Unexpected errors are logged, not leaked.
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { isPassingTrouble } from "../adapters/passing-trouble.js";
import { DomainError, httpStatusOf } from "../core/errors.js";
import { logger } from "../logger.js";

export type HttpResponse = APIGatewayProxyStructuredResultV2;

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
    const status = httpStatusOf(error.code);
    // The service or the cloud behind it is busy for a moment: the caller may simply retry,
    // whichever code said so.
    if (status === 503) return busy(error.message);
    const retryAfter: Record<string, string> =
      error.retryAfterSeconds === undefined
        ? {}
        : { "retry-after": String(error.retryAfterSeconds) };
    return json(status, errorBody(error.code, error.message), retryAfter);
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
