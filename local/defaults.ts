// The local stack's settings: ports, the dummy AWS identity of the services that check none, the
// demo account and the admin. Each can be changed with the environment variable named beside it.

const port = (name: string, fallback: number): number => {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65_535) {
    throw new Error(`${name} must be a port number (1-65535), not "${value}"`);
  }
  return parsed;
};

/**
 * SNAPRELAY_WAIT_SCALE: multiplies the state machine's Wait and Retry times locally (tests and
 * the benchmark use less than 1 so that a backoff of minutes takes seconds). Default 1.
 */
export const localWaitScale = (): number | undefined => {
  const value = process.env.SNAPRELAY_WAIT_SCALE;
  if (value === undefined || value === "") return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || parsed > 1) {
    throw new Error(`SNAPRELAY_WAIT_SCALE must be a number above 0 and at most 1, not "${value}"`);
  }
  return parsed;
};

/**
 * SNAPRELAY_CLOCK_SPEED: the compressed clock. The local cloud's copies, the state machine's waits,
 * retries and callback timeouts, and the functions' own clock all run this many times faster
 * than real time, so a day-long copy takes 86 s at 1000. Default 1 (real time).
 */
export const localClockSpeed = (): number => {
  const value = process.env.SNAPRELAY_CLOCK_SPEED;
  if (value === undefined || value === "") return 1;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 1 || parsed > 100_000) {
    throw new Error(`SNAPRELAY_CLOCK_SPEED must be a number from 1 to 100000, not "${value}"`);
  }
  return parsed;
};

export interface LocalPorts {
  http: number;
  lambda: number;
  dynamodb: number;
  stepFunctions: number;
  cloud: number;
  /** The local EventBridge (PutEvents), and the message broker it runs beside it. */
  events: number;
  eventsPubSub: number;
  /** The local SQS (moto_server): the copy events' failure destination. */
  sqs: number;
}

/** The ports a shell with no SNAPRELAY_*_PORT variable uses. */
export const localPortsByDefault = (): LocalPorts => ({
  http: 3000,
  lambda: 3002,
  dynamodb: 8000,
  stepFunctions: 8083,
  cloud: 8084,
  events: 4010,
  eventsPubSub: 4011,
  sqs: 4012,
});

export const localPorts = (): LocalPorts => {
  const fallback = localPortsByDefault();
  return {
    http: port("SNAPRELAY_HTTP_PORT", fallback.http),
    lambda: port("SNAPRELAY_LAMBDA_PORT", fallback.lambda),
    dynamodb: port("SNAPRELAY_DYNAMODB_PORT", fallback.dynamodb),
    stepFunctions: port("SNAPRELAY_SFN_PORT", fallback.stepFunctions),
    cloud: port("SNAPRELAY_CLOUD_PORT", fallback.cloud),
    events: port("SNAPRELAY_EVENTS_PORT", fallback.events),
    eventsPubSub: port("SNAPRELAY_EVENTS_PUBSUB_PORT", fallback.eventsPubSub),
    sqs: port("SNAPRELAY_SQS_PORT", fallback.sqs),
  };
};

export const LOCAL = {
  service: "snaprelay",
  stage: "dev",
  /** The region the service itself lives in: its table, its state machine, its functions. */
  homeRegion: "us-east-1",
  /** The account the local Step Functions endpoint and Lambdas pretend to run in. */
  serviceAccountId: "000000000000",
  /** The account allowed to replicate locally, and the one `npm run proof` signs as. */
  demoAccountId: "111122223333",
  /**
   * The dummy identity for the local services that check no signature (DynamoDB Local, the local
   * Step Functions endpoint and EventBridge): the local cloud refuses it, as AWS would. It takes
   * an account's own keys, which it makes (LocalCloud.credentialsFor, localCredentialsFor).
   */
  accessKeyId: "local",
  secretAccessKey: "local",
  /** The audience a proof's signature covers locally (a deployment's: snaprelay-<stage>). */
  authAudience: "snaprelay-dev",
  /** The local admin: the local user of this account (its keys: npm run -s cloud-env -- <id>). */
  adminAccountId: "000011112222",
  adminPrincipal: "arn:aws:iam::000011112222:user/local",
  demoRegion: "ap-shanghai",
  demoDestination: "ap-mumbai",
  /** The role snaprelay assumes in each account, and the external id it passes. */
  accountRoleName: process.env.ACCOUNT_ROLE_NAME || "snaprelay-access",
  accountRoleExternalId: process.env.ACCOUNT_ROLE_EXTERNAL_ID || "snaprelay-local",
} as const;

export const stateMachineName = `${LOCAL.service}-${LOCAL.stage}-replication`;
export const jobsTableName = `${LOCAL.service}-${LOCAL.stage}-jobs`;
/** serverless.yml's FailedCopyEventsQueue, as the local SQS names it. */
export const failedCopyEventsQueueName = `${LOCAL.service}-${LOCAL.stage}-failed-copy-events`;
export const localStateMachineArn = `arn:aws:states:${LOCAL.homeRegion}:${LOCAL.serviceAccountId}:stateMachine:${stateMachineName}`;
