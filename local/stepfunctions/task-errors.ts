// Errors handed to the interpreter by Task handlers. It matches Retry/Catch ErrorEquals against
// `name`, uses `message` as the Cause, and skips Retry/Catch when isRetryable/isCatchable are false.

export class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** Like AWS's States.Runtime: ends the execution, never retried or caught. */
export class RuntimeFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "States.Runtime";
  }

  get isRetryable(): boolean {
    return false;
  }

  get isCatchable(): boolean {
    return false;
  }
}
