// Step Functions' payload quota: 262,144 bytes of UTF-8 for an execution's input, a state's input
// (after Parameters) and output, a task's result and a callback's output. The API refuses an
// oversized StartExecution input or SendTaskSuccess output as it refuses any member over its
// model's length (ValidationException, the sensitive value not echoed). An oversized Task result
// fails its Task with States.DataLimitExceeded, a task failure like any other (AWS's own history
// shows a Catch of States.ALL taking it); an oversized state input or output ends the execution,
// retried and caught by nothing. The cause names the state, or the task's resource, as AWS does.

import { validationError } from "./service-errors.js";

/** The quota, in bytes of the payload's UTF-8 JSON text. */
export const MAX_PAYLOAD_BYTES = 262_144;

export const DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded";

export function exceedsPayloadQuota(text: string): boolean {
  // No multi-byte character takes more than 3 bytes per UTF-16 unit: most texts need no count.
  if (text.length * 3 <= MAX_PAYLOAD_BYTES) return false;
  return Buffer.byteLength(text, "utf8") > MAX_PAYLOAD_BYTES;
}

/** AWS's cause, naming a state, or a task's resource (a function ARN; `lambda` for lambda:invoke). */
export function dataLimitCause(subject: string): string {
  return `The state/task '${subject}' returned a result with a size exceeding the maximum number of bytes service limit.`;
}

/** A state's input or output over the quota: the execution fails, whatever Retry or Catch say. */
export class StateDataLimitExceeded extends Error {
  constructor(stateName: string) {
    super(dataLimitCause(stateName));
    this.name = DATA_LIMIT_EXCEEDED;
  }

  get isRetryable(): boolean {
    return false;
  }

  get isCatchable(): boolean {
    return false;
  }
}

/** Throws when a state's effective input (after its Parameters) is over the quota. */
export function checkStateInput(stateName: string, input: unknown): void {
  if (exceedsPayloadQuota(JSON.stringify(input) ?? "null")) {
    throw new StateDataLimitExceeded(stateName);
  }
}

/** A request member holding a payload (StartExecution's input, SendTaskSuccess's output). */
export function checkPayloadMember(field: string, text: string): void {
  if (!exceedsPayloadQuota(text)) return;
  throw validationError(
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`,
  );
}
