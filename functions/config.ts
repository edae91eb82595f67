// The functions' configuration: read from the environment once, at cold start, and checked
// with zod. A bad or missing value stops the function with every problem named at once.
import { z } from "zod";
import type { Config } from "./core/config.js";
import { describeIssues, RegionSchema } from "./core/request.js";

export type { Config };

/** The seed's regions: where cross-region replication is offered today. */
export const SEED_REGIONS = [
  "ap-beijing",
  "ap-shanghai",
  "ap-guangzhou",
  "ap-chengdu",
  "ap-chongqing",
  "ap-mumbai",
  "ap-guangzhou-open",
] as const;

const list = (what: string, item: z.ZodString) =>
  z
    .string()
    .transform((text) => text.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(item, { error: `a comma-separated list of ${what}` }));

/** `20` or `20,ap-mumbai=50`: the default limit, then limits of regions set apart. */
const SlotLimits = z.string().transform((text, context) => {
  const limits = { default: 20, byRegion: {} as Record<string, number> };
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.includes("=") ? part.split("=", 2) : [undefined, part];
    const limit = Number(value);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      context.addIssue({
        code: "custom",
        message: `'${part}' is not a slot limit: give a whole number from 1 to 1000, alone or as <region>=<number>, e.g. 20,ap-mumbai=50`,
      });
      return z.NEVER;
    }
    if (name === undefined) limits.default = limit;
    else limits.byRegion[name.trim()] = limit;
  }
  return limits;
});

const seconds = (fallback: number) => z.coerce.number().int().min(1).max(86_400).default(fallback);

const EnvSchema = z.object({
  JOBS_TABLE: z.string({ error: "required: the DynamoDB table that holds jobs" }).min(3).max(255),
  STATE_MACHINE_ARN: z
    .string({ error: "required: the ARN of the replication state machine" })
    .regex(
      /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+$/,
      "must be a state machine ARN",
    ),
  SUPPORTED_REGIONS: list("region names", RegionSchema)
    .pipe(z.array(z.string()).min(1, "at least one region"))
    .default([...SEED_REGIONS]),
  ALLOWLISTED_ACCOUNTS: list(
    "12-digit account ids",
    z.string().regex(/^\d{12}$/, "12 digits"),
  ).default([]),
  // Where proofs of identity are sent (README: Authentication): origins of STS endpoints, the
  // first one the endpoint GET /auth tells callers to sign for.
  AUTH_STS_ENDPOINTS: list(
    "STS endpoint origins",
    z
      .string()
      .regex(
        /^(https:\/\/sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?|http:\/\/(127\.0\.0\.1|localhost):\d{1,5})$/,
        "an STS endpoint's origin, such as https://sts.eu-west-1.amazonaws.com (http only on 127.0.0.1 or localhost)",
      ),
  )
    .pipe(z.array(z.string()).min(1, "at least one STS endpoint"))
    .default(["https://sts.amazonaws.com"]),
  AUTH_AUDIENCE: z
    .string()
    .regex(/^[\w.:/-]{1,128}$/, "1 to 128 of letters, digits and _.:/-")
    .default("snaprelay"),
  ADMIN_PRINCIPALS: list(
    "IAM principal ARNs",
    z
      .string()
      .regex(
        /^arn:aws[a-z-]*:(iam::\d{12}:(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+)|sts::\d{12}:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+)$/,
        "an IAM user, role or root ARN, such as arn:aws:iam::123456789012:role/OpsAdmin",
      ),
  ).default([]),
  POLL_MIN_SECONDS: seconds(15),
  POLL_MAX_SECONDS: seconds(86_400),
  COPY_ASSUMED_MIB_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(100),
  COPY_START_LEASE_SECONDS: seconds(120),
  SNAPSHOT_QUOTA_PER_REGION: z.coerce.number().int().min(1).default(100_000),
  COPY_STALL_SECONDS: seconds(7_200),
  SWEEP_START_GRACE_SECONDS: seconds(30),
  SWEEP_CHECK_SECONDS: seconds(900),
  SWEEP_GIVE_UP_SECONDS: seconds(3_600),
  COPY_SLOTS_PER_REGION: SlotLimits.default({ default: 20, byRegion: {} }),
  // The local stack's compressed clock (see README, Benchmark); 1 everywhere else.
  CLOCK_SPEED: z.coerce.number().min(1).max(100_000).default(1),
  CLOCK_ORIGIN: z.coerce.number().int().min(0).default(0),
  LIMIT_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).max(100_000).default(50),
  LIMIT_JOBS_IN_FLIGHT: z.coerce.number().int().min(1).max(1_000_000).default(2_000),
  LIMIT_POLICIES: z.coerce.number().int().min(1).max(100_000).default(100),
  LIMIT_VOLUMES_PER_RUN: z.coerce.number().int().min(1).max(100_000).default(500),
  LIMIT_MIN_SCHEDULE_MINUTES: z.coerce.number().int().min(1).max(525_600).default(60),
  // The function that carries out one DR policy run, which the scheduler hands each claimed run
  // to (serverless.yml sets it on the scheduler); unset, the scheduler carries runs out itself.
  POLICY_RUN_FUNCTION: z
    .string()
    .regex(/^[\w-]{1,64}$/, "a Lambda function name (1-64 letters, digits, - and _)")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  ACCOUNT_ROLE_NAME: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, "an IAM role name (1-64 letters, digits and +=,.@_-)")
    .default("snaprelay-access"),
  ACCOUNT_ROLE_EXTERNAL_ID: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, "an STS external id (2-1224 letters, digits and +=,.@:/_-)")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  // Lambda's on-failure destination for copyEvents, which the sweeper replays (serverless.yml sets
  // it on the sweeper alone; the other functions have no use for it).
  FAILED_COPY_EVENTS_QUEUE_URL: z
    .string()
    .regex(
      /^(https:\/\/(sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?|[a-z0-9-]+\.queue\.amazonaws\.com)|http:\/\/(127\.0\.0\.1|localhost):\d{1,5})\/\d{12}\/[\w-]{1,80}$/,
      "an SQS queue URL, such as https://sqs.eu-west-1.amazonaws.com/123456789012/snaprelay-prod-failed-copy-events (http only on 127.0.0.1 or localhost)",
    )
    .optional()
    .or(z.literal("").transform(() => undefined)),
});

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`snaprelay configuration is invalid: ${describeIssues(parsed.error)}`);
  }
  const e = parsed.data;
  if (e.POLL_MAX_SECONDS < e.POLL_MIN_SECONDS) {
    throw new Error(
      `snaprelay configuration is invalid: POLL_MAX_SECONDS (${e.POLL_MAX_SECONDS}) is below POLL_MIN_SECONDS (${e.POLL_MIN_SECONDS})`,
    );
  }
  // The state machine lives in the deployment's own account and partition: its ARN names both.
  const serviceAccountId = e.STATE_MACHINE_ARN.split(":")[4] ?? "";
  if (e.ALLOWLISTED_ACCOUNTS.includes(serviceAccountId)) {
    throw new Error(
      `snaprelay configuration is invalid: ALLOWLISTED_ACCOUNTS names ${serviceAccountId}, the account snaprelay is deployed in (STATE_MACHINE_ARN's): snaprelay never acts in its own account for a tenant, which would act with the functions' own roles. Remove it; tenants are other accounts, approved through POST /access-requests.`,
    );
  }
  return {
    jobsTable: e.JOBS_TABLE,
    stateMachineArn: e.STATE_MACHINE_ARN,
    supportedRegions: e.SUPPORTED_REGIONS,
    allowlistedAccounts: e.ALLOWLISTED_ACCOUNTS,
    authStsEndpoints: e.AUTH_STS_ENDPOINTS,
    authAudience: e.AUTH_AUDIENCE,
    adminPrincipals: e.ADMIN_PRINCIPALS,
    pollMinSeconds: e.POLL_MIN_SECONDS,
    pollMaxSeconds: e.POLL_MAX_SECONDS,
    assumedCopyMiBPerSecond: e.COPY_ASSUMED_MIB_PER_SECOND,
    copyStartLeaseSeconds: e.COPY_START_LEASE_SECONDS,
    snapshotQuotaPerRegion: e.SNAPSHOT_QUOTA_PER_REGION,
    copyStallSeconds: e.COPY_STALL_SECONDS,
    sweepStartGraceSeconds: e.SWEEP_START_GRACE_SECONDS,
    sweepCheckSeconds: e.SWEEP_CHECK_SECONDS,
    sweepGiveUpSeconds: e.SWEEP_GIVE_UP_SECONDS,
    serviceAccountId,
    partition: e.STATE_MACHINE_ARN.split(":")[1] ?? "aws",
    copySlots: e.COPY_SLOTS_PER_REGION,
    clockSpeed: e.CLOCK_SPEED,
    clockOrigin: e.CLOCK_ORIGIN,
    accountRoleName: e.ACCOUNT_ROLE_NAME,
    accountRoleExternalId: e.ACCOUNT_ROLE_EXTERNAL_ID,
    accountLimits: {
      requestsPerSecond: e.LIMIT_REQUESTS_PER_SECOND,
      jobsInFlight: e.LIMIT_JOBS_IN_FLIGHT,
      policies: e.LIMIT_POLICIES,
      volumesPerRun: e.LIMIT_VOLUMES_PER_RUN,
      minScheduleMinutes: e.LIMIT_MIN_SCHEDULE_MINUTES,
    },
    failedCopyEventsQueueUrl: e.FAILED_COPY_EVENTS_QUEUE_URL,
    policyRunFunction: e.POLICY_RUN_FUNCTION,
  };
};
