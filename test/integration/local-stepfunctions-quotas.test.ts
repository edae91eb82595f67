// The local Step Functions endpoint holds an execution to AWS's own quotas, never kinder: a
// history stops at 25,000 events, the last of them the execution's failure, exactly where and as
// AWS records it; and a runaway execution does not stop the endpoint from answering meanwhile.
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LocalStepFunctions,
  startLocalStepFunctions,
} from "../../local/stepfunctions/index.js";

const ROLE_ARN = "arn:aws:iam::123456789012:role/local";

let stepFunctions: LocalStepFunctions;
let sfn: SFNClient;

beforeAll(async () => {
  stepFunctions = await startLocalStepFunctions({
    port: 0,
    // No Task runs here: nothing is invoked.
    lambdaEndpoint: "http://127.0.0.1:9",
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
});

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

describe("an execution's history", () => {
  it("ends at 25,000 events, the last the execution's States.Runtime failure linked to the one before, and the endpoint answers a call made as it starts", async () => {
    // Prepare
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: "endless",
        definition: JSON.stringify(ENDLESS),
        roleArn: ROLE_ARN,
      }),
    );

    // Act: start it, and ask the endpoint something while it spins
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: "{}" }),
    );
    const asked = Date.now();
    await sfn.send(new ListStateMachinesCommand({}));
    const answeredAfterMs = Date.now() - asked;
    let status = "RUNNING";
    const deadline = Date.now() + 120_000;
    let described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    while (described.status === "RUNNING" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    }
    status = described.status ?? "";
    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }),
    );

    // Assess
    console.info(`the endpoint answered ListStateMachines after ${answeredAfterMs} ms`);
    expect(answeredAfterMs).toBeLessThan(5_000);
    expect(status).toBe("FAILED");
    expect(described).toMatchObject({
      error: "States.Runtime",
      cause: "The execution reached the maximum number of history events (25000).",
    });
    expect(events[0]).toMatchObject({
      id: 25_000,
      previousEventId: 24_999,
      type: "ExecutionFailed",
      executionFailedEventDetails: {
        error: "States.Runtime",
        cause: "The execution reached the maximum number of history events (25000).",
      },
    });
    expect(events[1]?.id).toBe(24_999);
    expect(events[1]?.type).not.toBe("ExecutionFailed");
  }, 150_000);
});
