// Tells which item of a transaction refused it: DynamoDB cancels the whole transaction and gives
// one reason per item, in the order the items were written.
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";

/** The transaction was cancelled because the condition of its item at `index` failed. */
export const refusedAt = (error: unknown, index: number): boolean =>
  error instanceof TransactionCanceledException &&
  error.CancellationReasons?.[index]?.Code === "ConditionalCheckFailed";
