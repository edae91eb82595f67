// The local EventBridge does with a failed asynchronous invocation what Lambda does: two more
// attempts, 1 then 2 minutes later, within the event's maximum age, then the invocation record to
// the function's on-failure destination, if Lambda could send it there; else the event is dropped.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  createFailureDestinations,
  type FailedAttempt,
  type FunctionDefinition,
  nextAttempt,
} from "../../local/event-bus/failure-destinations.js";

const MINUTE = 60_000;
const NOW = Date.parse("2026-12-07T10:03:05.568Z");

/** serverless.yml as the plugin reads it (variables left as written). */
const declared = () =>
  parse(readFileSync("serverless.yml", "utf8")) as {
    functions: Record<string, FunctionDefinition>;
    resources: {
      Resources: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
    };
  };

const attempt = (attempts: number, fields: Partial<FailedAttempt> = {}): FailedAttempt => ({
  functionKey: "copyEvents",
  requestId: "e4b46cbf-b738-4f34-8880-a18cdf61200e",
  event: { id: "event-1", source: "aws.ec2" },
  error: Object.assign(new Error("Rate exceeded"), { name: "CloudThrottled" }),
  attempts,
  receivedAt: 0,
  ...fields,
});

describe("when a failed event runs again", () => {
  const plan = {
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 3600,
    receivedAt: 0,
    minuteMs: MINUTE,
  };

  it("runs it again 1 minute after its first attempt, then 2 minutes after its second, then gives up", () => {
    // Act
    const steps = [
      nextAttempt({ ...plan, attempts: 1, now: 1_000 }),
      nextAttempt({ ...plan, attempts: 2, now: 61_000 }),
      nextAttempt({ ...plan, attempts: 3, now: 181_000 }),
    ];

    // Assess
    expect(steps).toEqual([
      { retryInMs: MINUTE },
      { retryInMs: 2 * MINUTE },
      { gaveUp: "RetriesExhausted" },
    ]);
  });

  it("gives up before an attempt that would come past the event's maximum age", () => {
    // Act
    const step = nextAttempt({ ...plan, maximumEventAgeSeconds: 90, attempts: 2, now: 61_000 });

    // Assess
    expect(step).toEqual({ gaveUp: "EventAgeExceeded" });
  });

  it("keeps to the function's own retries, none included", () => {
    // Act
    const step = nextAttempt({ ...plan, maximumRetryAttempts: 0, attempts: 1, now: 0 });

    // Assess
    expect(step).toEqual({ gaveUp: "RetriesExhausted" });
  });
});

describe("where a failed event's record goes", () => {
  const sent: Array<{ queue: string; body: string }> = [];
  const destinations = (
    functions = declared().functions,
    resources = declared().resources.Resources,
  ) =>
    createFailureDestinations({
      functions: {
        ...functions,
        copyEvents: { ...functions.copyEvents, name: "snaprelay-dev-copyEvents" },
      },
      // The plugin reads the names resolved.
      resources: {
        ...resources,
        FailedCopyEventsQueue: {
          ...resources.FailedCopyEventsQueue,
          Properties: {
            ...resources.FailedCopyEventsQueue?.Properties,
            QueueName: "snaprelay-dev-failed-copy-events",
          },
        },
      },
      region: "us-east-1",
      accountId: "000000000000",
      minuteMs: MINUTE,
      send: async (queue, body) => {
        sent.push({ queue, body });
      },
      now: () => NOW,
    });

  it("sends copyEvents' record to its queue after its third attempt, in Lambda's shape", async () => {
    // Prepare
    sent.length = 0;

    // Act
    const after = await destinations().afterError(attempt(3));

    // Assess
    expect(after).toMatchObject({ gaveUp: "RetriesExhausted" });
    expect(sent.map((s) => s.queue)).toEqual(["snaprelay-dev-failed-copy-events"]);
    expect(JSON.parse(String(sent[0]?.body))).toEqual({
      version: "1.0",
      timestamp: "2026-12-07T10:03:05.568Z",
      requestContext: {
        requestId: "e4b46cbf-b738-4f34-8880-a18cdf61200e",
        functionArn:
          "arn:aws:lambda:us-east-1:000000000000:function:snaprelay-dev-copyEvents:$LATEST",
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: { id: "event-1", source: "aws.ec2" },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: {
        errorType: "CloudThrottled",
        errorMessage: "Rate exceeded",
        trace: expect.arrayContaining(["CloudThrottled: Rate exceeded"]),
      },
    });
  });

  it("sends nothing before the retries are spent", async () => {
    // Prepare
    sent.length = 0;

    // Act
    const after = await destinations().afterError(attempt(1, { receivedAt: NOW - 1_000 }));

    // Assess
    expect(after).toEqual({ retryInMs: MINUTE });
    expect(sent).toEqual([]);
  });

  it("drops the event of a function with no failure destination", async () => {
    // Prepare
    sent.length = 0;

    // Act
    const after = await destinations().afterError(attempt(3, { functionKey: "sweeper" }));

    // Assess
    expect(after).toMatchObject({ notice: expect.stringMatching(/no failure destination/) });
    expect(sent).toEqual([]);
  });

  it("loses the record when the function's role may not send to the queue, as Lambda would", async () => {
    // Prepare: the role's statement for the queue taken out
    sent.length = 0;
    const { resources } = declared();
    const role = structuredClone(resources.Resources.CopyEventsRole) as {
      Properties: {
        Policies: Array<{ PolicyDocument: { Statement: Array<{ Action?: unknown }> } }>;
      };
    };
    for (const policy of role.Properties.Policies) {
      policy.PolicyDocument.Statement = policy.PolicyDocument.Statement.filter(
        (statement) => statement.Action !== "sqs:SendMessage",
      );
    }

    // Act
    const after = await destinations(undefined, {
      ...resources.Resources,
      CopyEventsRole: role,
    }).afterError(attempt(3));

    // Assess
    expect(after).toMatchObject({
      notice: expect.stringMatching(/DestinationDeliveryFailures.*sqs:SendMessage/),
    });
    expect(sent).toEqual([]);
  });
});
