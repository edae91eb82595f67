// The whole local stack on one machine: DynamoDB Local, the local cloud (EC2 API), the local SQS
// (moto_server), the Lambdas under serverless-offline, and the local Step Functions endpoint
// running the real state machine. `npm start` and the end-to-end tests start it through this one
// function.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  CreateStateMachineCommand,
  SFNClient,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from "@aws-sdk/client-sfn";
import { lambdaArnOf, loadDefinition } from "../statemachine/definition.js";
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from "./cloud/index.js";
import { startCompressedSchedule } from "./compressed-schedule.js";
import {
  failedCopyEventsQueueName,
  jobsTableName,
  LOCAL,
  type LocalPorts,
  localStateMachineArn,
  stateMachineName,
} from "./defaults.js";
import { createJobsTable, startDynamoDbLocal } from "./dynamodb.js";
import { AWS_SERVICE_TOKEN_ENV } from "./event-bus/gate.js";
import { startServerlessOffline } from "./offline.js";
import { assertJavaInstalled, assertPortFree, waitFor } from "./processes.js";
import { assertMotoInstalled, startLocalSqs } from "./sqs.js";
import { type LocalStepFunctions, startLocalStepFunctions } from "./stepfunctions/index.js";

export interface StackOptions {
  ports: LocalPorts;
  /**
   * Where the stack keeps what must survive a restart: the local cloud's volumes and snapshots
   * (cloud/), DynamoDB Local's tables (dynamodb/) and the Step Functions endpoint's machines and
   * executions (stepfunctions/).
   */
  dataDir: string;
  /** Settings handed to the Lambdas, over the local defaults (POLL_MIN_SECONDS, …). */
  functionEnv?: Record<string, string>;
  /** Local cloud knobs: bandwidth and injected faults. */
  cloud?: Pick<
    LocalCloudOptions,
    "copyBytesPerSecond" | "throttleRate" | "copyFailureRate" | "blockSizeBytes" | "eventDropRate"
  >;
  /** Scales Wait and Retry times of the state machine (tests use less than 1). */
  waitScale?: number;
  /** The compressed clock: everything runs this many times faster (see localClockSpeed). */
  clockSpeed?: number;
  log?: (line: string) => void;
  /** Echo serverless-offline's own output. */
  verbose?: boolean;
}

export interface RunningStack {
  apiUrl: string;
  endpoints: {
    dynamodb: string;
    stepFunctions: string;
    cloud: string;
    lambda: string;
    events: string;
    sqs: string;
  };
  /**
   * What a client of the local stack needs: the AWS SDK's endpoint variables and the service
   * account's own keys, which the local cloud checks every signature against.
   */
  clientEnv: Record<string, string>;
  stateMachineArn: string;
  cloud: LocalCloud;
  stop(): Promise<void>;
}

const PORT_VARIABLES: Record<keyof LocalPorts, [string, string]> = {
  http: ["HTTP API", "SNAPRELAY_HTTP_PORT"],
  lambda: ["Lambda invoke", "SNAPRELAY_LAMBDA_PORT"],
  dynamodb: ["DynamoDB Local", "SNAPRELAY_DYNAMODB_PORT"],
  stepFunctions: ["Step Functions", "SNAPRELAY_SFN_PORT"],
  cloud: ["local cloud", "SNAPRELAY_CLOUD_PORT"],
  events: ["local EventBridge", "SNAPRELAY_EVENTS_PORT"],
  eventsPubSub: ["local EventBridge's broker", "SNAPRELAY_EVENTS_PUBSUB_PORT"],
  sqs: ["local SQS", "SNAPRELAY_SQS_PORT"],
};

// Local defaults for the functions' settings; the same environment variables override them.
// Under a compressed clock those times are the clock's, so AWS's own defaults apply instead.
const localFunctionSettings = (clockSpeed: number): Record<string, string> => {
  const realTime: Record<string, string> = {
    // A copy's end comes by its event; a lost one is found by a safety poll within a minute.
    POLL_MIN_SECONDS: "1",
    POLL_MAX_SECONDS: "60",
    // Half the local cloud's default bandwidth: a first wait runs past a copy's end, so its
    // event, not a poll, ends it.
    COPY_ASSUMED_MIB_PER_SECOND: "800",
    // Longer than the functions' 30 s timeout: a live attempt never loses its claim.
    COPY_START_LEASE_SECONDS: "45",
    COPY_STALL_SECONDS: "120",
    // Locally the sweeper checks a running job's execution every minute, not every 15.
    SWEEP_CHECK_SECONDS: "60",
  };
  const defaults: Record<string, string> = {
    ALLOWLISTED_ACCOUNTS: LOCAL.demoAccountId,
    ACCOUNT_ROLE_NAME: LOCAL.accountRoleName,
    ACCOUNT_ROLE_EXTERNAL_ID: LOCAL.accountRoleExternalId,
    ...(clockSpeed === 1 ? realTime : {}),
  };
  const settings: Record<string, string> = {};
  const passedThrough = [
    "SUPPORTED_REGIONS",
    "SNAPSHOT_QUOTA_PER_REGION",
    "SWEEP_START_GRACE_SECONDS",
    "COPY_SLOTS_PER_REGION",
    "SWEEP_GIVE_UP_SECONDS",
    "LIMIT_REQUESTS_PER_SECOND",
    "LIMIT_JOBS_IN_FLIGHT",
    "LIMIT_POLICIES",
    "LIMIT_VOLUMES_PER_RUN",
    "LIMIT_MIN_SCHEDULE_MINUTES",
  ];
  for (const name of [...Object.keys(realTime), ...Object.keys(defaults), ...passedThrough]) {
    const value = process.env[name] ?? defaults[name];
    if (value !== undefined) settings[name] = value;
  }
  return settings;
};

export const startStack = async (options: StackOptions): Promise<RunningStack> => {
  const log = options.log ?? (() => {});
  const { ports } = options;
  assertJavaInstalled();
  assertMotoInstalled();
  for (const [key, [what, variable]] of Object.entries(PORT_VARIABLES)) {
    await assertPortFree(ports[key as keyof LocalPorts], what, variable);
  }
  mkdirSync(options.dataDir, { recursive: true });

  const endpoints = {
    dynamodb: `http://127.0.0.1:${ports.dynamodb}`,
    stepFunctions: `http://127.0.0.1:${ports.stepFunctions}`,
    cloud: `http://127.0.0.1:${ports.cloud}`,
    lambda: `http://127.0.0.1:${ports.lambda}`,
    events: `http://127.0.0.1:${ports.events}`,
    sqs: `http://127.0.0.1:${ports.sqs}`,
  };
  // Everything started so far, stopped in reverse if a later part fails.
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopPart of stops.splice(0).reverse()) {
      await stopPart().catch((error: unknown) => log(`while stopping: ${String(error)}`));
    }
  };

  try {
    log("starting DynamoDB Local, the local SQS, the local cloud and serverless-offline…");
    // Before the functions: the local EventBridge sends the records of failed copy events there.
    const sqs = await startLocalSqs({
      port: ports.sqs,
      ...(options.verbose ? { echo: (line: string) => log(`[sqs] ${line}`) } : {}),
    });
    stops.push(() => sqs.stop());
    const failedCopyEventsQueueUrl = `${endpoints.sqs}/${LOCAL.serviceAccountId}/${failedCopyEventsQueueName}`;
    if (sqs.queueUrls.FailedCopyEventsQueue !== failedCopyEventsQueueUrl) {
      throw new Error(
        `The local SQS made the failed copy events' queue as ${String(sqs.queueUrls.FailedCopyEventsQueue)}, not ${failedCopyEventsQueueUrl}`,
      );
    }
    const dynamoStart = startDynamoDbLocal(ports.dynamodb, join(options.dataDir, "dynamodb")).then(
      (dynamo) => {
        stops.push(() => dynamo.stop());
        return createJobsTable(dynamo.endpoint, jobsTableName);
      },
    );
    const clockSpeed = options.clockSpeed ?? 1;
    const cloud = await startLocalCloud({
      port: ports.cloud,
      dataDir: join(options.dataDir, "cloud"),
      clockSpeed,
      // The cloud's copy events go to the local EventBridge, as EBS's go to EventBridge.
      eventsEndpoint: endpoints.events,
      ...options.cloud,
    });
    stops.push(() => cloud.close());
    // The functions act as the service's own account, with its keys, and assume a role in any other.
    const serviceKeys = cloud.credentialsFor(LOCAL.serviceAccountId);
    const clientEnv = {
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SFN: endpoints.stepFunctions,
      AWS_ENDPOINT_URL_EC2: endpoints.cloud,
      // The local cloud answers STS too: it hands out each account's role credentials.
      AWS_ENDPOINT_URL_STS: endpoints.cloud,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.events,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      // The scheduler hands each DR policy run to a policyRun invocation of its own, as in AWS.
      AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
      AWS_ACCESS_KEY_ID: serviceKeys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: serviceKeys.secretAccessKey,
      // A session token from the shell that started the stack would be sent along with these
      // long-term keys, and refused.
      AWS_SESSION_TOKEN: "",
      AWS_REGION: LOCAL.homeRegion,
    };
    // What marks the local Step Functions endpoint's own deliveries to the local EventBridge, the
    // only way an aws.states event gets on the bus (event-bus/gate.ts). New at each start, and known
    // to that endpoint and the bus's gate only.
    const awsServiceToken = randomBytes(32).toString("hex");
    // The demo account lets snaprelay in, as a tenant's role would (README: Tenant accounts).
    await cloud.createRole({
      accountId: LOCAL.demoAccountId,
      roleName: LOCAL.accountRoleName,
      externalId: LOCAL.accountRoleExternalId,
    });
    const offlineStart = startServerlessOffline({
      httpPort: ports.http,
      lambdaPort: ports.lambda,
      env: {
        ...clientEnv,
        STATE_MACHINE_ARN: localStateMachineArn,
        SNAPRELAY_EVENTS_PORT: String(ports.events),
        SNAPRELAY_EVENTS_PUBSUB_PORT: String(ports.eventsPubSub),
        // The local EventBridge is the service account's default bus; each event carries the
        // account whose keys signed it (the local cloud's), and passes serverless.yml's bus policy.
        SNAPRELAY_EVENTS_ACCOUNT: LOCAL.serviceAccountId,
        SNAPRELAY_EVENTS_KEYS_URL: endpoints.cloud,
        // The gate takes the token out of the environment, which the functions share with it.
        [AWS_SERVICE_TOKEN_ENV]: awsServiceToken,
        // Lambda's retries of a failed asynchronous invocation, 1 and then 2 minutes apart, on the
        // compressed clock.
        SNAPRELAY_EVENTS_RETRY_DELAY_MS: String(Math.ceil(60_000 / clockSpeed)),
        // Where Lambda sends the records of copy events copyEvents failed on (here the local
        // EventBridge does), and the sweeper replays them from.
        FAILED_COPY_EVENTS_QUEUE_URL: failedCopyEventsQueueUrl,
        // Proofs of identity go to the local cloud's STS, which checks their signatures as AWS's
        // does; the local admin is the local user of the admin account, unless the shell names others.
        AUTH_STS_ENDPOINTS: endpoints.cloud,
        AUTH_AUDIENCE: LOCAL.authAudience,
        ADMIN_PRINCIPALS: process.env.ADMIN_PRINCIPALS || LOCAL.adminPrincipal,
        ...localFunctionSettings(clockSpeed),
        CLOCK_SPEED: String(clockSpeed),
        CLOCK_ORIGIN: String(Date.now()),
        ...options.functionEnv,
      },
      ...(options.verbose ? { echo: (line: string) => log(`[offline] ${line}`) } : {}),
    }).then((offline) => {
      stops.push(() => offline.stop());
      return offline;
    });
    const [dynamoResult, offlineResult] = await Promise.allSettled([dynamoStart, offlineStart]);
    if (dynamoResult.status === "rejected") throw dynamoResult.reason;
    if (offlineResult.status === "rejected") throw offlineResult.reason;

    // Last, once the functions answer: executions left unfinished by the previous run resume.
    const stepFunctions: LocalStepFunctions = await startLocalStepFunctions({
      port: ports.stepFunctions,
      region: LOCAL.homeRegion,
      accountId: LOCAL.serviceAccountId,
      lambdaEndpoint: endpoints.lambda,
      dataDir: join(options.dataDir, "stepfunctions"),
      onResume: (arn, state) => log(`resumed ${arn.split(":").at(-1)} at ${state}`),
      // The waits shrink with the compressed clock, and further if a test asks.
      waitScale: (options.waitScale ?? 1) / clockSpeed,
      retryScale: (options.waitScale ?? 1) / clockSpeed,
      // Each execution's status changes go to the service account's default bus, the local
      // EventBridge, as Step Functions sends them to the account's default bus.
      statusEvents: {
        endpoint: endpoints.events,
        token: awsServiceToken,
        credentials: {
          accessKeyId: serviceKeys.accessKeyId,
          secretAccessKey: serviceKeys.secretAccessKey,
        },
      },
    });
    stops.push(() => stepFunctions.close());

    const sfn = new SFNClient({
      endpoint: endpoints.stepFunctions,
      region: LOCAL.homeRegion,
      credentials: { accessKeyId: LOCAL.accessKeyId, secretAccessKey: LOCAL.secretAccessKey },
    });
    const definition = loadDefinition(
      lambdaArnOf(LOCAL.service, LOCAL.stage, LOCAL.homeRegion, LOCAL.serviceAccountId),
    );
    const roleArn = `arn:aws:iam::${LOCAL.serviceAccountId}:role/${stateMachineName}`;
    const stateMachineArn = await sfn
      .send(
        new CreateStateMachineCommand({
          name: stateMachineName,
          definition: JSON.stringify(definition),
          roleArn,
        }),
      )
      .then(
        (created) => created.stateMachineArn,
        async (error: unknown) => {
          // A journal from an older build holds the machine with its old definition: new
          // executions take the current one (running ones keep the one they started with).
          if (!(error instanceof StateMachineAlreadyExists)) throw error;
          await sfn.send(
            new UpdateStateMachineCommand({
              stateMachineArn: localStateMachineArn,
              definition: JSON.stringify(definition),
              roleArn,
            }),
          );
          log("updated the journaled state machine to this build's definition");
          return localStateMachineArn;
        },
      )
      .finally(() => sfn.destroy());
    if (stateMachineArn !== localStateMachineArn) {
      throw new Error(
        `The state machine was created as ${stateMachineArn}, not ${localStateMachineArn}`,
      );
    }

    const apiUrl = `http://127.0.0.1:${ports.http}`;
    await waitFor(
      "the HTTP API's /health",
      async () => (await fetch(`${apiUrl}/health`)).ok,
      30_000,
    );
    // The sweeper and the DR scheduler on the compressed clock, as their rate(1 minute) says.
    const schedule = startCompressedSchedule({
      lambdaEndpoint: endpoints.lambda,
      region: LOCAL.homeRegion,
      functionNames: ["sweeper", "scheduler"].map(
        (key) => `${LOCAL.service}-${LOCAL.stage}-${key}`,
      ),
      clockSpeed,
      log,
    });
    if (schedule) stops.push(() => schedule.stop());
    return { apiUrl, endpoints, clientEnv, stateMachineArn, cloud, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};
