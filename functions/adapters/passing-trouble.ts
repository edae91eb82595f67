// An AWS call that failed for a moment (throttled, a connection reset, a 5xx), after the SDK's own
// retries: worth trying again later, not a reason to fail a job or to answer a caller 500.
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";

export const isPassingTrouble = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError);
};
