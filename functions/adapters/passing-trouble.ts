// The AWS errors that pass: worth trying again, not a reason to fail a job or to answer a caller
// 500. One place classifies them, by the AWS SDK's own rules.
import {
  TransactionCanceledException,
  TransactionConflictException,
} from "@aws-sdk/client-dynamodb";
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";

type SdkError = Parameters<typeof isTransientError>[0];

/** A call that failed for a moment (throttled, a connection reset, a 5xx) after the SDK's retries. */
export const isPassingTrouble = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const sdkError = error as SdkError;
  return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError);
};

/**
 * A DynamoDB write that met another writer at the same moment (a transaction conflict, or a
 * transaction cancelled for one or for throttling), or any passing trouble: worth writing again.
 */
export const isPassingConflict = (error: unknown): boolean => {
  if (error instanceof TransactionConflictException) return true;
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).some((reason) =>
      ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"].includes(
        reason.Code ?? "",
      ),
    );
  }
  return isPassingTrouble(error);
};
