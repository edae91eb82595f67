// The deployment package gives copyEvents a failure destination the sweeper can replay: its
// asynchronous invocation settings, the queue (encrypted, kept 14 days, with a dead-letter queue
// and an alarm on it), and the grants: copyEvents' role sends to it, the sweeper's receives and
// deletes, and the sweeper is told its URL.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";

type Resource = { Type: string; Properties: Record<string, unknown> };
let resources: Record<string, Resource>;

beforeAll(() => {
  execFileSync(process.execPath, ["node_modules/osls/bin/serverless.js", "package"], {
    env: { ...process.env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" },
    stdio: "pipe",
    timeout: 120_000,
  });
  resources = (
    JSON.parse(readFileSync(".serverless/cloudformation-template-update-stack.json", "utf8")) as {
      Resources: Record<string, Resource>;
    }
  ).Resources;
}, 150_000);

const QUEUE_ARN = { "Fn::GetAtt": ["FailedCopyEventsQueue", "Arn"] };

/** The statements of a role's inline policies. */
const statementsOf = (role: string) =>
  (
    (resources[role]?.Properties.Policies ?? []) as Array<{
      PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> };
    }>
  ).flatMap((policy) => policy.PolicyDocument.Statement);

describe("copyEvents' failure destination, as deployed", () => {
  it("retries a failed event twice within an hour, then sends its record to the queue", () => {
    const configs = Object.values(resources).filter(
      (r) =>
        r.Type === "AWS::Lambda::EventInvokeConfig" &&
        JSON.stringify(r.Properties.FunctionName) === '{"Ref":"CopyEventsLambdaFunction"}',
    );
    expect(configs).toHaveLength(1);
    expect(configs[0]?.Properties).toEqual({
      FunctionName: { Ref: "CopyEventsLambdaFunction" },
      Qualifier: "$LATEST",
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: QUEUE_ARN } },
    });
  });

  it("keeps records 14 days, encrypted, and sets aside one that fails 100 receives", () => {
    expect(resources.FailedCopyEventsQueue?.Properties).toMatchObject({
      QueueName: "snaprelay-dev-failed-copy-events",
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { "Fn::GetAtt": ["FailedCopyEventsDeadLetterQueue", "Arn"] },
        maxReceiveCount: 100,
      },
    });
    expect(resources.FailedCopyEventsDeadLetterQueue?.Properties).toMatchObject({
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
    expect(JSON.stringify(resources.FailedCopyEventsDeadAlarm?.Properties.Dimensions)).toContain(
      "FailedCopyEventsDeadLetterQueue",
    );
  });

  it("lets copyEvents' role send to the queue, and the sweeper's receive and delete", () => {
    expect(statementsOf("CopyEventsRole")).toContainEqual({
      Effect: "Allow",
      Action: "sqs:SendMessage",
      Resource: QUEUE_ARN,
    });
    expect(statementsOf("SweeperRole")).toContainEqual({
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
      Resource: QUEUE_ARN,
    });
  });

  it("lets the sweeper do all that copyEvents does with an event", () => {
    // Every action copyEvents' role allows on a resource, but sending to the queue, the sweeper's
    // role allows on it too (the DynamoDB statements: the sweeper's actions hold copyEvents').
    const grants = (role: string) =>
      statementsOf(role).flatMap((statement) =>
        [statement.Action].flat().map((action) => ({
          action: String(action),
          resource: JSON.stringify(statement.Resource),
        })),
      );
    const sweepers = grants("SweeperRole");
    const missing = grants("CopyEventsRole").filter(
      (grant) =>
        grant.action !== "sqs:SendMessage" &&
        !grant.action.startsWith("logs:") &&
        !sweepers.some((s) => s.action === grant.action && s.resource === grant.resource),
    );
    expect(missing).toEqual([]);
  });

  it("tells the sweeper the queue's URL", () => {
    const sweeper = resources.SweeperLambdaFunction?.Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(sweeper.Variables.FAILED_COPY_EVENTS_QUEUE_URL).toEqual({
      Ref: "FailedCopyEventsQueue",
    });
  });
});
