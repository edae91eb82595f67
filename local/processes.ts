// Child processes of the local stack: started in their own process group so that stopping one
// stops everything it started too, and waited on until they are really gone.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

export interface Child {
  name: string;
  process: ChildProcess;
  /** The last lines it printed, to explain a failed start. */
  output(): string;
  stop(): Promise<void>;
}

export const startChild = (
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; echo?: (line: string) => void } = {},
): Child => {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      options.echo?.(line);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const stopWatching = child.pid === undefined ? () => {} : reapWithParent(child.pid);
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };
  return {
    name,
    process: child,
    output: () => lines.join("\n"),
    async stop() {
      stopWatching();
      if (child.exitCode !== null || child.signalCode !== null) {
        signalGroup("SIGKILL"); // grandchildren may outlive their parent
        return;
      }
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      signalGroup("SIGKILL");
    },
  };
};

/**
 * Makes sure a detached child's process group dies with this process, however it ends: a
 * killed test runner or a crashed start script must not leave java holding a port. A tiny shell
 * watches this process and kills the group once it is gone; a normal stop kills the watcher.
 */
export const reapWithParent = (childPid: number): (() => void) => {
  const watcher = spawn(
    "/bin/sh",
    [
      "-c",
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -KILL -${childPid} 2>/dev/null`,
    ],
    { detached: true, stdio: "ignore" },
  );
  watcher.unref();
  return () => {
    try {
      watcher.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
};

/** Refuses early, with a useful message, when a port the stack needs is taken. */
export const assertPortFree = (port: number, what: string, variable: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", () =>
      reject(
        new Error(
          `Port ${port} (${what}) is already in use: is another snaprelay stack running? Stop it, or pick another port with ${variable}=<port>.`,
        ),
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });

export const assertJavaInstalled = (): void => {
  const result = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (result.error || result.status !== 0) {
    throw new Error(
      "Java 17 or newer is needed to run DynamoDB Local, and `java` was not found. Install it with `sudo apt-get install -y openjdk-17-jdk-headless` (Debian/Ubuntu) or `brew install openjdk@17` (macOS), then run `npm start` again.",
    );
  }
};

/** Polls `probe` until it resolves true, or fails after `timeoutMs` with `what` in the message. */
export const waitFor = async (
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  alive?: () => string | undefined,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    const death = alive?.();
    if (death) throw new Error(`${what} stopped before it was ready:\n${death}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} was not ready after ${Math.round(timeoutMs / 1000)} s`);
};
