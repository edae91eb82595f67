// The local Step Functions endpoint, driven only through @aws-sdk/client-sfn, with Task states
// invoking a fake Lambda Invoke API that fails the way serverless-offline does.
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidArn,
  InvalidDefinition,
  InvalidExecutionInput,
  InvalidOutput,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  UpdateStateMachineCommand,
  ValidationException,
} from "@aws-sdk/client-sfn";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StepFunctionsWorkflow } from "../../functions/adapters/stepfunctions/workflow.js";
import type { HistoryEntry } from "../../functions/core/history-fold.js";
import type { CopyRecord } from "../../functions/core/job.js";
import { historyPage } from "../../functions/core/job-history.js";
import {
  type LocalStepFunctions,
  startLocalStepFunctions,
} from "../../local/stepfunctions/index.js";

const ROLE_ARN = "arn:aws:iam::123456789012:role/local";
const fn = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;

let lambda: FakeLambda;
let stepFunctions: LocalStepFunctions;
let sfn: SFNClient;

beforeAll(async () => {
  lambda = await FakeLambda.start();
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

describe("state machines", () => {
  it("are created, listed and described, and creating the same one again is idempotent", async () => {
    // Prepare
    const definition = json({ StartAt: "Done", States: { Done: { Type: "Succeed" } } });
    // Act
    const creation = { name: "catalogue", definition, roleArn: ROLE_ARN };
    const created = await sfn.send(new CreateStateMachineCommand(creation));
    const again = await sfn.send(new CreateStateMachineCommand(creation));
    const listed = await sfn.send(new ListStateMachinesCommand({}));
    const described = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }),
    );
    // Assess
    expect(created.stateMachineArn).toBe(
      "arn:aws:states:us-east-1:000000000000:stateMachine:catalogue",
    );
    expect(again).toMatchObject({
      stateMachineArn: created.stateMachineArn,
      creationDate: created.creationDate,
    });
    expect(listed.stateMachines).toContainEqual(
      expect.objectContaining({ name: "catalogue", type: "STANDARD" }),
    );
    expect(described).toMatchObject({
      name: "catalogue",
      status: "ACTIVE",
      definition,
      roleArn: ROLE_ARN,
      type: "STANDARD",
    });
  });

  it("refuses a second machine of the same name with another definition", async () => {
    // Prepare
    await createMachine("taken", json({ StartAt: "A", States: { A: { Type: "Succeed" } } }));
    // Act
    const failure = await failureOf(
      createMachine("taken", json({ StartAt: "B", States: { B: { Type: "Succeed" } } })),
    );
    // Assess
    expect(failure).toBeInstanceOf(StateMachineAlreadyExists);
  });

  it("are updated for new executions and deleted", async () => {
    // Prepare
    const machine = await createMachine(
      "evolving",
      json({ StartAt: "Old", States: { Old: { Type: "Pass", Result: "old", End: true } } }),
    );
    // Act
    await sfn.send(
      new UpdateStateMachineCommand({
        stateMachineArn: machine,
        definition: json({
          StartAt: "New",
          States: { New: { Type: "Pass", Result: "new", End: true } },
        }),
      }),
    );
    const output = (await finished(await start(machine, {}))).output;
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: machine }));
    const describing = await failureOf(
      sfn.send(new DescribeStateMachineCommand({ stateMachineArn: machine })),
    );
    // Assess
    expect(output).toBe('"new"');
    expect(describing).toBeInstanceOf(StateMachineDoesNotExist);
  });

  it("refuses a definition that is not valid ASL", async () => {
    const failure = await failureOf(
      createMachine("broken", json({ StartAt: "A", States: { A: { Type: "Nope" } } })),
    );
    expect(failure).toBeInstanceOf(InvalidDefinition);
  });
});

describe("an execution", () => {
  it("runs Task → Choice → Wait → Map → Succeed to the right output, with AWS's history", async () => {
    // Prepare
    lambda.define("check-copy", (input) => ok({ ...asObject(input), state: "completed" }));
    lambda.define("replicate", (region) => ok({ region, copied: true }));
    const machine = await createMachine(
      "replication",
      json({
        StartAt: "CheckCopy",
        States: {
          CheckCopy: {
            Type: "Task",
            Resource: fn("check-copy"),
            ResultPath: "$.copy",
            Next: "IsComplete",
          },
          IsComplete: {
            Type: "Choice",
            Choices: [{ Variable: "$.copy.state", StringEquals: "completed", Next: "Settle" }],
            Default: "Incomplete",
          },
          Incomplete: { Type: "Fail", Error: "Incomplete" },
          Settle: { Type: "Wait", Seconds: 1, Next: "FanOut" },
          FanOut: {
            Type: "Map",
            ItemsPath: "$.regions",
            ItemProcessor: {
              StartAt: "Replicate",
              States: { Replicate: { Type: "Task", Resource: fn("replicate"), End: true } },
            },
            ResultPath: "$.replicas",
            Next: "Done",
          },
          Done: { Type: "Succeed" },
        },
      }),
    );
    // Act
    const execution = await start(machine, {
      snapshot: "snap-1",
      regions: ["eu-west-1", "ap-south-1"],
    });
    const described = await finished(execution);
    const events = await historyOf(execution);
    // Assess
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(described.output ?? "")).toEqual({
      snapshot: "snap-1",
      regions: ["eu-west-1", "ap-south-1"],
      copy: { snapshot: "snap-1", regions: ["eu-west-1", "ap-south-1"], state: "completed" },
      replicas: [
        { region: "eu-west-1", copied: true },
        { region: "ap-south-1", copied: true },
      ],
    });
    const types = events.map((event) => event.type);
    expect(types.slice(0, 14)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "LambdaFunctionScheduled",
      "LambdaFunctionStarted",
      "LambdaFunctionSucceeded",
      "TaskStateExited",
      "ChoiceStateEntered",
      "ChoiceStateExited",
      "WaitStateEntered",
      "WaitStateExited",
      "MapStateEntered",
      "MapStateStarted",
      "MapIterationStarted",
      "MapIterationStarted",
    ]);
    // The two iterations interleave, as on AWS; each goes through the same events.
    const iteration = [
      "TaskStateEntered",
      "LambdaFunctionScheduled",
      "LambdaFunctionStarted",
      "LambdaFunctionSucceeded",
      "TaskStateExited",
      "MapIterationSucceeded",
    ];
    expect(types.slice(14, -5).sort()).toEqual([...iteration, ...iteration].sort());
    expect(types.slice(-5)).toEqual([
      "MapStateSucceeded",
      "MapStateExited",
      "SucceedStateEntered",
      "SucceedStateExited",
      "ExecutionSucceeded",
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]).toMatchObject({ previousEventId: 0 });
    expect(events[1]).toMatchObject({
      previousEventId: 0,
      stateEnteredEventDetails: { name: "CheckCopy" },
    });
    expect(events[2]?.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: fn("check-copy"),
    });
    expect(events[11]?.mapStateStartedEventDetails).toEqual({ length: 2 });
    expect(events[12]?.mapIterationStartedEventDetails).toEqual({ name: "FanOut", index: 0 });
    expect(events.at(-1)?.executionSucceededEventDetails?.output).toBe(described.output);
    expect(lambda.callsOf("replicate").sort()).toEqual(["ap-south-1", "eu-west-1"]);
  });
});

describe("a failing Task", () => {
  it("is retried on the error name rebuilt from the Lambda trace, then succeeds", async () => {
    // Prepare: serverless-offline says "Error"; only trace[0] names CopyPending.
    lambda.define("poll-copy", (_input, call) =>
      call < 3 ? unhandled("CopyPending", "copy still pending") : ok({ state: "completed" }),
    );
    const machine = await createMachine(
      "retrying",
      json({
        StartAt: "PollCopy",
        States: {
          PollCopy: {
            Type: "Task",
            Resource: fn("poll-copy"),
            Retry: [{ ErrorEquals: ["CopyPending"], IntervalSeconds: 1, MaxAttempts: 3 }],
            End: true,
          },
        },
      }),
    );
    // Act
    const execution = await start(machine, {});
    const described = await finished(execution);
    const events = await historyOf(execution);
    // Assess
    expect(described.status).toBe("SUCCEEDED");
    expect(described.output).toBe(JSON.stringify({ state: "completed" }));
    expect(lambda.callsOf("poll-copy")).toHaveLength(3);
    const failures = events.filter((event) => event.type === "LambdaFunctionFailed");
    expect(failures).toHaveLength(2);
    expect(failures[0]?.lambdaFunctionFailedEventDetails?.error).toBe("CopyPending");
    expect(JSON.parse(failures[0]?.lambdaFunctionFailedEventDetails?.cause ?? "")).toMatchObject({
      errorType: "CopyPending",
      errorMessage: "copy still pending",
    });
    // AWS retries inside the state: one TaskStateEntered, three scheduled invocations.
    expect(events.filter((event) => event.type === "TaskStateEntered")).toHaveLength(1);
    expect(events.filter((event) => event.type === "LambdaFunctionScheduled")).toHaveLength(3);
  });

  it("is retried on Lambda.ServiceException when the Lambda service itself fails", async () => {
    // Prepare
    lambda.define("start-copy", (_input, call) =>
      call === 1 ? { status: 500, body: { message: "boom" } } : ok({ started: true }),
    );
    const machine = await createMachine(
      "service-retry",
      json({
        StartAt: "StartCopy",
        States: {
          StartCopy: {
            Type: "Task",
            Resource: fn("start-copy"),
            Retry: [{ ErrorEquals: ["Lambda.ServiceException"], MaxAttempts: 2 }],
            End: true,
          },
        },
      }),
    );
    // Act
    const execution = await start(machine, {});
    const described = await finished(execution);
    const events = await historyOf(execution);
    // Assess
    expect(described.status).toBe("SUCCEEDED");
    expect(events.find((event) => event.type === "LambdaFunctionFailed")).toMatchObject({
      lambdaFunctionFailedEventDetails: { error: "Lambda.ServiceException" },
    });
  });

  it("is caught by States.ALL and routed to the Catch's Next state", async () => {
    // Prepare
    lambda.define("copy", () => unhandled("CopyFailedError", "snapshot is gone"));
    const machine = await createMachine(
      "catching",
      json({
        StartAt: "Copy",
        States: {
          Copy: {
            Type: "Task",
            Resource: fn("copy"),
            Catch: [
              { ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "RecordFailure" },
            ],
            End: true,
          },
          RecordFailure: { Type: "Pass", End: true },
        },
      }),
    );
    // Act
    const execution = await start(machine, { jobId: "job-1" });
    const described = await finished(execution);
    const types = (await historyOf(execution)).map((event) => event.type);
    // Assess
    expect(described.status).toBe("SUCCEEDED");
    const output = JSON.parse(described.output ?? "");
    expect(output).toMatchObject({ jobId: "job-1", failure: { Error: "CopyFailedError" } });
    expect(JSON.parse(output.failure.Cause)).toMatchObject({
      errorType: "CopyFailedError",
      errorMessage: "snapshot is gone",
    });
    expect(types).toEqual([
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
  });

  it("fails the execution with its error name and cause when nothing catches it", async () => {
    // Prepare
    lambda.define("copy", () => unhandled("CopyFailedError", "snapshot is gone"));
    const machine = await createMachine(
      "failing",
      json({
        StartAt: "Copy",
        States: { Copy: { Type: "Task", Resource: fn("copy"), End: true } },
      }),
    );
    // Act
    const execution = await start(machine, {});
    const described = await finished(execution);
    const events = await historyOf(execution);
    // Assess
    expect(described).toMatchObject({ status: "FAILED", error: "CopyFailedError" });
    expect(described.output).toBeUndefined();
    expect(JSON.parse(described.cause ?? "")).toEqual({
      errorType: "CopyFailedError",
      errorMessage: "snapshot is gone",
      trace: ["CopyFailedError: snapshot is gone", "    at handler (/var/task/index.js:1:1)"],
    });
    expect(events.map((event) => event.type).slice(-3)).toEqual([
      "LambdaFunctionStarted",
      "LambdaFunctionFailed",
      "ExecutionFailed",
    ]);
    expect(events.at(-1)?.executionFailedEventDetails).toEqual({
      error: "CopyFailedError",
      cause: described.cause,
    });
  });

  it("times out after TimeoutSeconds with States.Timeout, and its late answer is ignored", async () => {
    // Prepare
    lambda.define("slow", async () => {
      await sleep(1500);
      return ok({ late: true });
    });
    const machine = await createMachine(
      "timing-out",
      json({
        StartAt: "Slow",
        States: { Slow: { Type: "Task", Resource: fn("slow"), TimeoutSeconds: 1, End: true } },
      }),
    );
    // Act
    const execution = await start(machine, {});
    const described = await finished(execution);
    await sleep(800);
    const types = (await historyOf(execution)).map((event) => event.type);
    // Assess
    expect(described).toMatchObject({ status: "FAILED", error: "States.Timeout" });
    expect(types.slice(-3)).toEqual([
      "LambdaFunctionStarted",
      "LambdaFunctionTimedOut",
      "ExecutionFailed",
    ]);
  });

  it("runs through arn:aws:states:::lambda:invoke with the Invoke response as result", async () => {
    // Prepare
    lambda.define("finalize", (input) => ok({ finalized: input }));
    const machine = await createMachine(
      "optimised",
      json({
        StartAt: "Finalize",
        States: {
          Finalize: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: fn("finalize"), "Payload.$": "$.job" },
            ResultSelector: { "result.$": "$.Payload", "status.$": "$.StatusCode" },
            End: true,
          },
        },
      }),
    );
    // Act
    const execution = await start(machine, { job: { id: 7 } });
    const described = await finished(execution);
    const types = (await historyOf(execution)).map((event) => event.type);
    // Assess
    expect(JSON.parse(described.output ?? "")).toEqual({
      result: { finalized: { id: 7 } },
      status: 200,
    });
    expect(types).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSucceeded",
      "TaskStateExited",
      "ExecutionSucceeded",
    ]);
  });
});

describe("StopExecution", () => {
  it("aborts a run parked in a Wait, keeps the caller's error and cause, and no later Task runs", async () => {
    // Prepare
    lambda.define("after-wait", () => ok({}));
    const machine = await createMachine("parked", parkedDefinition());
    const execution = await start(machine, {});
    await historyContains(execution, "WaitStateEntered");
    // Act
    await sfn.send(
      new StopExecutionCommand({
        executionArn: execution,
        error: "Operator.Cancelled",
        cause: "by test",
      }),
    );
    await sfn.send(new StopExecutionCommand({ executionArn: execution, error: "Ignored" }));
    await sleep(100);
    // Assess
    const described = await describeExecution(execution);
    expect(described).toMatchObject({
      status: "ABORTED",
      error: "Operator.Cancelled",
      cause: "by test",
    });
    expect(described.stopDate).toBeInstanceOf(Date);
    expect((await historyOf(execution)).map((event) => event.type)).toEqual([
      "ExecutionStarted",
      "WaitStateEntered",
      "ExecutionAborted",
    ]);
    expect(lambda.callsOf("after-wait")).toEqual([]);
  });
});

describe("StartExecution", () => {
  it("returns the running execution for the same name and input, and refuses anything else", async () => {
    // Prepare
    const machine = await createMachine("idempotent", parkedDefinition());
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machine, name: "run-1", input: '{"n":1}' }),
    );
    // Act
    const repeated = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machine, name: "run-1", input: '{"n":1}' }),
    );
    const otherInput = await failureOf(start(machine, { n: 2 }, "run-1"));
    await stop(first.executionArn);
    const afterFinish = await failureOf(start(machine, { n: 1 }, "run-1"));
    // Assess
    expect(repeated).toMatchObject({
      executionArn: first.executionArn,
      startDate: first.startDate,
    });
    expect(otherInput).toBeInstanceOf(ExecutionAlreadyExists);
    expect(afterFinish).toBeInstanceOf(ExecutionAlreadyExists);
  });

  it("refuses input that is not a JSON object", async () => {
    const machine = await createMachine("picky", parkedDefinition());
    const failure = await failureOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: "[1]" })),
    );
    expect(failure).toBeInstanceOf(InvalidExecutionInput);
  });
});

describe("ListExecutions", () => {
  it("pages newest first and filters by status", async () => {
    // Prepare: three quick runs, then one parked in its Wait.
    const machine = await createMachine(
      "listed",
      json({
        StartAt: "Park?",
        States: {
          "Park?": {
            Type: "Choice",
            Choices: [{ Variable: "$.park", BooleanEquals: true, Next: "Parked" }],
            Default: "Done",
          },
          Parked: { Type: "Wait", Seconds: 3600, Next: "Done" },
          Done: { Type: "Succeed" },
        },
      }),
    );
    for (const name of ["one", "two", "three"]) {
      await finished(await start(machine, { park: false }, name));
    }
    const parked = await start(machine, { park: true }, "four");
    // Act
    const firstPage = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 2 }),
    );
    const secondPage = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: machine,
        maxResults: 2,
        nextToken: firstPage.nextToken,
      }),
    );
    const running = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: "RUNNING" }),
    );
    const succeeded = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: "SUCCEEDED" }),
    );
    const badToken = await failureOf(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, nextToken: "forged" })),
    );
    // Assess
    expect(firstPage.executions?.map((e) => e.name)).toEqual(["four", "three"]);
    expect(firstPage.nextToken).toBeDefined();
    expect(secondPage.executions?.map((e) => e.name)).toEqual(["two", "one"]);
    expect(secondPage.nextToken).toBeUndefined();
    expect(running.executions?.map((e) => e.name)).toEqual(["four"]);
    expect(running.executions?.[0]?.stopDate).toBeUndefined();
    expect(succeeded.executions?.map((e) => e.name)).toEqual(["three", "two", "one"]);
    expect(succeeded.executions?.[0]?.stopDate).toBeInstanceOf(Date);
    expect(badToken).toBeInstanceOf(InvalidToken);
    await stop(parked);
  });
});

describe("GetExecutionHistory", () => {
  it("honours reverseOrder, maxResults, nextToken and includeExecutionData", async () => {
    // Prepare
    lambda.define("echo", (input) => ok(input));
    const machine = await createMachine(
      "history",
      json({
        StartAt: "Echo",
        States: { Echo: { Type: "Task", Resource: fn("echo"), End: true } },
      }),
    );
    const execution = await start(machine, { secret: "payload" });
    await finished(execution);
    const all = await historyOf(execution);
    // Act
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: execution, reverseOrder: true }),
    );
    const paged: HistoryEvent[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: execution, maxResults: 2, nextToken }),
      );
      paged.push(...(page.events ?? []));
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken !== undefined);
    const withoutData = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: execution, includeExecutionData: false }),
    );
    // Assess
    expect(all).toHaveLength(7);
    expect(reversed.events?.map((event) => event.id)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(pages).toBe(4);
    expect(paged).toEqual(all);
    expect(JSON.stringify(all)).toContain("payload");
    expect(JSON.stringify(withoutData.events)).not.toContain("payload");
    expect(withoutData.events?.[1]?.stateEnteredEventDetails).toEqual({ name: "Echo" });
  });

  it("pages in reverse, reads a page again from its token, and refuses a token not of this execution", async () => {
    // Prepare: two runs of one machine.
    lambda.define("echo", (input) => ok(input));
    const machine = await createMachine(
      "history-tokens",
      json({
        StartAt: "Echo",
        States: { Echo: { Type: "Task", Resource: fn("echo"), End: true } },
      }),
    );
    const execution = await start(machine, { run: 1 });
    const other = await start(machine, { run: 2 });
    await finished(execution);
    await finished(other);
    const page = (fields: { nextToken?: string; maxResults?: number; reverseOrder?: boolean }) =>
      sfn.send(new GetExecutionHistoryCommand({ executionArn: execution, ...fields }));
    const first = await page({ maxResults: 3 });
    const otherFirst = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: other, maxResults: 3 }),
    );

    // Act
    const second = await page({ maxResults: 3, nextToken: first.nextToken });
    const secondAgain = await page({ maxResults: 3, nextToken: first.nextToken });
    const reversed = await page({ maxResults: 4, reverseOrder: true });
    const reversedRest = await page({
      maxResults: 4,
      reverseOrder: true,
      nextToken: reversed.nextToken,
    });
    const byDefault = await page({ maxResults: 0 });
    const refusals = await Promise.all([
      failureOf(page({ nextToken: otherFirst.nextToken })),
      failureOf(page({ nextToken: first.nextToken, reverseOrder: true })),
      failureOf(page({ nextToken: "forged" })),
      failureOf(page({ nextToken: `${first.nextToken}x` })),
      failureOf(page({ nextToken: "x".repeat(1025) })),
      failureOf(page({ maxResults: 1001 })),
    ]);

    // Assess
    expect(first.events?.map((event) => event.id)).toEqual([1, 2, 3]);
    expect(second.events?.map((event) => event.id)).toEqual([4, 5, 6]);
    expect(secondAgain.events).toEqual(second.events);
    expect(reversed.events?.map((event) => event.id)).toEqual([7, 6, 5, 4]);
    expect(reversedRest.events?.map((event) => event.id)).toEqual([3, 2, 1]);
    expect(reversedRest.nextToken).toBeUndefined();
    expect(byDefault.events).toHaveLength(7);
    expect(refusals.slice(0, 4).map((refusal) => refusal instanceof InvalidToken)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(refusals[4]).toBeInstanceOf(ValidationException);
    expect(String((refusals[4] as Error).message)).toMatch(/nextToken.*1024/);
    expect(refusals[5]).toBeInstanceOf(ValidationException);
  });
});

describe("a job's history read through the Workflow adapter", () => {
  it("gives page by page, one read each, what the whole history gives, copies side by side", async () => {
    // Prepare: three copies, each retried once, side by side in a Map.
    lambda.define("flaky", (input, call) =>
      call <= 3 ? unhandled("ServiceBusy", "DynamoDB is busy.") : ok(input),
    );
    lambda.define("echo", (input) => ok(input));
    const machine = await createMachine(
      "history-adapter",
      json({
        StartAt: "Validate",
        States: {
          Validate: { Type: "Task", Resource: fn("echo"), ResultPath: null, Next: "Copies" },
          Copies: {
            Type: "Map",
            ItemsPath: "$.regions",
            ItemProcessor: {
              StartAt: "StartCopy",
              States: {
                StartCopy: {
                  Type: "Task",
                  Resource: fn("flaky"),
                  Retry: [{ ErrorEquals: ["ServiceBusy"], IntervalSeconds: 1, MaxAttempts: 2 }],
                  Next: "Settle",
                },
                Settle: { Type: "Wait", Seconds: 1, Next: "FinalizeCopy" },
                FinalizeCopy: { Type: "Task", Resource: fn("echo"), End: true },
              },
            },
            ResultPath: null,
            Next: "Done",
          },
          Done: { Type: "Succeed" },
        },
      }),
    );
    const regions = ["ap-mumbai", "ap-beijing", "ap-chengdu"];
    const executionArn = await start(machine, { regions });
    await finished(executionArn);
    const workflow = new StepFunctionsWorkflow(sfn, machine);
    const job = {
      jobId: "job-history",
      accountId: "123456789012",
      executionArn,
      copies: regions.map((destinationRegion) => ({ destinationRegion }) as CopyRecord),
    };
    const whole = await historyPage(job, { limit: 1000 }, workflow);

    // Act
    const reads: number[] = [];
    const paged: HistoryEntry[] = [];
    let nextToken: string | undefined;
    do {
      let calls = 0;
      const counting = {
        historyPage: (arn: string, page: { nextToken?: string; maxResults: number }) => {
          calls++;
          return workflow.historyPage(arn, page);
        },
      };
      const page = await historyPage(job, { limit: 1, nextToken, eventsPerRead: 3 }, counting);
      reads.push(calls);
      paged.push(...page.entries);
      nextToken = page.nextToken;
    } while (nextToken);
    const missing = await workflow.historyPage(`${executionArn}-missing`, { maxResults: 10 });
    const foreignToken = await failureOf(
      workflow.historyPage(executionArn, { maxResults: 10, nextToken: "forged" }),
    );

    // Assess
    const inSomeOrder = (entries: HistoryEntry[]) => entries.map((e) => JSON.stringify(e)).sort();
    expect(whole.nextToken).toBeUndefined();
    expect(inSomeOrder(paged)).toEqual(inSomeOrder(whole.entries));
    expect(Math.max(...reads)).toBe(1);
    expect(whole.entries.at(-1)).toMatchObject({ state: "Execution", event: "Succeeded" });
    expect(whole.entries.find((e) => e.state === "Copies")).toMatchObject({ event: "Succeeded" });
    expect(whole.entries.find((e) => e.state === "Done")).toMatchObject({
      destinationRegion: null,
    });
    for (const region of regions) {
      expect(
        whole.entries
          .filter((e) => e.destinationRegion === region)
          .map((e) => e.state)
          .sort(),
      ).toEqual(["FinalizeCopy", "Settle", "StartCopy"]);
    }
    expect(missing).toBeUndefined();
    expect(foreignToken).toMatchObject({ code: "InvalidRequest" });
  });
});

describe("unknown and malformed ARNs", () => {
  it("give StateMachineDoesNotExist, ExecutionDoesNotExist and InvalidArn", async () => {
    // Prepare
    const missingMachine = "arn:aws:states:us-east-1:000000000000:stateMachine:nowhere";
    const missingExecution = "arn:aws:states:us-east-1:000000000000:execution:nowhere:nothing";
    // Act
    const describing = await failureOf(
      sfn.send(new DescribeStateMachineCommand({ stateMachineArn: missingMachine })),
    );
    const starting = await failureOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn: missingMachine })),
    );
    const listing = await failureOf(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: missingMachine })),
    );
    const describingExecution = await failureOf(
      sfn.send(new DescribeExecutionCommand({ executionArn: missingExecution })),
    );
    const history = await failureOf(
      sfn.send(new GetExecutionHistoryCommand({ executionArn: missingExecution })),
    );
    const stopping = await failureOf(
      sfn.send(new StopExecutionCommand({ executionArn: missingExecution })),
    );
    const malformed = await failureOf(
      sfn.send(new DescribeExecutionCommand({ executionArn: "arn:nope" })),
    );
    // Assess
    expect(describing).toBeInstanceOf(StateMachineDoesNotExist);
    expect(describing).toMatchObject({
      message: `State Machine Does Not Exist: '${missingMachine}'`,
      $metadata: { httpStatusCode: 400 },
    });
    expect(starting).toBeInstanceOf(StateMachineDoesNotExist);
    expect(listing).toBeInstanceOf(StateMachineDoesNotExist);
    expect(describingExecution).toBeInstanceOf(ExecutionDoesNotExist);
    expect(history).toBeInstanceOf(ExecutionDoesNotExist);
    expect(stopping).toBeInstanceOf(ExecutionDoesNotExist);
    expect(malformed).toBeInstanceOf(InvalidArn);
  });
});

describe("callback tasks (.waitForTaskToken)", () => {
  it("invoke their Lambda with a task token, wait, and go on with SendTaskSuccess's output, recording AWS's events", async () => {
    // Prepare
    lambda.define("queue-copy", () => ok({ queued: true }));
    const machine = await createMachine(
      "callback-success",
      callbackDefinition({ TimeoutSeconds: 300, HeartbeatSeconds: 120 }),
    );
    const execution = await start(machine, { jobId: "job-1" });
    const token = await tokenSentTo("job-1");
    await historyContains(execution, "TaskSubmitted");
    const whileWaiting = await describeExecution(execution);
    // Act
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"slot":3}' }));
    const described = await finished(execution);
    const events = await historyOf(execution);
    // Assess
    expect(whileWaiting.status).toBe("RUNNING");
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(described.output ?? "")).toEqual({ jobId: "job-1", slot: { slot: 3 } });
    expect(events.map((event) => event.type)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSubmitted",
      "TaskSucceeded",
      "TaskStateExited",
      "ExecutionSucceeded",
    ]);
    const resource = { resourceType: "lambda", resource: "invoke.waitForTaskToken" };
    const scheduled = events[2]?.taskScheduledEventDetails;
    expect(scheduled).toMatchObject({
      ...resource,
      region: "us-east-1",
      timeoutInSeconds: 300,
      heartbeatInSeconds: 120,
    });
    expect(JSON.parse(scheduled?.parameters ?? "")).toEqual({
      FunctionName: fn("queue-copy"),
      Payload: { jobId: "job-1", taskToken: token },
    });
    expect(events[3]?.taskStartedEventDetails).toEqual(resource);
    expect(JSON.parse(events[4]?.taskSubmittedEventDetails?.output ?? "")).toMatchObject({
      Payload: { queued: true },
      StatusCode: 200,
    });
    expect(events[5]?.taskSucceededEventDetails).toMatchObject({
      ...resource,
      output: '{"slot":3}',
    });
    expect(lambda.callsOf("queue-copy")).toEqual([{ jobId: "job-1", taskToken: token }]);
  });

  it("can be answered by their own Lambda before its invocation returns", async () => {
    // Prepare: a slot is free, so the Lambda wakes its own task at once
    lambda.define("queue-copy", async (input) => {
      const taskToken = fieldOf(input, "taskToken");
      await sfn.send(
        new SendTaskSuccessCommand({
          taskToken: typeof taskToken === "string" ? taskToken : "",
          output: '{"slot":"free"}',
        }),
      );
      return ok({ queued: false });
    });
    const machine = await createMachine("callback-self-answered", callbackDefinition({}));
    // Act
    const execution = await start(machine, { jobId: "job-1" });
    const described = await finished(execution);
    const types = (await historyOf(execution)).map((event) => event.type);
    // Assess
    expect(JSON.parse(described.output ?? "")).toEqual({ jobId: "job-1", slot: { slot: "free" } });
    expect(types.slice(3, 6)).toEqual(["TaskStarted", "TaskSubmitted", "TaskSucceeded"]);
  });

  it("give every attempt, each retry included, a fresh token", async () => {
    // Prepare
    lambda.define("queue-copy", () => ok({ queued: true }));
    const machine = await createMachine(
      "callback-retry",
      callbackDefinition({ Retry: [{ ErrorEquals: ["SlotLost"], MaxAttempts: 2 }] }),
    );
    const execution = await start(machine, { jobId: "job-1" });
    const first = await tokenSentTo("job-1");
    // Act
    await sfn.send(new SendTaskFailureCommand({ taskToken: first, error: "SlotLost" }));
    const second = await tokenSentTo("job-1", 2);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: second, output: '"slot"' }));
    const described = await finished(execution);
    const lateAnswer = await failureOf(
      sfn.send(new SendTaskSuccessCommand({ taskToken: first, output: "{}" })),
    );
    // Assess
    expect(second).not.toBe(first);
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(described.output ?? "")).toMatchObject({ slot: "slot" });
    expect(lateAnswer).toBeInstanceOf(TaskTimedOut);
    const types = (await historyOf(execution)).map((event) => event.type);
    expect(types.filter((type) => type === "TaskScheduled")).toHaveLength(2);
    expect(types).toContain("TaskFailed");
  });

  it("fail with SendTaskFailure's error and cause, which a Catch matches by name", async () => {
    // Prepare
    lambda.define("queue-copy", () => ok({ queued: true }));
    const machine = await createMachine(
      "callback-failure",
      callbackDefinition(
        {
          Catch: [
            { ErrorEquals: ["States.Timeout"], Next: "AskAgain" },
            { ErrorEquals: ["CopyRejected"], ResultPath: "$.failure", Next: "Rejected" },
          ],
        },
        { AskAgain: { Type: "Pass", End: true }, Rejected: { Type: "Pass", End: true } },
      ),
    );
    const execution = await start(machine, { jobId: "job-1" });
    const token = await tokenSentTo("job-1");
    // Act
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: "CopyRejected", cause: "over quota" }),
    );
    const described = await finished(execution);
    const events = await historyOf(execution);
    // Assess
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(described.output ?? "")).toEqual({
      jobId: "job-1",
      failure: { Error: "CopyRejected", Cause: "over quota" },
    });
    expect(events.map((event) => event.type).slice(4, 8)).toEqual([
      "TaskSubmitted",
      "TaskFailed",
      "TaskStateExited",
      "PassStateEntered",
    ]);
    expect(events[5]?.taskFailedEventDetails).toEqual({
      resourceType: "lambda",
      resource: "invoke.waitForTaskToken",
      error: "CopyRejected",
      cause: "over quota",
    });
  });

  it("fail with a null Error and Cause when SendTaskFailure gives neither, as AWS does", async () => {
    // Prepare
    lambda.define("queue-copy", () => ok({ queued: true }));
    const machine = await createMachine(
      "callback-bare-failure",
      callbackDefinition(
        { Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Caught" }] },
        { Caught: { Type: "Pass", End: true } },
      ),
    );
    const execution = await start(machine, { jobId: "job-1" });
    // Act
    await sfn.send(new SendTaskFailureCommand({ taskToken: await tokenSentTo("job-1") }));
    const described = await finished(execution);
    const events = await historyOf(execution);
    // Assess
    expect(JSON.parse(described.output ?? "")).toMatchObject({
      failure: { Error: null, Cause: null },
    });
    expect(events.find((event) => event.type === "TaskFailed")?.taskFailedEventDetails).toEqual({
      resourceType: "lambda",
      resource: "invoke.waitForTaskToken",
    });
  });

  it("time out with States.Timeout after TimeoutSeconds × waitScale, which States.TaskFailed does not retry", async () => {
    // Prepare: 60 s at the test's wait scale of 0.01 is 0.6 s
    lambda.define("queue-copy", () => ok({ queued: true }));
    const machine = await createMachine(
      "callback-timeout",
      callbackDefinition(
        {
          TimeoutSeconds: 60,
          Retry: [{ ErrorEquals: ["States.TaskFailed"], MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ["States.Timeout"], ResultPath: "$.slotWait", Next: "AskAgain" }],
        },
        { AskAgain: { Type: "Pass", End: true } },
      ),
    );
    // Act
    const execution = await start(machine, { jobId: "job-1" });
    const token = await tokenSentTo("job-1");
    const described = await finished(execution);
    const events = await historyOf(execution);
    const lateAnswer = await failureOf(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })),
    );
    // Assess
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(described.output ?? "")).toMatchObject({
      slotWait: { Error: "States.Timeout" },
    });
    expect(events.map((event) => event.type).slice(2, 7)).toEqual([
      "TaskScheduled",
      "TaskStarted",
      "TaskSubmitted",
      "TaskTimedOut",
      "TaskStateExited",
    ]);
    expect(events[5]?.taskTimedOutEventDetails).toEqual({
      resourceType: "lambda",
      resource: "invoke.waitForTaskToken",
      error: "States.Timeout",
    });
    const waited = secondsBetween(events, "TaskStarted", "TaskTimedOut");
    expect(waited).toBeGreaterThanOrEqual(0.55);
    expect(waited).toBeLessThan(5);
    expect(lambda.callsOf("queue-copy")).toHaveLength(1);
    expect(lateAnswer).toBeInstanceOf(TaskTimedOut);
  });

  it("are kept alive by SendTaskHeartbeat within each HeartbeatSeconds, and time out without it", async () => {
    // Prepare: at the test's wait scale, a heartbeat is due every 0.5 s and the timeout is 10 s
    lambda.define("queue-copy", () => ok({ queued: true }));
    const machine = await createMachine(
      "callback-heartbeat",
      callbackDefinition({ TimeoutSeconds: 1000, HeartbeatSeconds: 50 }),
    );
    const beating = await start(machine, { jobId: "beating" });
    const silent = await start(machine, { jobId: "silent" });
    const token = await tokenSentTo("beating");
    // Act
    for (let beat = 0; beat < 8; beat += 1) {
      await sleep(100);
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '"alive"' }));
    const kept = await finished(beating);
    const lost = await finished(silent);
    const keptEvents = await historyOf(beating);
    const lostEvents = await historyOf(silent);
    // Assess
    expect(kept.status).toBe("SUCCEEDED");
    expect(secondsBetween(keptEvents, "TaskStarted", "TaskSucceeded")).toBeGreaterThan(0.5);
    expect(lost).toMatchObject({ status: "FAILED", error: "States.Timeout" });
    expect(lostEvents.map((event) => event.type).slice(-2)).toEqual([
      "TaskTimedOut",
      "ExecutionFailed",
    ]);
    const waited = secondsBetween(lostEvents, "TaskStarted", "TaskTimedOut");
    expect(waited).toBeGreaterThanOrEqual(0.45);
    expect(waited).toBeLessThan(5);
  });

  it("fail at once with the Lambda's error when its invocation fails", async () => {
    // Prepare
    lambda.define("queue-copy", () => unhandled("QueueUnavailable", "the table is gone"));
    const machine = await createMachine(
      "callback-invoke-failure",
      callbackDefinition({ TimeoutSeconds: 1000 }),
    );
    // Act
    const execution = await start(machine, { jobId: "job-1" });
    const token = await tokenSentTo("job-1");
    const described = await finished(execution);
    const answer = await failureOf(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })),
    );
    // Assess
    expect(described).toMatchObject({ status: "FAILED", error: "QueueUnavailable" });
    expect((await historyOf(execution)).map((event) => event.type).slice(-3)).toEqual([
      "TaskStarted",
      "TaskFailed",
      "ExecutionFailed",
    ]);
    expect(answer).toBeInstanceOf(TaskTimedOut);
  });

  it("answer malformed, unknown and spent tokens, bad output and long errors with AWS's errors", async () => {
    // Prepare
    lambda.define("queue-copy", () => ok({ queued: true }));
    const machine = await createMachine("callback-refusals", callbackDefinition({}));
    const answered = await start(machine, { jobId: "answered" });
    const stopped = await start(machine, { jobId: "stopped" });
    const token = await tokenSentTo("answered");
    const stoppedToken = await tokenSentTo("stopped");
    const unknown = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    const succeed = (taskToken: string, output = "{}") =>
      failureOf(sfn.send(new SendTaskSuccessCommand({ taskToken, output })));
    // Act
    const malformed = await succeed("not-a-token");
    const neverIssued = await succeed(unknown);
    const badOutput = await succeed(token, "{not json");
    const longError = await failureOf(
      sfn.send(new SendTaskFailureCommand({ taskToken: token, error: "E".repeat(257) })),
    );
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" }));
    const twice = await succeed(token);
    const heartbeatAfter = await failureOf(
      sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })),
    );
    await stop(stopped);
    const afterStop = await succeed(stoppedToken);
    // Assess
    expect(malformed).toBeInstanceOf(InvalidToken);
    expect(neverIssued).toBeInstanceOf(TaskDoesNotExist);
    expect(badOutput).toBeInstanceOf(InvalidOutput);
    expect(longError).toBeInstanceOf(ValidationException);
    expect(twice).toBeInstanceOf(TaskTimedOut);
    expect(twice).toMatchObject({
      message: "Task Timed Out: 'Provided task does not exist anymore'",
    });
    expect(heartbeatAfter).toBeInstanceOf(TaskTimedOut);
    expect(afterStop).toBeInstanceOf(TaskTimedOut);
    expect((await finished(answered)).status).toBe("SUCCEEDED");
    expect((await historyOf(stopped)).map((event) => event.type).slice(-2)).toEqual([
      "TaskSubmitted",
      "ExecutionAborted",
    ]);
  });

  it("are abandoned when a Map sibling fails, and their tokens then answer TaskTimedOut", async () => {
    // Prepare: job "b" waits for its callback; job "a" fails its invocation a moment later
    lambda.define("queue-copy", async (input) => {
      if (fieldOf(input, "jobId") !== "a") return ok({ queued: true });
      await sleep(300);
      return unhandled("QueueUnavailable", "the table is gone");
    });
    const machine = await createMachine(
      "callback-map",
      json({
        StartAt: "EachJob",
        States: {
          EachJob: {
            Type: "Map",
            ItemsPath: "$.jobs",
            ItemProcessor: JSON.parse(callbackDefinition({})),
            End: true,
          },
        },
      }),
    );
    // Act
    const execution = await start(machine, { jobs: [{ jobId: "a" }, { jobId: "b" }] });
    const waiting = await tokenSentTo("b");
    const described = await finished(execution);
    const answer = await failureOf(
      sfn.send(new SendTaskSuccessCommand({ taskToken: waiting, output: "{}" })),
    );
    // Assess
    expect(described).toMatchObject({ status: "FAILED", error: "QueueUnavailable" });
    expect(answer).toBeInstanceOf(TaskTimedOut);
  });

  it("time out by TimeoutSecondsPath in one Map iteration and leave the others waiting", async () => {
    // Prepare: "quick" gives up after 0.3 s at the test's wait scale, "patient" after 10 s
    lambda.define("queue-copy", () => ok({ queued: true }));
    const machine = await createMachine(
      "callback-map-timeout",
      json({
        StartAt: "EachJob",
        States: {
          EachJob: {
            Type: "Map",
            ItemsPath: "$.jobs",
            ItemProcessor: JSON.parse(
              callbackDefinition(
                {
                  TimeoutSecondsPath: "$.waitSeconds",
                  Catch: [{ ErrorEquals: ["States.Timeout"], Next: "GiveUp" }],
                },
                { GiveUp: { Type: "Pass", Result: "gave up", End: true } },
              ),
            ),
            End: true,
          },
        },
      }),
    );
    const execution = await start(machine, {
      jobs: [
        { jobId: "quick", waitSeconds: 30 },
        { jobId: "patient", waitSeconds: 1000 },
      ],
    });
    const patient = await tokenSentTo("patient");
    // Act
    await historyContains(execution, "MapIterationSucceeded");
    await sfn.send(new SendTaskSuccessCommand({ taskToken: patient, output: '"slot"' }));
    const described = await finished(execution);
    const events = await historyOf(execution);
    // Assess
    expect(JSON.parse(described.output ?? "")).toEqual([
      "gave up",
      { jobId: "patient", waitSeconds: 1000, slot: "slot" },
    ]);
    const limits = events.flatMap(
      (event) => event.taskScheduledEventDetails?.timeoutInSeconds ?? [],
    );
    expect(limits.sort((a, b) => a - b)).toEqual([30, 1000]);
  });

  it("wake 50 executions waiting at once, each by its own token", async () => {
    // Prepare
    lambda.define("queue-copy", () => ok({ queued: true }));
    const machine = await createMachine("callback-crowd", callbackDefinition({}));
    const jobs = Array.from({ length: 50 }, (_, index) => `job-${index}`);
    const executions = await Promise.all(jobs.map((jobId) => start(machine, { jobId })));
    const tokens = await Promise.all(jobs.map((jobId) => tokenSentTo(jobId)));
    // Act
    await Promise.all(
      jobs.map((jobId, index) =>
        sfn.send(
          new SendTaskSuccessCommand({
            taskToken: tokens[index],
            output: JSON.stringify({ wokenFor: jobId }),
          }),
        ),
      ),
    );
    const outputs = await Promise.all(
      executions.map(async (execution) => JSON.parse((await finished(execution)).output ?? "")),
    );
    // Assess
    expect(new Set(tokens).size).toBe(50);
    expect(outputs).toEqual(jobs.map((jobId) => ({ jobId, slot: { wokenFor: jobId } })));
  });
});

// ---- helpers -------------------------------------------------------------------------------

function json(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * A machine whose one Task queues the job through the "queue-copy" Lambda and waits for its task
 * token to be answered, as the replication machine's WaitForSlot does.
 */
function callbackDefinition(task: object, otherStates: object = {}): string {
  return json({
    StartAt: "WaitForSlot",
    States: {
      WaitForSlot: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
        Parameters: {
          FunctionName: fn("queue-copy"),
          Payload: { "jobId.$": "$.jobId", "taskToken.$": "$$.Task.Token" },
        },
        ResultPath: "$.slot",
        End: true,
        ...task,
      },
      ...otherStates,
    },
  });
}

/** The task token "queue-copy" got with its `call`-th invocation (from 1) for `jobId`. */
async function tokenSentTo(jobId: string, call = 1): Promise<string> {
  return eventually(async () => {
    const payloads = lambda.callsOf("queue-copy").filter((p) => fieldOf(p, "jobId") === jobId);
    const token = fieldOf(payloads[call - 1], "taskToken");
    return typeof token === "string" ? token : undefined;
  });
}

/** Seconds between the first events of two types, by their timestamps. */
function secondsBetween(events: HistoryEvent[], from: string, to: string): number {
  const at = (type: string) => events.find((event) => event.type === type)?.timestamp?.getTime();
  return ((at(to) ?? Number.NaN) - (at(from) ?? Number.NaN)) / 1000;
}

/** Waits an hour (36 s at the test's wait scale), then calls a Lambda: something to stop. */
function parkedDefinition(): string {
  return json({
    StartAt: "Park",
    States: {
      Park: { Type: "Wait", Seconds: 3600, Next: "AfterWait" },
      AfterWait: { Type: "Task", Resource: fn("after-wait"), End: true },
    },
  });
}

/** Creates (or finds, the call being idempotent) a state machine; returns its ARN. */
async function createMachine(name: string, definition: string): Promise<string> {
  const created = await sfn.send(
    new CreateStateMachineCommand({ name, definition, roleArn: ROLE_ARN }),
  );
  return created.stateMachineArn ?? "";
}

async function start(stateMachineArn: string, input: object, name?: string): Promise<string> {
  const started = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  return started.executionArn ?? "";
}

async function stop(executionArn: string | undefined): Promise<void> {
  await sfn.send(new StopExecutionCommand({ executionArn }));
}

async function describeExecution(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

async function finished(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return eventually(async () => {
    const described = await describeExecution(executionArn);
    return described.status === ("RUNNING" satisfies ExecutionStatus) ? undefined : described;
  });
}

async function historyOf(executionArn: string): Promise<HistoryEvent[]> {
  const history = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
  );
  return history.events ?? [];
}

async function historyContains(executionArn: string, type: string): Promise<void> {
  await eventually(async () =>
    (await historyOf(executionArn)).some((event) => event.type === type) ? true : undefined,
  );
}

async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error("gave up waiting");
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

function asObject(value: unknown): object {
  return typeof value === "object" && value !== null ? value : {};
}

/** A field of a payload the fake Lambda received; undefined if it is no object with that field. */
function fieldOf(payload: unknown, field: string): unknown {
  return Object.entries(asObject(payload)).find(([name]) => name === field)?.[1];
}

// ---- a fake Lambda Invoke API that answers like serverless-offline ---------------------------

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** `call` counts this function's invocations since the last reset, from 1. */
type FakeFunction = (input: unknown, call: number) => Reply | Promise<Reply>;

function ok(body: unknown): Reply {
  return { body };
}

/** An unhandled error as serverless-offline reports it: the real name only in trace[0]. */
function unhandled(name: string, message: string): Reply {
  return {
    headers: { "X-Amz-Function-Error": "Unhandled" },
    body: {
      errorType: "Error",
      errorMessage: message,
      trace: [`${name}: ${message}`, "    at handler (/var/task/index.js:1:1)"],
    },
  };
}

class FakeLambda {
  private readonly functions = new Map<string, FakeFunction>();
  private invocations: { name: string; input: unknown }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeLambda> {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const lambda = new FakeLambda(server, `http://127.0.0.1:${port}`);
    server.on("request", async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const reply = await lambda.invoke(request.url ?? "", Buffer.concat(chunks).toString("utf8"));
      response.writeHead(reply.status ?? 200, {
        "Content-Type": "application/json",
        ...reply.headers,
      });
      response.end(JSON.stringify(reply.body));
    });
    return lambda;
  }

  define(name: string, behaviour: FakeFunction): void {
    this.functions.set(name, behaviour);
  }

  callsOf(name: string): unknown[] {
    return this.invocations.filter((call) => call.name === name).map((call) => call.input);
  }

  reset(): void {
    this.functions.clear();
    this.invocations = [];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, "close");
  }

  private invoke(url: string, body: string): Reply | Promise<Reply> {
    const name = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(url)?.[1] ?? "";
    const behaviour = this.functions.get(decodeURIComponent(name));
    if (behaviour === undefined) {
      return {
        status: 404,
        headers: { "x-amzn-ErrorType": "ResourceNotFoundException" },
        body: { Message: `Function not found: ${name}`, Type: "User" },
      };
    }
    const input: unknown = body === "" ? {} : JSON.parse(body);
    this.invocations.push({ name, input });
    return behaviour(input, this.callsOf(name).length);
  }
}

// ---- restarts: a data dir keeps machines and executions, and unfinished runs carry on --------

describe("with a data dir, across a restart", () => {
  let dataDir: string;
  const running: LocalStepFunctions[] = [];
  const clients: SFNClient[] = [];

  const startEndpoint = async () => {
    const endpoint = await startLocalStepFunctions({
      port: 0,
      lambdaEndpoint: lambda.url,
      waitScale: 0.01,
      retryScale: 0.01,
      dataDir,
    });
    running.push(endpoint);
    const client = new SFNClient({
      endpoint: endpoint.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    clients.push(client);
    return { endpoint, client };
  };

  const twoSteps = json({
    StartAt: "First",
    States: {
      First: { Type: "Task", Resource: fn("first"), Next: "Second" },
      Second: { Type: "Task", Resource: fn("second"), End: true },
    },
  });

  const untilFinished = (client: SFNClient, executionArn: string) =>
    eventually(async () => {
      const described = await client.send(new DescribeExecutionCommand({ executionArn }));
      return described.status === "RUNNING" ? undefined : described;
    });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "snaprelay-sfn-"));
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    for (const endpoint of running.splice(0)) await endpoint.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("still knows its machines and finished executions, with their whole history", async () => {
    // Prepare
    lambda.define("first", () => ok({ step: 1 }));
    lambda.define("second", () => ok({ step: 2 }));
    const before = await startEndpoint();
    const { stateMachineArn } = await before.client.send(
      new CreateStateMachineCommand({ name: "kept", definition: twoSteps, roleArn: ROLE_ARN }),
    );
    const { executionArn = "" } = await before.client.send(
      new StartExecutionCommand({ stateMachineArn, name: "run-1", input: "{}" }),
    );
    await untilFinished(before.client, executionArn);
    const historyBefore = await before.client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    await before.endpoint.close();

    // Act
    const after = await startEndpoint();
    const machines = await after.client.send(new ListStateMachinesCommand({}));
    const described = await after.client.send(new DescribeExecutionCommand({ executionArn }));
    const historyAfter = await after.client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );

    // Assess
    expect(machines.stateMachines?.map((machine) => machine.name)).toEqual(["kept"]);
    expect(described).toMatchObject({ status: "SUCCEEDED", output: '{"step":2}' });
    expect(historyAfter.events).toEqual(historyBefore.events);
  });

  it("resumes a run stopped with the endpoint from the state it was in, and runs no earlier state again", async () => {
    // Prepare: Second hangs on its first call, as a step does while the machine goes down
    lambda.define("first", () => ok({ step: 1 }));
    lambda.define("second", (_input, call) =>
      call === 1 ? new Promise<Reply>(() => {}) : ok({ step: 2 }),
    );
    const before = await startEndpoint();
    const { stateMachineArn } = await before.client.send(
      new CreateStateMachineCommand({ name: "resumed", definition: twoSteps, roleArn: ROLE_ARN }),
    );
    const { executionArn = "" } = await before.client.send(
      new StartExecutionCommand({ stateMachineArn, name: "run-1", input: '{"jobId":"job-1"}' }),
    );
    await eventually(async () => (lambda.callsOf("second").length === 1 ? true : undefined));
    await before.endpoint.close();

    // Act
    const after = await startEndpoint();
    const described = await untilFinished(after.client, executionArn);

    // Assess
    const history = await after.client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    const events = history.events ?? [];
    const entered = events.flatMap((event) => event.stateEnteredEventDetails?.name ?? []);
    expect(described.status).toBe("SUCCEEDED");
    expect(lambda.callsOf("first")).toHaveLength(1);
    expect(lambda.callsOf("second")).toEqual([{ step: 1 }, { step: 1 }]);
    expect(entered).toEqual(["First", "Second", "Second"]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events.filter((event) => event.type === "ExecutionStarted")).toHaveLength(1);
  });

  it("resumes a waiting callback Task with a new token, and the token sent before is unknown", async () => {
    // Prepare
    lambda.define("queue-copy", () => ok({ queued: true }));
    const before = await startEndpoint();
    const { stateMachineArn } = await before.client.send(
      new CreateStateMachineCommand({
        name: "callback-resumed",
        definition: callbackDefinition({}),
        roleArn: ROLE_ARN,
      }),
    );
    const { executionArn = "" } = await before.client.send(
      new StartExecutionCommand({ stateMachineArn, name: "run-1", input: '{"jobId":"job-1"}' }),
    );
    const oldToken = await tokenSentTo("job-1");
    await before.endpoint.close();

    // Act
    const after = await startEndpoint();
    const newToken = await tokenSentTo("job-1", 2);
    const stale = await failureOf(
      after.client.send(new SendTaskSuccessCommand({ taskToken: oldToken, output: "{}" })),
    );
    await after.client.send(
      new SendTaskSuccessCommand({ taskToken: newToken, output: '"resumed"' }),
    );
    const described = await untilFinished(after.client, executionArn);

    // Assess
    expect(newToken).not.toBe(oldToken);
    expect(stale).toBeInstanceOf(TaskDoesNotExist);
    expect(described).toMatchObject({
      status: "SUCCEEDED",
      output: JSON.stringify({ jobId: "job-1", slot: "resumed" }),
    });
  });

  /** The files a journal holds for one execution of a "planted" machine, written by hand. */
  const plant = (
    name: string,
    execution: { status: string; startDate: number; stopDate?: number },
    lines: string[],
  ) => {
    const machineArn = "arn:aws:states:us-east-1:000000000000:stateMachine:planted";
    const machine = {
      arn: machineArn,
      name: "planted",
      type: "STANDARD",
      roleArn: ROLE_ARN,
      definition: twoSteps,
      updateDate: execution.startDate,
    };
    writeFileSync(
      join(dataDir, "machines.json"),
      JSON.stringify([
        {
          ...machine,
          creationDate: execution.startDate,
          loggingConfiguration: { level: "OFF", includeExecutionData: false },
          tracingConfiguration: { enabled: false },
        },
      ]),
    );
    mkdirSync(join(dataDir, "executions"), { recursive: true });
    const arn = `arn:aws:states:us-east-1:000000000000:execution:planted:${name}`;
    writeFileSync(
      join(dataDir, "executions", `planted.${name}.json`),
      JSON.stringify({ arn, name, sequence: 1, machine, input: "{}", ...execution }),
    );
    writeFileSync(join(dataDir, "executions", `planted.${name}.events`), lines.join("\n"));
    return arn;
  };

  const event = (id: number, type: string, details: object) =>
    JSON.stringify({ id, previousEventId: id - 1, timestamp: Date.now() / 1000, type, details });

  it("resumes a planted execution whose process died mid-run, from its journal alone", async () => {
    // Prepare: the files a killed endpoint leaves, a run that had entered Second
    lambda.define("first", () => ok({ step: 1 }));
    lambda.define("second", (input) => ok({ resumedWith: input }));
    const executionArn = plant("died", { status: "RUNNING", startDate: Date.now() - 60_000 }, [
      event(1, "ExecutionStarted", { input: "{}", roleArn: ROLE_ARN }),
      event(2, "TaskStateEntered", { name: "First", input: "{}" }),
      event(3, "TaskStateExited", { name: "First", output: '{"step":1}' }),
      event(4, "TaskStateEntered", { name: "Second", input: '{"step":1}' }),
      // A line torn by the kill: dropped, not fatal.
      '{"id":5,"previousEv',
    ]);

    // Act
    const { client } = await startEndpoint();
    const described = await untilFinished(client, executionArn);

    // Assess
    expect(described).toMatchObject({
      status: "SUCCEEDED",
      output: JSON.stringify({ resumedWith: { step: 1 } }),
    });
    expect(lambda.callsOf("first")).toEqual([]);
    expect(lambda.callsOf("second")).toEqual([{ step: 1 }]);
  });

  it("forgets an execution 90 days after it ended, as Step Functions does", async () => {
    // Prepare
    const day = 24 * 60 * 60 * 1000;
    const executionArn = plant(
      "old",
      { status: "SUCCEEDED", startDate: Date.now() - 91 * day, stopDate: Date.now() - 91 * day },
      [event(1, "ExecutionStarted", { input: "{}", roleArn: ROLE_ARN })],
    );

    // Act
    const { client } = await startEndpoint();
    const failure = await failureOf(client.send(new DescribeExecutionCommand({ executionArn })));

    // Assess
    expect(failure).toBeInstanceOf(ExecutionDoesNotExist);
    expect(existsSync(join(dataDir, "executions", "planted.old.events"))).toBe(false);
  });
});
