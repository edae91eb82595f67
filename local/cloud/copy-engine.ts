// Moves a snapshot copy's bytes and reports how far it got. This engine only lets time pass at
// the configured bandwidth; an engine that moves real blocks can replace it behind CopyEngine.

export interface CopyTask {
  /** The destination snapshot id. */
  readonly id: string;
  readonly totalBytes: number;
  /** Where to resume: non-zero for a copy that was pending when the cloud stopped. */
  readonly copiedBytes: number;
  /** The copy fails once it gets this far (injected fault). */
  readonly failAtBytes?: number;
}

export interface CopyListener {
  progressed(id: string, copiedBytes: number): void;
  completed(id: string): void;
  failed(id: string, copiedBytes: number, reason: string): void;
}

export interface CopyEngine {
  start(task: CopyTask): void;
  cancel(id: string): void;
  /** Stops every copy, reporting how far each got so that it can resume later. */
  stop(): void;
}

// How often a running copy reports progress: often enough for Progress "N%" to move visibly.
const TICK_MS = 250;

interface RunningCopy {
  task: CopyTask;
  copiedBytes: number;
  lastTickAt: number;
  timer: NodeJS.Timeout | undefined;
}

export function timedCopyEngine(bytesPerSecond: () => number, listener: CopyListener): CopyEngine {
  const running = new Map<string, RunningCopy>();

  // Bytes moved since the last tick, at the bandwidth in force now (a test may change it).
  function advance(copy: RunningCopy): void {
    const now = Date.now();
    const limit = copy.task.failAtBytes ?? copy.task.totalBytes;
    copy.copiedBytes = Math.min(
      limit,
      copy.copiedBytes + ((now - copy.lastTickAt) * bytesPerSecond()) / 1000,
    );
    copy.lastTickAt = now;
  }

  function tick(copy: RunningCopy): void {
    advance(copy);
    const { id, totalBytes, failAtBytes } = copy.task;
    if (failAtBytes !== undefined && copy.copiedBytes >= failAtBytes) {
      running.delete(id);
      listener.failed(id, copy.copiedBytes, "the copy was interrupted (injected failure)");
      return;
    }
    if (copy.copiedBytes >= totalBytes) {
      running.delete(id);
      listener.completed(id);
      return;
    }
    listener.progressed(id, copy.copiedBytes);
    schedule(copy);
  }

  function schedule(copy: RunningCopy): void {
    const target = copy.task.failAtBytes ?? copy.task.totalBytes;
    const msToTarget = ((target - copy.copiedBytes) * 1000) / bytesPerSecond();
    copy.timer = setTimeout(
      () => tick(copy),
      Math.max(1, Math.min(TICK_MS, Math.ceil(msToTarget))),
    );
  }

  return {
    start(task) {
      const copy: RunningCopy = {
        task,
        copiedBytes: task.copiedBytes,
        lastTickAt: Date.now(),
        timer: undefined,
      };
      running.set(task.id, copy);
      schedule(copy);
    },
    cancel(id) {
      clearTimeout(running.get(id)?.timer);
      running.delete(id);
    },
    stop() {
      for (const copy of running.values()) {
        clearTimeout(copy.timer);
        advance(copy);
        listener.progressed(copy.task.id, copy.copiedBytes);
      }
      running.clear();
    },
  };
}
