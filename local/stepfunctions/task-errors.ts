// Errors handed to the interpreter by Task handlers. It matches Retry/Catch ErrorEquals against
// `name`, uses `message` as the Cause, and skips Retry/Catch when isRetryable/isCatchable are false.

export class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/**
 * SendTaskFailure's error and cause. A caller may give neither: AWS then fails the Task with a
 * null Error and Cause, which only the wildcards match; the interpreter reads both from here.
 */
export class CallbackFailure extends Error {
  constructor(error: string | undefined, cause: string | undefined) {
    super(cause);
    Object.defineProperty(this, "name", { value: error ?? null });
    if (cause === undefined) Object.defineProperty(this, "message", { value: null });
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

/** A Task whose execution stopped, or whose enclosing Map/Parallel failed, while it ran. */
export function cancelledTask(): RuntimeFailure {
  return new RuntimeFailure("The task was cancelled: its execution or enclosing state ended");
}
