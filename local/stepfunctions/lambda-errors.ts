// Turns Lambda failures into the Error/Cause pairs Step Functions reports, so Retry and Catch
// match on the same names as on AWS (a handler's error name, Lambda.ServiceException, …).

import { LambdaServiceException } from "@aws-sdk/client-lambda";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";

export interface TaskError {
  error: string;
  cause: string;
}

// "CopyPending: message" or a bare "CopyPending" at the head of a stack trace.
const TRACE_HEAD = /^([A-Za-z_$][\w$.]*)(?::|$)/;

/**
 * A function error payload `{errorType, errorMessage, trace}`. serverless-offline reports
 * errorType "Error" for everything and keeps the real name only in trace[0], so the name is
 * rebuilt from there. The cause is the payload as JSON, with the real name, as AWS gives it.
 */
export function functionError(payload: JsonValue): TaskError {
  const body: JsonObject = isJsonObject(payload) ? payload : { errorMessage: payload };
  const { errorType, errorMessage, trace, ...rest } = body;
  // serverless-offline ends a function that runs past its timeout with this message; AWS names
  // the same event Sandbox.Timedout.
  if (typeof errorMessage === "string" && errorMessage.startsWith("[504] - Lambda timeout")) {
    return {
      error: "Sandbox.Timedout",
      cause: JSON.stringify({ errorType: "Sandbox.Timedout", errorMessage: "Task timed out" }),
    };
  }
  const error = errorName(errorType, trace);
  const cause: JsonObject = { errorType: error, errorMessage: errorMessage ?? "" };
  if (trace !== undefined) cause.trace = trace;
  return { error, cause: JSON.stringify({ ...cause, ...rest }) };
}

function errorName(errorType: JsonValue | undefined, trace: JsonValue | undefined): string {
  const declared = typeof errorType === "string" && errorType !== "" ? errorType : undefined;
  if (declared !== undefined && declared !== "Error") return declared;
  const head = Array.isArray(trace) && typeof trace[0] === "string" ? trace[0] : "";
  return TRACE_HEAD.exec(head)?.[1] ?? declared ?? "Error";
}

/** A failed Invoke call itself (Lambda's API, or the HTTP connection to it). */
export function invokeFailure(failure: unknown): TaskError {
  if (failure instanceof LambdaServiceException) {
    const status = failure.$metadata.httpStatusCode ?? 500;
    const name = serviceErrorName(failure.name, status);
    const requestId = failure.$metadata.requestId ?? "unknown";
    return {
      error: `Lambda.${name}`,
      cause: `${failure.message} (Service: Lambda, Status Code: ${status}, Error Code: ${name}, Request ID: ${requestId})`,
    };
  }
  const message = failure instanceof Error ? failure.message : String(failure);
  return {
    error: "Lambda.SdkClientException",
    cause: `Unable to execute HTTP request: ${message}`,
  };
}

// Unmodelled errors come back from the SDK as "Unknown"; name them the way AWS does.
function serviceErrorName(name: string, status: number): string {
  if (name !== "Unknown" && name !== "UnknownError" && name !== "Error") return name;
  if (status === 429) return "TooManyRequestsException";
  if (status >= 500) return "ServiceException";
  return "AWSLambdaException";
}
