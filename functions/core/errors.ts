// Named domain errors. `name` is the error's code, so Lambda reports it as the error type and
// the state machine's Retry/Catch can match it; the API maps the same code to an HTTP status.

export type ErrorCode =
  | "InvalidRequest"
  | "Unauthorized"
  | "NotAllowlisted"
  | "UnsupportedRegion"
  | "InvalidDestination"
  | "NameTooLong"
  | "JobNotFound"
  | "PolicyNotFound"
  | "RouteNotFound"
  | "IdempotencyConflict"
  | "IllegalTransition"
  | "JobFinished"
  | "NotAdmin"
  | "AccessRequestNotFound"
  | "AccessRequestOpen"
  | "AccessRequestDecided"
  | "AlreadyAllowlisted"
  | "SnapshotNotFound"
  | "SnapshotNotReady"
  | "QuotaExceeded"
  | "CopyStartInProgress"
  | "CopyCapacityExceeded"
  | "CloudThrottled"
  | "CopyFailed"
  | "CopyStalled"
  | "WorkflowUnavailable"
  | "ExecutionEnded"
  | "ServiceBusy"
  | "AccountAccessDenied"
  | "SlotsBusy";

export class DomainError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = code;
    this.code = code;
  }
}

export const isDomainError = (error: unknown, code?: ErrorCode): error is DomainError =>
  error instanceof DomainError && (code === undefined || error.code === code);

/** The codes that reject a job at validation: the request or the snapshot cannot be copied. */
export const REJECTION_CODES = [
  "NotAllowlisted",
  "UnsupportedRegion",
  "InvalidDestination",
  "NameTooLong",
  "InvalidRequest",
  "SnapshotNotFound",
  "SnapshotNotReady",
  "QuotaExceeded",
  "AccountAccessDenied",
] as const satisfies readonly ErrorCode[];

export type RejectionCode = (typeof REJECTION_CODES)[number];

export const isRejection = (error: unknown): error is DomainError & { code: RejectionCode } =>
  error instanceof DomainError && (REJECTION_CODES as readonly ErrorCode[]).includes(error.code);

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
