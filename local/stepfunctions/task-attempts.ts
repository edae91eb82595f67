// Task handler attempts in flight for one execution. The interpreter moves on without telling a
// handler (timeout, failed Map sibling, StopExecution), so we cancel the attempt here and the
// handler then records nothing more.

interface Attempt {
  readonly stateName: string;
  readonly controller: AbortController;
  readonly onTimeout: (() => void) | undefined;
}

export interface TaskAttempt {
  readonly signal: AbortSignal;
}

export class TaskAttempts {
  private readonly pending = new Set<Attempt>();
  private stopped = false;

  /**
   * Registers an attempt; it starts cancelled once the execution has stopped. With `onTimeout`
   * the interpreter times it (Lambda tasks); without, its handler keeps its own time (Wait states,
   * callback tasks) and the interpreter's timeouts never pick it.
   */
  begin(stateName: string, onTimeout?: () => void): TaskAttempt {
    const attempt: Attempt = { stateName, controller: new AbortController(), onTimeout };
    if (this.stopped) attempt.controller.abort();
    else this.pending.add(attempt);
    return { signal: attempt.controller.signal };
  }

  end(attempt: TaskAttempt): void {
    for (const candidate of this.pending) {
      if (candidate.controller.signal === attempt.signal) this.pending.delete(candidate);
    }
  }

  /** The interpreter timed the state out: the oldest invocation of that state is the one. */
  timeOut(stateName: string): void {
    for (const attempt of this.pending) {
      if (attempt.stateName !== stateName || attempt.onTimeout === undefined) continue;
      attempt.onTimeout();
      this.cancel(attempt);
      return;
    }
  }

  cancelWhere(matches: (stateName: string) => boolean): void {
    for (const attempt of this.pending) if (matches(attempt.stateName)) this.cancel(attempt);
  }

  cancelAll(): void {
    this.stopped = true;
    for (const attempt of this.pending) this.cancel(attempt);
  }

  private cancel(attempt: Attempt): void {
    this.pending.delete(attempt);
    attempt.controller.abort();
  }
}
