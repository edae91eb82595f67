// The local Step Functions endpoint holds an execution to AWS's own quotas, never kinder: a
// history stops at 25,000 events, the last of them the execution's failure, exactly where and as
// AWS records it; a runaway execution does not stop the endpoint from answering meanwhile; every
// payload (an execution's input, a state's input and output, a task's result, a callback's output)
// is held to 262,144 bytes of UTF-8; and an inline Map runs at most 40 iterations at once.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListStateMachinesCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  ValidationException,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type LocalStepFunctions,
  startLocalStepFunctions,
} from "../../local/stepfunctions/index.js";

const ROLE_ARN = "arn:aws:iam::123456789012:role/local";
const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
/** The payload quota: 256 KiB of UTF-8. */
const QUOTA = 262_144;
/** A Lambda result a little over the quota, as the AWS-recorded case returns: 257 KiB of text. */
const OVERSIZED_RESULT = "a".repeat(257 * 1024);
const dataLimitCause = (subject: string) =>
  `The state/task '${subject}' returned a result with a size exceeding the maximum number of bytes service limit.`;

let lambda: FakeLambda;
let stepFunctions: LocalStepFunctions;
let sfn: SFNClient;

beforeAll(async () => {
  lambda = await FakeLambda.start({
    // A callback task's Lambda: queues nothing and returns; the test answers the token.
    "await-answer": () => ({ queued: true }),
    "big-result": () => OVERSIZED_RESULT,
    echo: (payload) => payload,
  });
  stepFunctions = await startLocalStepFunctions({
    port: 0,
    lambdaEndpoint: lambda.url,
    waitScale: 0.01,
    retryScale: 0.01,
  });
  sfn = new SFNClient({
    endpoint: stepFunctions.url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
});

afterAll(async () => {
  sfn?.destroy();
  await stepFunctions?.close();
  await lambda?.close();
});

beforeEach(() => lambda.reset());

/** A machine that never ends by itself: Pass and Choice, round and round. */
const ENDLESS = {
  StartAt: "Spin",
  States: {
    Spin: { Type: "Pass", Result: { spin: true }, Next: "Loop" },
    Loop: {
      Type: "Choice",
      Choices: [{ Variable: "$.spin", BooleanEquals: true, Next: "Spin" }],
      Default: "Done",
    },
    Done: { Type: "Succeed" },
  },
};
const HISTORY_FULL = "The execution reached the maximum number of history events (25000).";

describe("an execution's history", () => {
  it("ends at 25,000 events, the last the execution's States.Runtime failure linked to the one before", async () => {
    // Prepare
    const stateMachineArn = await createMachine("endless", ENDLESS);
    // Act
    const executionArn = await start(stateMachineArn, {});
    const described = await finished(executionArn, 120_000);
    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }),
    );
    // Assess
    expect(described).toMatchObject({
      status: "FAILED",
      error: "States.Runtime",
      cause: HISTORY_FULL,
    });
    expect(events[0]).toMatchObject({
      id: 25_000,
      previousEventId: 24_999,
      type: "ExecutionFailed",
      executionFailedEventDetails: { error: "States.Runtime", cause: HISTORY_FULL },
    });
    expect(events[1]?.id).toBe(24_999);
    expect(events[1]?.type).not.toBe("ExecutionFailed");
  }, 150_000);
});

describe("a runaway execution", () => {
  it("leaves the endpoint answering StartExecution, ListStateMachines and DescribeExecution within 2 s each while it spins, and still ends at 25,000 events", async () => {
    // Prepare
    const stateMachineArn = await createMachine("endless-answering", ENDLESS);
    // Act: start it, then ask the endpoint again and again until the execution has ended
    const started = await timed(() =>
      sfn.send(new StartExecutionCommand({ stateMachineArn, input: "{}" })),
    );
    const executionArn = started.value.executionArn ?? "";
    const slowest = { listMs: 0, describeMs: 0 };
    let answeredWhileRunning = 0;
    let described: DescribeExecutionCommandOutput;
    const deadline = Date.now() + 120_000;
    do {
      const [listed, description] = await Promise.all([
        timed(() => sfn.send(new ListStateMachinesCommand({}))),
        timed(() => sfn.send(new DescribeExecutionCommand({ executionArn }))),
      ]);
      slowest.listMs = Math.max(slowest.listMs, listed.ms);
      slowest.describeMs = Math.max(slowest.describeMs, description.ms);
      described = description.value;
      if (described.status === "RUNNING") answeredWhileRunning += 1;
      await sleep(50);
    } while (described.status === "RUNNING" && Date.now() < deadline);
    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
    );
    // Assess
    console.info(
      `StartExecution answered in ${started.ms} ms; while it ran, ${answeredWhileRunning} rounds answered, the slowest ListStateMachines in ${slowest.listMs} ms and DescribeExecution in ${slowest.describeMs} ms`,
    );
    expect(started.ms).toBeLessThan(2_000);
    expect(answeredWhileRunning).toBeGreaterThan(0);
    expect(slowest.listMs).toBeLessThan(2_000);
    expect(slowest.describeMs).toBeLessThan(2_000);
    expect(described).toMatchObject({
      status: "FAILED",
      error: "States.Runtime",
      cause: HISTORY_FULL,
    });
    expect(events[0]).toMatchObject({ id: 25_000, type: "ExecutionFailed" });
  }, 150_000);
});

describe("the 256 KiB payload quota", () => {
  it("lets StartExecution take an input of exactly 262,144 bytes and refuses one byte more, counting bytes of UTF-8, not characters", async () => {
    // Prepare
    const stateMachineArn = await createMachine(
      "pass-through",
      json({ StartAt: "Through", States: { Through: { Type: "Pass", End: true } } }),
    );
    const atQuota = json({ s: "a".repeat(QUOTA - 8) });
    const overQuota = json({ s: "a".repeat(QUOTA - 7) });
    // 2 bytes per "é": fewer characters than the quota, more bytes
    const overInBytes = json({ s: "é".repeat((QUOTA - 8) / 2 + 1) });
    // Act
    const accepted = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: atQuota }));
    const refused = await failureOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn, input: overQuota })),
    );
    const refusedInBytes = await failureOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn, input: overInBytes })),
    );
    const described = await finished(accepted.executionArn ?? "");
    // Assess
    expect(Buffer.byteLength(atQuota)).toBe(QUOTA);
    expect(overInBytes.length).toBeLessThan(QUOTA);
    expect(described.status).toBe("SUCCEEDED");
    expect(described.output).toBe(atQuota);
    for (const failure of [refused, refusedInBytes]) {
      expect(failure).toBeInstanceOf(ValidationException);
      expect(failure).toMatchObject({
        message:
          "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144",
      });
    }
  });

  it("fails the execution with States.DataLimitExceeded right after a Pass state whose result is over it is entered, as AWS records it", async () => {
    // Prepare: AWS's own recorded case, a Pass state with a 257 KiB Result
    const stateMachineArn = await createMachine(
      "oversized-pass",
      json({
        StartAt: "State_1",
        States: { State_1: { Type: "Pass", Result: { Arg1: OVERSIZED_RESULT }, End: true } },
      }),
    );
    // Act
    const executionArn = await start(stateMachineArn, {});
    const described = await finished(executionArn);
    const events = await historyOf(executionArn);
    // Assess
    expect(described).toMatchObject({
      status: "FAILED",
      error: "States.DataLimitExceeded",
      cause: dataLimitCause("State_1"),
    });
    expect(events.map((event) => [event.type, event.id, event.previousEventId])).toEqual([
      ["ExecutionStarted", 1, 0],
      ["PassStateEntered", 2, 0],
      ["ExecutionFailed", 3, 2],
    ]);
    expect(events[2]?.executionFailedEventDetails).toEqual({
      error: "States.DataLimitExceeded",
      cause: dataLimitCause("State_1"),
    });
  });

  it("fails the execution when a Task's input after its Parameters is over it, before its Lambda is invoked and whatever its Catch says", async () => {
    // Prepare: the Parameters repeat a 150,000-byte input twice
    const stateMachineArn = await createMachine(
      "oversized-parameters",
      json({
        StartAt: "Twice",
        States: {
          Twice: {
            Type: "Task",
            Resource: fn("echo"),
            Parameters: { "first.$": "$.text", "second.$": "$.text" },
            Catch: [{ ErrorEquals: ["States.ALL"], Next: "Handled" }],
            End: true,
          },
          Handled: { Type: "Pass", End: true },
        },
      }),
    );
    // Act
    const executionArn = await start(stateMachineArn, { text: "a".repeat(150_000) });
    const described = await finished(executionArn);
    const events = await historyOf(executionArn);
    // Assess
    expect(described).toMatchObject({
      status: "FAILED",
      error: "States.DataLimitExceeded",
      cause: dataLimitCause("Twice"),
    });
    expect(events.map((event) => event.type)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "ExecutionFailed",
    ]);
    expect(lambda.callsOf("echo")).toEqual([]);
  });

  it("fails a Task whose Lambda function returns more with States.DataLimitExceeded naming the function, and a Catch of States.ALL takes it, as on AWS", async () => {
    // Prepare
    const stateMachineArn = await createMachine(
      "oversized-function-result",
      json({
        StartAt: "InvokeLambda",
        States: {
          InvokeLambda: {
            Type: "Task",
            Resource: fn("big-result"),
            Catch: [{ ErrorEquals: ["States.ALL"], Next: "HandleGeneralError" }],
            End: true,
          },
          HandleGeneralError: { Type: "Pass", End: true },
        },
      }),
    );
    const cause = dataLimitCause(fn("big-result"));
    // Act
    const executionArn = await start(stateMachineArn, {});
    const described = await finished(executionArn);
    const events = await historyOf(executionArn);
    // Assess
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(described.output ?? "")).toEqual({
      Error: "States.DataLimitExceeded",
      Cause: cause,
    });
    expect(events.map((event) => event.type)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "LambdaFunctionScheduled",
      "LambdaFunctionStarted",
      "LambdaFunctionFailed",
      "TaskStateExited",
      "PassStateEntered",
      "PassStateExited",
      "ExecutionSucceeded",
    ]);
    expect(events[4]?.lambdaFunctionFailedEventDetails).toEqual({
      error: "States.DataLimitExceeded",
      cause,
    });
    expect(lambda.callsOf("big-result")).toHaveLength(1);
  });

  it("fails a lambda:invoke Task whose response is over it with States.DataLimitExceeded naming 'lambda', which a Catch of that error takes", async () => {
    // Prepare
    const stateMachineArn = await createMachine(
      "oversized-invoke-response",
      json({
        StartAt: "InvokeLambda",
        States: {
          InvokeLambda: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: fn("big-result"), Payload: {} },
            Catch: [
              { ErrorEquals: ["States.DataLimitExceeded"], Next: "HandleDataLimitExceeded" },
              { ErrorEquals: ["States.ALL"], Next: "HandleGeneralError" },
            ],
            End: true,
          },
          HandleDataLimitExceeded: { Type: "Pass", End: true },
          HandleGeneralError: { Type: "Pass", End: true },
        },
      }),
    );
    // Act
    const executionArn = await start(stateMachineArn, {});
    const described = await finished(executionArn);
    const events = await historyOf(executionArn);
    // Assess
    expect(described.status).toBe("SUCCEEDED");
    expect(events.map((event) => event.type)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskFailed",
      "TaskStateExited",
      "PassStateEntered",
      "PassStateExited",
      "ExecutionSucceeded",
    ]);
    expect(events[4]?.taskFailedEventDetails).toEqual({
      resourceType: "lambda",
      resource: "invoke",
      error: "States.DataLimitExceeded",
      cause: dataLimitCause("lambda"),
    });
    expect(events[6]?.stateEnteredEventDetails?.name).toBe("HandleDataLimitExceeded");
  });

  it("fails the execution when a Map gathers more than it from its iterations, whatever the Map's Catch says", async () => {
    // Prepare: three iterations of 100,000 bytes each; each alone is within the quota
    const stateMachineArn = await createMachine(
      "oversized-map-output",
      json({
        StartAt: "Gather",
        States: {
          Gather: {
            Type: "Map",
            ItemsPath: "$.items",
            ItemProcessor: {
              StartAt: "Produce",
              States: { Produce: { Type: "Pass", Result: "a".repeat(100_000), End: true } },
            },
            Catch: [{ ErrorEquals: ["States.ALL"], Next: "Handled" }],
            End: true,
          },
          Handled: { Type: "Pass", End: true },
        },
      }),
    );
    // Act
    const executionArn = await start(stateMachineArn, { items: [1, 2, 3] });
    const described = await finished(executionArn);
    const events = await historyOf(executionArn);
    // Assess
    expect(described).toMatchObject({
      status: "FAILED",
      error: "States.DataLimitExceeded",
      cause: dataLimitCause("Gather"),
    });
    expect(events.filter((event) => event.type === "PassStateExited")).toHaveLength(3);
    expect(events.some((event) => event.stateEnteredEventDetails?.name === "Handled")).toBe(false);
    expect(events.some((event) => event.type === "MapStateExited")).toBe(false);
    expect(events.at(-1)?.type).toBe("ExecutionFailed");
  });

  it("lets SendTaskSuccess answer with exactly 262,144 bytes, refusing one byte more while the task waits on", async () => {
    // Prepare
    const stateMachineArn = await createMachine("callback-output", {
      StartAt: "AwaitAnswer",
      States: { AwaitAnswer: { ...awaitAnswer("$.run"), End: true } },
    });
    const executionArn = await start(stateMachineArn, { run: "output" });
    const [call] = await callsOfRun("output", 1);
    const taskToken = call?.taskToken ?? "";
    const atQuota = json({ s: "a".repeat(QUOTA - 8) });
    // Act
    const refused = await failureOf(
      sfn.send(
        new SendTaskSuccessCommand({ taskToken, output: json({ s: "a".repeat(QUOTA - 7) }) }),
      ),
    );
    const whileWaiting = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: atQuota }));
    const described = await finished(executionArn);
    // Assess
    expect(refused).toBeInstanceOf(ValidationException);
    expect(refused).toMatchObject({
      message:
        "1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to 262144",
    });
    expect(whileWaiting.status).toBe("RUNNING");
    expect(described.status).toBe("SUCCEEDED");
    expect(described.output).toBe(atQuota);
  });
});

describe("an inline Map", () => {
  it("runs at most 40 iterations at once, whether its MaxConcurrency is absent, 0 or 100", async () => {
    // Prepare: 60 iterations, each waiting for its task token to be answered
    const machines = {
      absent: await createMachine("map-default", mapOfCallbacks(undefined)),
      zero: await createMachine("map-zero", mapOfCallbacks(0)),
      hundred: await createMachine("map-hundred", mapOfCallbacks(100)),
    };
    // Act
    const waves = {
      absent: await answerInWaves(machines.absent, 60, 40),
      zero: await answerInWaves(machines.zero, 60, 40),
      hundred: await answerInWaves(machines.hundred, 60, 40),
    };
    // Assess: 40 wait at once, the other 20 only as the first are answered
    expect(waves).toEqual({ absent: [40, 20], zero: [40, 20], hundred: [40, 20] });
  });

  it("runs at most MaxConcurrency iterations at once when it asks for fewer than 40", async () => {
    // Prepare
    const stateMachineArn = await createMachine("map-five", mapOfCallbacks(5));
    // Act
    const waves = await answerInWaves(stateMachineArn, 12, 5);
    // Assess
    expect(waves).toEqual([5, 5, 2]);
  });
});

// ---- helpers -------------------------------------------------------------------------------

/** How long a Map waits, once its iterations started, to show any that should not have. */
const SETTLE_MS = 300;

/**
 * A Map over `$.items` whose iterations each invoke "await-answer" with their run and task token,
 * and wait for the token to be answered.
 */
function mapOfCallbacks(maxConcurrency: number | undefined): string {
  return json({
    StartAt: "Fan",
    States: {
      Fan: {
        Type: "Map",
        ItemsPath: "$.items",
        ItemSelector: { "run.$": "$.run" },
        ...(maxConcurrency === undefined ? {} : { MaxConcurrency: maxConcurrency }),
        ItemProcessor: {
          ProcessorConfig: { Mode: "INLINE" },
          StartAt: "AwaitAnswer",
          States: { AwaitAnswer: { ...awaitAnswer("$.run"), End: true } },
        },
        End: true,
      },
    },
  });
}

/** A callback Task: invokes "await-answer" with the run its `runPath` reads and a task token. */
function awaitAnswer(runPath: string): object {
  return {
    Type: "Task",
    Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
    Parameters: {
      FunctionName: fn("await-answer"),
      Payload: { "run.$": runPath, "taskToken.$": "$$.Task.Token" },
    },
  };
}

/**
 * Runs a Map of callbacks over `items` items and answers its waiting iterations wave by wave:
 * each wave is every iteration waiting once `wave` (or the rest) have started and a moment more
 * has passed. Returns each wave's size; the execution must succeed.
 */
async function answerInWaves(stateMachineArn: string, items: number, wave: number) {
  const run = `${stateMachineArn.split(":").at(-1)}-${Date.now()}`;
  const executionArn = await start(stateMachineArn, {
    run,
    items: Array.from({ length: items }, (_, index) => index),
  });
  const waves: number[] = [];
  let answered = 0;
  while (answered < items) {
    await callsOfRun(run, answered + Math.min(wave, items - answered));
    await sleep(SETTLE_MS);
    const waiting = (await callsOfRun(run, 0)).slice(answered);
    waves.push(waiting.length);
    await Promise.all(
      waiting.map(({ taskToken }) =>
        sfn.send(new SendTaskSuccessCommand({ taskToken, output: "{}" })),
      ),
    );
    answered += waiting.length;
  }
  expect((await finished(executionArn)).status).toBe("SUCCEEDED");
  return waves;
}

/** The callbacks "await-answer" got for `run`, once there are at least `count`. */
async function callsOfRun(run: string, count: number) {
  return eventually(async () => {
    const calls = lambda
      .callsOf("await-answer")
      .map((payload) => payload as { run?: string; taskToken: string })
      .filter((payload) => payload.run === run);
    return calls.length >= count ? calls : undefined;
  });
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

async function createMachine(name: string, definition: object | string): Promise<string> {
  const created = await sfn.send(
    new CreateStateMachineCommand({
      name,
      definition: typeof definition === "string" ? definition : json(definition),
      roleArn: ROLE_ARN,
    }),
  );
  return created.stateMachineArn ?? "";
}

async function start(stateMachineArn: string, input: object): Promise<string> {
  const started = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: json(input) }),
  );
  return started.executionArn ?? "";
}

async function finished(
  executionArn: string,
  withinMs = 10_000,
): Promise<DescribeExecutionCommandOutput> {
  return eventually(async () => {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return described.status === "RUNNING" ? undefined : described;
  }, withinMs);
}

async function historyOf(executionArn: string): Promise<HistoryEvent[]> {
  const history = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
  );
  return history.events ?? [];
}

async function eventually<T>(probe: () => Promise<T | undefined>, withinMs = 10_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error("gave up waiting");
}

async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const begun = Date.now();
  const value = await call();
  return { value, ms: Date.now() - begun };
}

/** What a call that should fail threw; a call that succeeded fails the test. */
async function failureOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- a fake Lambda Invoke API: each function answers its payload with a fixed behaviour -------

type FakeFunction = (payload: unknown) => unknown;

class FakeLambda {
  private invocations: { name: string; payload: unknown }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(functions: Record<string, FakeFunction>): Promise<FakeLambda> {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const lambda = new FakeLambda(server, `http://127.0.0.1:${port}`);
    server.on("request", async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const name = decodeURIComponent(/\/functions\/([^/]+)\//.exec(request.url ?? "")?.[1] ?? "");
      const body = Buffer.concat(chunks).toString("utf8");
      const payload: unknown = body === "" ? {} : JSON.parse(body);
      const behaviour = functions[name];
      if (behaviour === undefined) {
        response.writeHead(404, { "x-amzn-ErrorType": "ResourceNotFoundException" });
        response.end(json({ Message: `Function not found: ${name}`, Type: "User" }));
        return;
      }
      lambda.invocations.push({ name, payload });
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(json(behaviour(payload)));
    });
    return lambda;
  }

  callsOf(name: string): unknown[] {
    return this.invocations.filter((call) => call.name === name).map((call) => call.payload);
  }

  reset(): void {
    this.invocations = [];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, "close");
  }
}
