// The local Step Functions endpoint tells the bus of each execution's status as Step Functions
// does: a "Step Functions Execution Status Change" when it starts and when it ends, put on a bus
// that runs the local EventBridge's own gate (so each event passes as the service's delivery or
// not at all). Best effort, as in AWS: with the bus down, executions run and end as ever, and the
// events are counted undelivered.
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdmittedEvent } from "../../local/event-bus/gate.js";
import {
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  startLocalStepFunctions,
} from "../../local/stepfunctions/index.js";
import { freePort } from "../support/free-port.js";
import { until } from "../support/until.js";
import { keysOf, startTestBus, type TestBus } from "./event-bus-harness.js";

const ACCOUNT = "000000000000";
const REGION = "ap-shanghai";
const TOKEN = "2c9e7a4f1b8d6e3a5c0f9b7d2e4a6c8f1d3b5e7a9c0e2f4b6d8a1c3e5f7b9d0a";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/local`;
const STATUS_CHANGE = "Step Functions Execution Status Change";

let bus: TestBus;
let stepFunctions: LocalStepFunctions;
let sfn: SFNClient;

/** An endpoint whose Task states invoke nothing: these machines have none. */
const endpointOptions = (endpoint: string): LocalStepFunctionsOptions => ({
  port: 0,
  region: REGION,
  accountId: ACCOUNT,
  lambdaEndpoint: "http://127.0.0.1:9",
  waitScale: 0.01,
  retryScale: 0.01,
  statusEvents: { endpoint, token: TOKEN, credentials: keysOf(ACCOUNT) },
});

const clientOf = (endpoint: LocalStepFunctions) =>
  new SFNClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

beforeAll(async () => {
  bus = await startTestBus({ busAccountId: ACCOUNT, busRegion: REGION, awsServiceToken: TOKEN });
  stepFunctions = await startLocalStepFunctions(endpointOptions(bus.url));
  sfn = clientOf(stepFunctions);
});

afterAll(async () => {
  sfn?.destroy();
  await stepFunctions?.close();
  await bus?.close();
});

const createMachine = async (client: SFNClient, name: string, asl: object) =>
  (
    await client.send(
      new CreateStateMachineCommand({ name, definition: JSON.stringify(asl), roleArn: ROLE_ARN }),
    )
  ).stateMachineArn ?? "";

const start = async (client: SFNClient, stateMachineArn: string, name: string, input: object) =>
  (
    await client.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    )
  ).executionArn ?? "";

const finished = (client: SFNClient, executionArn: string) =>
  until<DescribeExecutionCommandOutput>(
    `${executionArn} ends`,
    async () => {
      const described = await client.send(new DescribeExecutionCommand({ executionArn }));
      return described.status === "RUNNING" ? undefined : described;
    },
    20_000,
    20,
  );

/** The bus's events about one execution, once there are `count` of them. */
const eventsOf = (executionArn: string, count: number) =>
  until<AdmittedEvent[]>(
    `${count} status events of ${executionArn}`,
    async () => {
      const events = bus.admitted.filter((event) => event.resources.includes(executionArn));
      return events.length >= count ? events : undefined;
    },
    20_000,
    20,
  );

/** An event's detail, found by the status it tells. */
const detailOf = (events: AdmittedEvent[], status: string) => {
  const event = events.find((candidate) => JSON.parse(candidate.detail).status === status);
  if (!event) throw new Error(`no ${status} event among ${events.length}`);
  return JSON.parse(event.detail) as Record<string, unknown>;
};

describe("status change events", () => {
  it("tell the bus an execution is RUNNING, then that it SUCCEEDED, with its input and output", async () => {
    // Prepare
    const machine = await createMachine(sfn, "succeeds", {
      StartAt: "Done",
      States: {
        Done: { Type: "Pass", Result: { copied: true }, ResultPath: "$.result", End: true },
      },
    });

    // Act
    const execution = await start(sfn, machine, "job-1", { jobId: "job-1" });
    const described = await finished(sfn, execution);
    const events = await eventsOf(execution, 2);

    // Assess
    for (const event of events) {
      expect(event).toMatchObject({
        account: ACCOUNT,
        region: REGION,
        source: "aws.states",
        detailType: STATUS_CHANGE,
        resources: [execution],
      });
    }
    const startDate = described.startDate?.getTime();
    const stopDate = described.stopDate?.getTime();
    expect(detailOf(events, "RUNNING")).toEqual({
      executionArn: execution,
      stateMachineArn: machine,
      name: "job-1",
      status: "RUNNING",
      startDate,
      stopDate: null,
      input: '{"jobId":"job-1"}',
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: null,
      cause: null,
    });
    expect(detailOf(events, "SUCCEEDED")).toEqual({
      executionArn: execution,
      stateMachineArn: machine,
      name: "job-1",
      status: "SUCCEEDED",
      startDate,
      stopDate,
      input: '{"jobId":"job-1"}',
      inputDetails: { included: true },
      output: '{"jobId":"job-1","result":{"copied":true}}',
      outputDetails: { included: true },
      error: null,
      cause: null,
    });
    // Each event's time is its change's: the start, then the end.
    const times = Object.fromEntries(
      events.map((event) => [JSON.parse(event.detail).status, Date.parse(event.time)]),
    );
    expect(times.RUNNING).toBe(startDate);
    expect(times.SUCCEEDED).toBe(stopDate);
    expect(events).toHaveLength(2);
  });

  it("tell the bus an execution FAILED, with its error and cause", async () => {
    // Prepare
    const machine = await createMachine(sfn, "fails", {
      StartAt: "Give up",
      States: {
        "Give up": { Type: "Fail", Error: "CopyFailed", Cause: "The snapshot copy failed." },
      },
    });

    // Act
    const execution = await start(sfn, machine, "job-2", { jobId: "job-2" });
    await finished(sfn, execution);
    const events = await eventsOf(execution, 2);

    // Assess
    expect(detailOf(events, "RUNNING")).toMatchObject({ error: null, cause: null });
    expect(detailOf(events, "FAILED")).toMatchObject({
      executionArn: execution,
      status: "FAILED",
      stopDate: expect.any(Number),
      input: '{"jobId":"job-2"}',
      output: null,
      outputDetails: null,
      error: "CopyFailed",
      cause: "The snapshot copy failed.",
    });
  });

  it("tell the bus an execution was ABORTED, with the error and cause StopExecution gave", async () => {
    // Prepare: a wait of an hour, a few seconds on this endpoint's scale
    const machine = await createMachine(sfn, "waits", {
      StartAt: "Wait",
      States: { Wait: { Type: "Wait", Seconds: 3600, End: true } },
    });
    const execution = await start(sfn, machine, "job-3", {});

    // Act
    await sfn.send(
      new StopExecutionCommand({
        executionArn: execution,
        error: "JobCancelled",
        cause: "Cancelled by its owner.",
      }),
    );
    const events = await eventsOf(execution, 2);

    // Assess
    expect(detailOf(events, "ABORTED")).toMatchObject({
      status: "ABORTED",
      output: null,
      error: "JobCancelled",
      cause: "Cancelled by its owner.",
    });
  });

  it("tell the bus an execution TIMED_OUT, with States.Timeout", async () => {
    // Prepare: the machine's own timeout ends the wait
    const machine = await createMachine(sfn, "times-out", {
      TimeoutSeconds: 1,
      StartAt: "Wait",
      States: { Wait: { Type: "Wait", Seconds: 3600, End: true } },
    });

    // Act
    const execution = await start(sfn, machine, "job-4", {});
    const described = await finished(sfn, execution);
    const events = await eventsOf(execution, 2);

    // Assess
    expect(described.status).toBe("TIMED_OUT");
    expect(detailOf(events, "TIMED_OUT")).toMatchObject({
      status: "TIMED_OUT",
      output: null,
      error: "States.Timeout",
    });
  });

  it("are counted sent, and none undelivered, when the bus takes them", async () => {
    // Act
    const counts = await until(
      "every event sent so far to be counted",
      async () => {
        const now = stepFunctions.statusEventCounts();
        return now.sent >= bus.admitted.length ? now : undefined;
      },
      5_000,
      20,
    );

    // Assess
    expect(counts).toEqual({ sent: bus.admitted.length, undelivered: 0 });
  });
});

describe("with the bus down", () => {
  it("an execution still runs and ends as ever, its events counted undelivered and dropped", async () => {
    // Prepare: nothing listens where the events go
    const downBus = `http://127.0.0.1:${await freePort()}`;
    const alone = await startLocalStepFunctions(endpointOptions(downBus));
    const client = clientOf(alone);
    const machine = await createMachine(client, "succeeds-alone", {
      StartAt: "Done",
      States: { Done: { Type: "Pass", End: true } },
    });

    // Act
    const execution = await start(client, machine, "job-5", { jobId: "job-5" });
    const described = await finished(client, execution);
    client.destroy();
    await alone.close();

    // Assess
    expect(described).toMatchObject({ status: "SUCCEEDED", output: '{"jobId":"job-5"}' });
    expect(alone.statusEventCounts()).toEqual({ sent: 0, undelivered: 2 });
  });
});

describe("without a bus", () => {
  it("no event is sent, and none counted", async () => {
    // Prepare
    const { statusEvents: _none, ...options } = endpointOptions(bus.url);
    const quiet = await startLocalStepFunctions(options);
    const client = clientOf(quiet);
    const machine = await createMachine(client, "quiet", {
      StartAt: "Done",
      States: { Done: { Type: "Pass", End: true } },
    });
    const before = bus.admitted.length;

    // Act
    const execution = await start(client, machine, "job-6", {});
    await finished(client, execution);
    client.destroy();
    await quiet.close();

    // Assess
    expect(bus.admitted.length).toBe(before);
    expect(quiet.statusEventCounts()).toEqual({ sent: 0, undelivered: 0 });
  });
});
