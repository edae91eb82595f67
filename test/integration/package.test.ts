// `npm run package` (osls package) works offline and its CloudFormation template holds
// what a deployment needs: the state machine, every function, the table and the HTTP API.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BusPolicy } from "../../local/event-bus/bus-policy.js";
import { allFunctions } from "../../statemachine/functions.js";

type Resource = { Type: string; Properties: Record<string, unknown> };
let resources: Record<string, Resource>;

beforeAll(() => {
  execFileSync(process.execPath, ["node_modules/osls/bin/serverless.js", "package"], {
    env: { ...process.env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" },
    stdio: "pipe",
    timeout: 120_000,
  });
  const template = JSON.parse(
    readFileSync(".serverless/cloudformation-template-update-stack.json", "utf8"),
  ) as { Resources: Record<string, Resource> };
  resources = template.Resources;
}, 150_000);

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

describe("the deployment package", () => {
  it("holds the state machine, wired to the functions", () => {
    const [machine] = ofType("AWS::StepFunctions::StateMachine");
    expect(machine?.Properties.StateMachineName).toBe("snaprelay-dev-replication");
    expect(JSON.stringify(machine?.Properties.DefinitionString)).toContain(
      "StartCopyLambdaFunction",
    );
  });

  it("deploys the expanded state machine: retriers in full, no retry policy left by name", () => {
    const [machine] = ofType("AWS::StepFunctions::StateMachine");
    const definition = JSON.stringify(machine?.Properties.DefinitionString);
    expect(definition).toContain("Lambda.TooManyRequestsException");
    expect(definition).not.toContain("LambdaTransient");
  });

  it("holds every function, on nodejs22.x", () => {
    const functions = ofType("AWS::Lambda::Function");
    expect(functions.map((f) => f.Properties.FunctionName).sort()).toEqual(
      allFunctions()
        .map((spec) => `snaprelay-dev-${spec.key}`)
        .sort(),
    );
    expect(new Set(functions.map((f) => f.Properties.Runtime))).toEqual(new Set(["nodejs22.x"]));
  });

  it("runs the sweeper and the DR scheduler every minute", () => {
    const rules = ofType("AWS::Events::Rule").filter((rule) => rule.Properties.ScheduleExpression);
    const targets = rules.map((rule) => JSON.stringify(rule.Properties.Targets));
    expect(rules.map((rule) => rule.Properties.ScheduleExpression)).toEqual([
      "rate(1 minute)",
      "rate(1 minute)",
    ]);
    expect(targets.some((target) => target.includes("SweeperLambdaFunction"))).toBe(true);
    expect(targets.some((target) => target.includes("SchedulerLambdaFunction"))).toBe(true);
  });

  it("sends EBS copySnapshot events of the home region's default bus to the copy events function", () => {
    const rules = ofType("AWS::Events::Rule").filter((rule) =>
      JSON.stringify(rule.Properties.Targets).includes("CopyEventsLambdaFunction"),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.EventBusName).toBeUndefined();
    expect(rules[0]?.Properties.EventPattern).toEqual({
      source: ["aws.ec2"],
      "detail-type": ["EBS Snapshot Notification"],
      detail: { event: ["copySnapshot"] },
    });
  });

  it("sends this state machine's executions that ended FAILED, TIMED_OUT or ABORTED to executionEnded", () => {
    const patterned = ofType("AWS::Events::Rule").filter((rule) => rule.Properties.EventPattern);
    const rules = patterned.filter((rule) =>
      JSON.stringify(rule.Properties.Targets).includes("ExecutionEndedLambdaFunction"),
    );
    expect(patterned).toHaveLength(2);
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.EventBusName).toBeUndefined();
    expect(rules[0]?.Properties.EventPattern).toEqual({
      source: ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      detail: {
        status: ["FAILED", "TIMED_OUT", "ABORTED"],
        stateMachineArn: [{ suffix: ":stateMachine:snaprelay-dev-replication" }],
      },
    });
  });

  it("holds the jobs table, billed per request", () => {
    const [table] = ofType("AWS::DynamoDB::Table");
    expect(table?.Properties).toMatchObject({
      TableName: "snaprelay-dev-jobs",
      BillingMode: "PAY_PER_REQUEST",
    });
  });

  it("holds the HTTP API with its routes and the caller-identity authorizer", () => {
    const routes = ofType("AWS::ApiGatewayV2::Route").map((r) => r.Properties.RouteKey);
    expect(ofType("AWS::ApiGatewayV2::Api")).toHaveLength(1);
    expect(ofType("AWS::ApiGatewayV2::Authorizer")).toHaveLength(1);
    expect(routes).toEqual(
      expect.arrayContaining([
        "GET /health",
        "GET /auth",
        "POST /sessions",
        "GET /session",
        "DELETE /session",
        "POST /replications",
        "POST /policies",
        "GET /policies/{policyId}",
        "POST /policies/{policyId}/run",
        "GET /replications",
        "GET /replications/{jobId}",
      ]),
    );
  });

  it("asks the authorizer even without an Authorization header, and keeps none of its verdicts", () => {
    const [authorizer] = ofType("AWS::ApiGatewayV2::Authorizer");

    // A request without the header must reach the authorizer, which answers what to send; an
    // identity source would have the gateway refuse it in its own words first.
    expect(authorizer?.Properties.IdentitySource ?? []).toEqual([]);
    expect(authorizer?.Properties).toMatchObject({
      Name: "callerIdentity",
      AuthorizerType: "REQUEST",
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: "2.0",
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it("lets anyone read how to sign in, and nobody reach a session without the authorizer", () => {
    const routes = new Map(
      ofType("AWS::ApiGatewayV2::Route").map((r) => [r.Properties.RouteKey, r.Properties]),
    );

    expect(routes.get("GET /auth")?.AuthorizationType).toBeUndefined();
    for (const key of ["POST /sessions", "GET /session", "DELETE /session"]) {
      expect(routes.get(key), key).toMatchObject({
        AuthorizationType: "CUSTOM",
        AuthorizerId: { Ref: "HttpApiAuthorizerCallerIdentity" },
      });
    }
  });

  it("holds the copy events forwarder of a destination region, packaged and clean by cfn-lint, beside the tenants' template", () => {
    // Prepare
    const out = mkdtempSync(join(tmpdir(), "snaprelay-forwarder-"));
    try {
      execFileSync(
        process.execPath,
        [
          resolve("node_modules/osls/bin/serverless.js"),
          "package",
          "--region",
          "us-west-2",
          "--param=homeRegion=us-east-1",
          "--package",
          out,
        ],
        {
          cwd: "docs/deploy/copy-events-forwarder",
          env: { ...process.env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" },
          stdio: "pipe",
          timeout: 120_000,
        },
      );
      const forwarder = JSON.parse(
        readFileSync(join(out, "cloudformation-template-update-stack.json"), "utf8"),
      ) as { Resources: Record<string, Resource> };
      const rule = Object.values(forwarder.Resources).find((r) => r.Type === "AWS::Events::Rule");

      // Act
      const lint = cfnLint([
        join(out, "cloudformation-template-update-stack.json"),
        "docs/deploy/tenant-copy-events.yml",
      ]);

      // Assess
      expect(lint).toEqual({ status: 0, output: "" });
      expect(JSON.stringify(rule?.Properties.Targets)).toContain('"us-east-1"');
      expect(rule?.Properties.EventPattern).toEqual({
        source: ["aws.ec2"],
        "detail-type": ["EBS Snapshot Notification"],
        detail: { event: ["copySnapshot"] },
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 150_000);

  it("admits EBS's copy notifications from any account on the home bus, listing none", () => {
    const policies = Object.values(resources).filter(
      (r) => r.Type === "AWS::Events::EventBusPolicy",
    ) as (Resource & { Condition?: unknown })[];
    expect(policies).toHaveLength(1);
    const [policy] = policies;
    // Deployed whatever the environment says: no template condition on it.
    expect(policy?.Condition).toBeUndefined();
    expect(policy?.Properties).toEqual({
      EventBusName: "default",
      StatementId: "snaprelay-dev-tenant-copy-events",
      Statement: {
        Effect: "Allow",
        Principal: "*",
        Action: "events:PutEvents",
        Resource: {
          "Fn::Join": [
            ":",
            [
              "arn",
              { Ref: "AWS::Partition" },
              "events",
              { Ref: "AWS::Region" },
              { Ref: "AWS::AccountId" },
              "event-bus/default",
            ],
          ],
        },
        Condition: {
          "ForAllValues:StringEquals": {
            "events:source": ["aws.ec2"],
            "events:detail-type": ["EBS Snapshot Notification"],
          },
          Null: { "events:source": "false", "events:detail-type": "false" },
        },
      },
    });
    // Far below the policy's 10 KB, and the same for any number of tenants.
    expect(JSON.stringify(policy?.Properties.Statement).length).toBeLessThan(1_000);
  });

  it("has the local EventBridge apply the very statement it deploys", () => {
    const policy = BusPolicy.fromResources(resources, {
      accountId: "000000000000",
      region: "ap-shanghai",
      partition: "aws",
    });
    const fromTenant = {
      principalAccount: "444455556666",
      principalArn: "arn:aws:iam::444455556666:user/local",
      eventBusInvocation: true,
      source: "aws.ec2",
      detailType: "EBS Snapshot Notification",
    };
    expect(policy.unread).toEqual([]);
    expect(policy.decide(fromTenant)).toEqual({ admitted: true });
    expect(policy.decide({ ...fromTenant, source: "acme.disks" })).toMatchObject({
      admitted: false,
    });
  });
});

type Statement = {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

type Document = { Statement: Statement[] };

/** Every statement of every role and policy in the template, with the resource that holds it. */
const statements = (): { holder: string; statement: Statement }[] =>
  Object.entries(resources).flatMap(([holder, resource]) => {
    if (!resource.Type.startsWith("AWS::IAM::")) return [];
    const policies = (resource.Properties.Policies ?? []) as { PolicyDocument: Document }[];
    const documents: Document[] = [
      ...policies.map((policy) => policy.PolicyDocument),
      ...(resource.Properties.PolicyDocument
        ? [resource.Properties.PolicyDocument as Document]
        : []),
    ];
    return documents.flatMap((document) =>
      document.Statement.map((statement) => ({ holder, statement })),
    );
  });

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

describe("the deployment's permissions", () => {
  it("give each function a role of its own", () => {
    const functions = ofType("AWS::Lambda::Function");
    const roles = functions.map((f) => JSON.stringify(f.Properties.Role));

    expect(new Set(roles).size).toBe(functions.length);
    for (const role of roles) expect(role).toMatch(/^\{"Fn::GetAtt":\["\w+Role","Arn"\]\}$/);
  });

  it("name no action with a wildcard, in any statement of any role", () => {
    const all = statements();

    expect(all.length).toBeGreaterThan(50);
    expect(
      all.flatMap(({ statement }) => actionsOf(statement).filter((a) => a.includes("*"))),
    ).toEqual([]);
  });

  it("let ec2:DeleteSnapshot act only on snapshots that carry snaprelay's job tag", () => {
    const deletes = statements().filter(({ statement }) =>
      actionsOf(statement).includes("ec2:DeleteSnapshot"),
    );

    expect(deletes.length).toBeGreaterThan(0);
    for (const { statement } of deletes) {
      expect(statement.Condition).toEqual({
        StringLike: { "aws:ResourceTag/snaprelay:job-id": "*" },
      });
    }
  });

  it("let only the functions that start copies copy, and tag only a snapshot as CopySnapshot makes it", () => {
    // StartCopy, and those that hand a copy's freed slot on and start the next copy of the queue
    // (the sweeper replays the copy events copyEvents failed on).
    const starters = ["CopyEventsRole", "FinalizeRole", "StartCopyRole", "SweeperRole"];
    const holdersOf = (action: string) =>
      statements()
        .filter(({ statement }) => actionsOf(statement).includes(action))
        .map(({ holder }) => holder)
        .sort();
    const tags = statements().filter(({ statement }) =>
      actionsOf(statement).includes("ec2:CreateTags"),
    );

    expect(holdersOf("ec2:CopySnapshot")).toEqual(starters);
    expect(holdersOf("ec2:CreateTags")).toEqual(starters);
    for (const { statement } of tags) {
      expect(statement.Condition).toEqual({
        StringEquals: { "ec2:CreateAction": "CopySnapshot" },
      });
    }
    // What starting a copy takes besides: finding it, deleting it if its job was cancelled
    // meanwhile, reaching a tenant's account, recording a policy's copy.
    for (const holder of starters) {
      const actions = statements()
        .filter((s) => s.holder === holder)
        .flatMap(({ statement }) => actionsOf(statement));
      expect(actions).toEqual(
        expect.arrayContaining([
          "ec2:DescribeSnapshots",
          "ec2:DeleteSnapshot",
          "sts:AssumeRole",
          "dynamodb:PutItem",
        ]),
      );
    }
  });

  it("hand every function the region's STS endpoint, the deployment's audience and its admins, and no token secret", () => {
    const environments = ofType("AWS::Lambda::Function").map(
      (f) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
    );

    expect(environments.length).toBeGreaterThan(0);
    for (const variables of environments) {
      expect(variables).toMatchObject({
        AUTH_STS_ENDPOINTS: "https://sts.us-east-1.amazonaws.com",
        AUTH_AUDIENCE: "snaprelay-dev",
        ADMIN_PRINCIPALS: "",
      });
      expect(Object.keys(variables).filter((name) => name.startsWith("AUTH_TOKEN"))).toEqual([]);
    }
  });

  it("let the authorizer read sessions and nothing else: no write, no other item, no parameter", () => {
    const authorizer = statements()
      .filter(({ holder }) => holder === "AuthorizerRole")
      .map(({ statement }) => statement)
      .filter((statement) =>
        actionsOf(statement).some((a) => !a.startsWith("logs:") && !a.startsWith("xray:")),
      );

    expect(authorizer).toEqual([
      {
        Effect: "Allow",
        Action: "dynamodb:GetItem",
        Resource: { "Fn::GetAtt": ["JobsTable", "Arn"] },
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["SESSION#*"] } },
      },
    ]);
    expect(
      statements().filter(({ statement }) =>
        actionsOf(statement).some((a) => a.startsWith("ssm:")),
      ),
    ).toEqual([]);
  });

  it("let the functions start and stop executions of this state machine only", () => {
    const executionActions = statements().filter(({ statement }) =>
      actionsOf(statement).some((a) =>
        ["states:StartExecution", "states:StopExecution", "states:DescribeExecution"].includes(a),
      ),
    );

    for (const { statement } of executionActions) {
      expect(JSON.stringify(statement.Resource)).toContain("snaprelay-dev-replication");
    }
  });
});

describe("what there is to watch", () => {
  it("traces every function and the state machine, and logs the state machine's failures", () => {
    const [machine] = ofType("AWS::StepFunctions::StateMachine");

    for (const f of ofType("AWS::Lambda::Function")) {
      expect(f.Properties.TracingConfig).toEqual({ Mode: "Active" });
    }
    expect(machine?.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine?.Properties.LoggingConfiguration).toMatchObject({ Level: "ERROR" });
  });

  it("alarms on failed executions, copy failures, long queue waits, RPO breaches and copy events given up", () => {
    const alarms = ofType("AWS::CloudWatch::Alarm").map((a) => a.Properties);

    expect(alarms.map((a) => `${a.Namespace}/${a.MetricName}`).sort()).toEqual([
      "AWS/SQS/ApproximateNumberOfMessagesVisible",
      "AWS/States/ExecutionsFailed",
      "snaprelay/CopiesFailed",
      "snaprelay/QueueWaitSeconds",
      "snaprelay/RpoBreaches",
    ]);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: "AlarmTopic" }]);
  });

  it("passes cfn-lint with no error", () => {
    const lint = cfnLint([".serverless/cloudformation-template-update-stack.json"]);

    const errors = lint.output.split("\n").filter((line) => /^E\d{4}/.test(line));
    expect(errors).toEqual([]);
  });
});

const QUEUE_ARN = { "Fn::GetAtt": ["FailedCopyEventsQueue", "Arn"] };

/** The statements of a role's inline policies. */
const statementsOf = (role: string) =>
  (
    (resources[role]?.Properties.Policies ?? []) as Array<{
      PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> };
    }>
  ).flatMap((policy) => policy.PolicyDocument.Statement);

// copyEvents' failure destination, which the sweeper replays: its asynchronous invocation
// settings, the queue (encrypted, kept 14 days, with a dead-letter queue and an alarm on it), and
// the grants: copyEvents' role sends to it, the sweeper's receives and deletes, and the sweeper is
// told its URL.
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

/** cfn-lint, the CloudFormation linter; this machine's Python ships it. */
const cfnLint = (files: string[]): { status: number; output: string } => {
  try {
    return { status: 0, output: execFileSync("cfn-lint", files, { encoding: "utf8" }).trim() };
  } catch (error) {
    const failure = error as { code?: string; status?: number; stdout?: string };
    if (failure.code === "ENOENT") {
      throw new Error(
        "cfn-lint is not installed: `pip install cfn-lint` (Python 3.8+) and run again",
      );
    }
    return { status: failure.status ?? 1, output: String(failure.stdout ?? "").trim() };
  }
};
