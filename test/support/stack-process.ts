// The local stack as `npm start` runs it: its own process on ports of its own, over a data folder
// that outlives it, so a test (or the benchmark) can stop it, kill it and start it again.
import { type ChildProcess, spawn } from "node:child_process";
import { LOCAL } from "../../local/defaults.js";
import { freePort } from "./free-port.js";
import { type Signer, signedAs } from "./signed-as.js";

export interface StackPorts {
  http: number;
  lambda: number;
  dynamodb: number;
  sfn: number;
  cloud: number;
  events: number;
  eventsPubSub: number;
  sqs: number;
}

export interface StackProcess {
  ports: StackPorts;
  api: string;
  cloudUrl: string;
  sfnUrl: string;
  /** The local EventBridge (PutEvents). */
  eventsUrl: string;
  /** The local SQS (moto_server). */
  sqsUrl: string;
  dataDir: string;
  /** The stack's own process (its services run in it or below it). */
  pid: number;
  /** What this start printed. */
  output(): string;
  demoSnapshotId(): string;
  /** Signs as the demo account, the account the stack's printed commands sign as. */
  token(): Signer;
  /** Milliseconds from spawning to `snaprelay ready`. */
  readyAfterMs: number;
  /** Ctrl-C: resolves with the exit code once every process has stopped. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash or an OOM killer would; its services die with it. */
  kill(): Promise<void>;
  /** Starts a new stack on the same ports and data folder. */
  restart(): Promise<StackProcess>;
}

export const freePorts = async (): Promise<StackPorts> => ({
  http: await freePort(),
  lambda: await freePort(),
  dynamodb: await freePort(),
  sfn: await freePort(),
  cloud: await freePort(),
  events: await freePort(),
  eventsPubSub: await freePort(),
  sqs: await freePort(),
});

const portsFree = async (ports: StackPorts): Promise<boolean> => {
  for (const port of Object.values(ports)) {
    const served = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (served) return false;
  }
  return true;
};

interface StackProcessOptions {
  dataDir: string;
  ports?: StackPorts;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

/** The port a service could not bind, when a start failed for that reason alone. */
const PORT_TAKEN = /EADDRINUSE/;

export const startStackProcess = async (options: StackProcessOptions): Promise<StackProcess> => {
  // Ports found free are bound only later, by each service: another process may take one in
  // between. With ports of its own choosing the stack starts again on others (twice at most).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      const taken = error instanceof Error && PORT_TAKEN.test(error.message);
      if (!taken || options.ports || attempt >= 3) throw error;
    }
  }
};

const startOnce = async (options: StackProcessOptions): Promise<StackProcess> => {
  const ports = options.ports ?? (await freePorts());
  const deadline = Date.now() + (options.readyTimeoutMs ?? 150_000);
  // A killed stack's services die within a second or two (their watcher polls every second).
  while (!(await portsFree(ports))) {
    if (Date.now() > deadline) throw new Error("the ports of an earlier stack are still served");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
    env: {
      ...process.env,
      SNAPRELAY_HTTP_PORT: String(ports.http),
      SNAPRELAY_LAMBDA_PORT: String(ports.lambda),
      SNAPRELAY_DYNAMODB_PORT: String(ports.dynamodb),
      SNAPRELAY_SFN_PORT: String(ports.sfn),
      SNAPRELAY_CLOUD_PORT: String(ports.cloud),
      SNAPRELAY_EVENTS_PORT: String(ports.events),
      SNAPRELAY_EVENTS_PUBSUB_PORT: String(ports.eventsPubSub),
      SNAPRELAY_SQS_PORT: String(ports.sqs),
      SNAPRELAY_DATA_DIR: options.dataDir,
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
  });
  while (!output.includes("snaprelay ready")) {
    if (child.exitCode !== null) throw new Error(`the stack exited while starting:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the stack was not ready in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const readyAfterMs = Date.now() - started;
  const demoSigner = signedAs(
    { api: `http://127.0.0.1:${ports.http}`, cloudUrl: `http://127.0.0.1:${ports.cloud}` },
    LOCAL.demoAccountId,
  );
  const stack: StackProcess = {
    ports,
    api: `http://127.0.0.1:${ports.http}`,
    cloudUrl: `http://127.0.0.1:${ports.cloud}`,
    sfnUrl: `http://127.0.0.1:${ports.sfn}`,
    eventsUrl: `http://127.0.0.1:${ports.events}`,
    sqsUrl: `http://127.0.0.1:${ports.sqs}`,
    dataDir: options.dataDir,
    pid: child.pid ?? -1,
    readyAfterMs,
    output: () => output,
    demoSnapshotId: () => /Demo snapshot\s+(snap-[0-9a-f]+)/.exec(output)?.[1] ?? "",
    token: () => demoSigner,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGINT");
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      const killedBy = Date.now() + 30_000;
      while (!(await portsFree(ports))) {
        if (Date.now() > killedBy) throw new Error("the killed stack's services still serve");
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    restart: () => startStackProcess({ ...options, ports }),
  };
  return stack;
};

/** The account the stack's printed commands sign as. */
export const STACK_ACCOUNT = LOCAL.demoAccountId;
