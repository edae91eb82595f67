// What a tenant may read of an error its job's execution met. Step Functions records raw values:
// a Lambda's cause is JSON with the error's stack trace, Lambda's and Step Functions' own errors
// carry their text with the service account's ARNs. A tenant sees snaprelay's codes only: a
// snaprelay error keeps its code and its message; anything else gets a code and a fixed message.
import { ERROR_CODES, type ErrorCode } from "./errors.js";
import { LAMBDA_SERVICE_ERRORS } from "./retry-policies.js";

export interface TenantCause {
  error: ErrorCode;
  cause: string;
}

/** The error StopExecution is given when a job is cancelled (see the Workflow's `stop`). */
export const CANCELLED_EXECUTION_ERROR = "Cancelled";

/** Long enough for any message of snaprelay's; a longer one is cut. */
export const MAX_TENANT_CAUSE_LENGTH = 500;

const UNEXPECTED: TenantCause = {
  error: "InternalError",
  cause:
    "A step of snaprelay failed unexpectedly; the state machine retried it or recorded the failure on the job. The operator's logs hold the details.",
};

const LAMBDA_BUSY: TenantCause = {
  error: "ServiceBusy",
  cause:
    "AWS Lambda could not run this step for a moment (a passing fault of the service); the state machine tries such a step again.",
};

const LAMBDA_CRASHED: TenantCause = {
  error: "InternalError",
  cause:
    "The function running this step stopped before it answered (it crashed, ran out of memory or out of time). The operator's logs hold the details.",
};

const LAMBDA_FAILED: TenantCause = {
  error: "InternalError",
  cause: "AWS Lambda could not run this step. The operator's logs hold the details.",
};

const TIMED_OUT: TenantCause = {
  error: "StepTimedOut",
  cause:
    "The step took longer than its time limit. A wait for a copy or a slot that runs out is expected: the state machine looks again.",
};

const STATES_FAILED: TenantCause = {
  error: "InternalError",
  cause:
    "Step Functions could not run this step as snaprelay's state machine describes it. The operator's logs hold the details.",
};

const COPIES_FAILED: TenantCause = {
  error: "InternalError",
  cause:
    "A copy failed in a way its own failure handling could not record, which ended every copy of the job. The operator's logs hold the details.",
};

/** Errors that are not snaprelay's, by name: what a tenant reads instead. */
const FOREIGN_ERRORS: ReadonlyMap<string, TenantCause> = new Map([
  ...LAMBDA_SERVICE_ERRORS.map((name) => [name, LAMBDA_BUSY] as const),
  ["Lambda.ClientExecutionTimeoutException", LAMBDA_BUSY],
  ["Lambda.Unknown", LAMBDA_CRASHED],
  ["Sandbox.Timedout", LAMBDA_CRASHED],
  ["States.Timeout", TIMED_OUT],
  ["States.HeartbeatTimeout", TIMED_OUT],
  ["TaskTimedOut", TIMED_OUT],
  ["LambdaFunctionTimedOut", TIMED_OUT],
  ["MapStateFailed", COPIES_FAILED],
]);

const isSnaprelayCode = (name: string): name is ErrorCode => Object.hasOwn(ERROR_CODES, name);

// An ARN's account is its fifth field; S3's and a few others' have none.
// The sentence's full stop after an ARN is not part of it.
const ARN =
  /\barn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12})?:[^\s"'`,;()<>[\]{}]*[^\s"'`,;()<>[\]{}.]/g;

/** The message with every ARN that is not of `accountId` (the caller's) replaced. */
export const withoutForeignArns = (message: string, accountId: string): string =>
  message.replace(ARN, (arn, account: string | undefined) =>
    account === accountId ? arn : "(internal)",
  );

const bounded = (message: string): string =>
  message.length <= MAX_TENANT_CAUSE_LENGTH
    ? message
    : `${message.slice(0, MAX_TENANT_CAUSE_LENGTH - 1)}…`;

/**
 * A snaprelay error's own message: a Lambda's cause is JSON whose errorMessage is the message (its
 * errorType, the JavaScript class, and its trace stay out); a cause given by snaprelay itself
 * (SendTaskFailure, a Fail state) is plain text.
 */
const messageOf = (code: ErrorCode, cause: string | null | undefined): string => {
  const fallback = `The step failed with ${code}.`;
  if (!cause) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return cause;
  }
  // Text that happens to parse (a number, say) is still the text.
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return cause;
  const errorMessage = "errorMessage" in parsed ? parsed.errorMessage : undefined;
  return typeof errorMessage === "string" && errorMessage ? errorMessage : fallback;
};

/**
 * The error and cause a tenant may read for an error of the execution (`error`, `cause` as Step
 * Functions recorded them), for the account `accountId` that owns the job.
 */
export const tenantCause = (
  error: string,
  cause: string | null | undefined,
  accountId: string,
): TenantCause => {
  if (isSnaprelayCode(error)) {
    return { error, cause: bounded(withoutForeignArns(messageOf(error, cause), accountId)) };
  }
  if (error === CANCELLED_EXECUTION_ERROR) {
    // snaprelay stopped the execution itself, with a cause it wrote (who cancelled the job).
    return {
      error: "JobCancelled",
      cause: bounded(withoutForeignArns(cause || "The job was cancelled.", accountId)),
    };
  }
  const known = FOREIGN_ERRORS.get(error);
  if (known) return known;
  if (error.startsWith("Lambda.")) return LAMBDA_FAILED;
  if (error.startsWith("States.")) return STATES_FAILED;
  return UNEXPECTED;
};
