// A local AWS Step Functions endpoint: the real API (AWS JSON 1.0) over HTTP, executions run by
// aws-local-stepfunctions, Task states invoking Lambda functions over the Lambda Invoke API (and
// callback Tasks waiting for SendTaskSuccess/Failure). With a data dir its machines and executions
// survive a restart, and unfinished runs carry on. Given an EventBridge bus, it sends each
// execution's status changes there, as Step Functions does (status-events.ts).

import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { ArnScope } from "./arns.js";
import { ExecutionStore } from "./executions.js";
import { createStepFunctionsServer } from "./http-server.js";
import { FileJournal } from "./journal.js";
import { LambdaInvoker } from "./lambda-invoker.js";
import { PageTokens } from "./paging.js";
import { StateMachineRegistry } from "./state-machines.js";
import {
  type StatusEventCounts,
  type StatusEventsOptions,
  statusEventSink,
} from "./status-events.js";
import { TaskTokens } from "./task-tokens.js";

export interface LocalStepFunctionsOptions {
  /** 0 picks any free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Used in ARNs; default "us-east-1". */
  region?: string;
  /** Used in ARNs; default "000000000000". */
  accountId?: string;
  /** Lambda Invoke API base URL for Task states, e.g. serverless-offline's http://127.0.0.1:3002. */
  lambdaEndpoint: string;
  /**
   * Multiplies Wait state durations (Seconds, Timestamp and their Path forms), and the
   * TimeoutSeconds and HeartbeatSeconds of callback Tasks (a callback wait is a wait); default 1.
   */
  waitScale?: number;
  /** Multiplies Retry intervals (and MaxDelaySeconds); default 1. */
  retryScale?: number;
  /** Keeps machines and executions here across restarts; default: in memory only. */
  dataDir?: string;
  /** Hears of each execution resumed at start-up, and the state it resumed from. */
  onResume?: (executionArn: string, stateName: string) => void;
  /**
   * The bus that takes each execution's "Step Functions Execution Status Change" events, as the
   * account's default bus takes them in AWS, best effort; without it no event is sent.
   */
  statusEvents?: StatusEventsOptions;
}

export interface LocalStepFunctions {
  url: string;
  port: number;
  /** The status change events sent so far, and those dropped undelivered (none without a bus). */
  statusEventCounts(): StatusEventCounts;
  /**
   * Aborts running executions, closes the server, waits a little for the events being sent, and
   * resolves once the port is free.
   */
  close(): Promise<void>;
}

// Bounds how long close() waits for aborted interpreters to wind down, and then for the status
// change events being sent.
const SHUTDOWN_GRACE_MS = 2000;

export async function startLocalStepFunctions(
  options: LocalStepFunctionsOptions,
): Promise<LocalStepFunctions> {
  const host = options.host ?? "127.0.0.1";
  const scope: ArnScope = {
    region: options.region ?? "us-east-1",
    accountId: options.accountId ?? "000000000000",
  };
  const invoker = new LambdaInvoker(options.lambdaEndpoint, scope.region);
  const journal = options.dataDir === undefined ? undefined : new FileJournal(options.dataDir);
  const taskTokens = new TaskTokens();
  const statusEvents =
    options.statusEvents === undefined
      ? undefined
      : statusEventSink(options.statusEvents, scope.region);
  const executions = new ExecutionStore(
    scope,
    {
      invoker,
      taskTokens,
      region: scope.region,
      waitScale: options.waitScale ?? 1,
      retryScale: options.retryScale ?? 1,
      ...(statusEvents
        ? { statusChanged: (execution) => statusEvents.statusChanged(execution) }
        : {}),
    },
    journal,
  );
  const machines = new StateMachineRegistry(scope, journal);
  const server = createStepFunctionsServer({
    scope,
    machines,
    executions,
    tokens: new PageTokens(),
    taskTokens,
  });
  server.listen(options.port, host);
  await once(server, "listening");
  if (journal) {
    machines.restore(journal.loadMachines());
    for (const [arn, state] of executions.restore(journal.loadExecutions())) {
      options.onResume?.(arn, state);
    }
  }
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    statusEventCounts: () => statusEvents?.counts() ?? { sent: 0, undelivered: 0 },
    async close() {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await Promise.race([executions.stopAll(), delay(SHUTDOWN_GRACE_MS)]);
      invoker.close();
      // Executions aborted just now (without a data dir) send their ABORTED events too.
      await statusEvents?.close(SHUTDOWN_GRACE_MS);
      await closed;
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
