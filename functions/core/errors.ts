// Named domain errors, and the one table that says what each code means to a caller and to the
// state machine. `name` is the error's code, so Lambda reports it as the error type and the
// state machine's Retry/Catch can match it; the API answers the code's status. The ASL's retry
// policies (retry-policies.ts) take the codes they retry from this table.

/**
 * How the state machine treats a step that failed with a code:
 * - `transient`: the service was busy for a moment; every task's common retrier tries again.
 * - `throttled`: the cloud throttled snaprelay; retried more slowly.
 * - `claimed`: another attempt holds the copy's start; retried until its claim runs out.
 * - `capacity`: the cloud refused a copy for its own copy capacity; not retried in place: the
 *   copy gives its slot back and queues again, under the pool's lowered limit (copy-queue.ts).
 * A code with no class is not retried: the Catch decides.
 */
export type RetryClass = "transient" | "throttled" | "claimed" | "capacity";

interface CodeMeaning {
  /** The HTTP status an API caller gets for the code. */
  readonly status: number;
  readonly retry?: RetryClass;
  /** The code rejects a job at validation: the request or the snapshot cannot be copied. */
  readonly rejects?: true;
}

export const ERROR_CODES = {
  InvalidRequest: { status: 400, rejects: true },
  UnsupportedRegion: { status: 400, rejects: true },
  InvalidDestination: { status: 400, rejects: true },
  NameTooLong: { status: 400, rejects: true },
  Unauthorized: { status: 401 },
  NotAllowlisted: { status: 403, rejects: true },
  /** An approved account whose role snaprelay has not assumed yet (see onboarding.ts). */
  AccountNotConnected: { status: 403, rejects: true },
  /** An account whose access an admin revoked: it may apply again. */
  AccountRevoked: { status: 403, rejects: true },
  /** snaprelay's own account: never a tenant, whatever asks. */
  ServiceAccountNotTenant: { status: 403, rejects: true },
  AccountAccessDenied: { status: 403, rejects: true },
  NotAdmin: { status: 403 },
  JobNotFound: { status: 404 },
  PolicyNotFound: { status: 404 },
  RunNotFound: { status: 404 },
  SnapshotNotFound: { status: 404, rejects: true },
  RouteNotFound: { status: 404 },
  PayloadTooLarge: { status: 413 },
  /** An account over one of its limits (see limits.ts): wait (Retry-After) or ask for more. */
  TooManyRequests: { status: 429 },
  TooManyJobsInFlight: { status: 429 },
  PolicyLimitExceeded: { status: 409 },
  AccessRequestNotFound: { status: 404 },
  /** A revoke of an account no approval granted. */
  AccountNotGranted: { status: 404 },
  IdempotencyConflict: { status: 409 },
  IllegalTransition: { status: 409 },
  JobFinished: { status: 409 },
  AccessRequestOpen: { status: 409 },
  AccessRequestDecided: { status: 409 },
  AlreadyAllowlisted: { status: 409 },
  /** A revoke of an account the deployment's configuration seeds (ALLOWLISTED_ACCOUNTS). */
  AccountSeeded: { status: 409 },
  SnapshotNotReady: { status: 409, rejects: true },
  QuotaExceeded: { status: 409, rejects: true },
  ExecutionEnded: { status: 409 },
  CopyStartInProgress: { status: 409, retry: "claimed" },
  CopyFailed: { status: 502 },
  /** The ASL's own Fail state: no copy of the job succeeded. */
  AllCopiesFailed: { status: 502 },
  CopyStalled: { status: 504 },
  /** A step ran past its time limit (Step Functions' States.Timeout, as a tenant reads it). */
  StepTimedOut: { status: 504 },
  /** The job's execution was stopped because the job was cancelled. */
  JobCancelled: { status: 409 },
  /** Something failed that snaprelay did not foresee; its logs hold the details. */
  InternalError: { status: 500 },
  SlotsBusy: { status: 503, retry: "transient" },
  ServiceBusy: { status: 503, retry: "transient" },
  CloudThrottled: { status: 503, retry: "throttled" },
  CopyCapacityExceeded: { status: 503, retry: "capacity" },
  WorkflowUnavailable: { status: 503 },
  /** STS could not be asked who signed a proof: the caller may try again shortly. */
  IdentityUnavailable: { status: 503 },
} as const satisfies Record<string, CodeMeaning>;

export type ErrorCode = keyof typeof ERROR_CODES;

const meaningOf = (code: ErrorCode): CodeMeaning => ERROR_CODES[code];

/** Every code, in the table's order. */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

/** The HTTP status the API answers for a code. */
export const httpStatusOf = (code: ErrorCode): number => meaningOf(code).status;

/** The codes a retry class covers, in the table's order. */
export const codesRetried = (retry: RetryClass): ErrorCode[] =>
  ERROR_CODE_LIST.filter((code) => meaningOf(code).retry === retry);

export class DomainError extends Error {
  readonly code: ErrorCode;
  /** How long a caller should wait before trying again (an HTTP answer's Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export const isDomainError = (error: unknown, code?: ErrorCode): error is DomainError =>
  error instanceof DomainError && (code === undefined || error.code === code);

export type RejectionCode = {
  [Code in ErrorCode]: (typeof ERROR_CODES)[Code] extends { rejects: true } ? Code : never;
}[ErrorCode];

/** The codes that reject a job at validation: the request or the snapshot cannot be copied. */
export const REJECTION_CODES = ERROR_CODE_LIST.filter(
  (code) => meaningOf(code).rejects === true,
) as RejectionCode[];

export const isRejection = (error: unknown): error is DomainError & { code: RejectionCode } =>
  error instanceof DomainError && meaningOf(error.code).rejects === true;

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
