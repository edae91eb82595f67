// The composition root: configuration checked once, AWS clients and ports made once per cold
// start, and one deps object for each kind of entry point: the API, the steps, the schedules
// (sweeper and DR scheduler) and the copy events. Each hands the domain exactly its own kind.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoAccessStore } from "./adapters/dynamodb/access-store.js";
import { DynamoAccountLimits } from "./adapters/dynamodb/account-limits.js";
import { DynamoCopySlots } from "./adapters/dynamodb/copy-slots.js";
import { DynamoCopyWaits } from "./adapters/dynamodb/copy-waits.js";
import { DynamoJobStore } from "./adapters/dynamodb/job-store.js";
import { DynamoLeases } from "./adapters/dynamodb/leases.js";
import { DynamoPolicyStore } from "./adapters/dynamodb/policy-store.js";
import { DynamoSessionStore } from "./adapters/dynamodb/session-store.js";
import { AccountAccess } from "./adapters/ec2/account-access.js";
import { Ec2SnapshotProvider } from "./adapters/ec2/snapshot-provider.js";
import { LambdaRunDispatcher } from "./adapters/lambda/run-dispatcher.js";
import { SqsFailedEvents } from "./adapters/sqs/failed-events.js";
import { StepFunctionsWorkflow } from "./adapters/stepfunctions/workflow.js";
import { RememberedProofs, StsIdentityVerifier } from "./adapters/sts/caller-identity.js";
import { type Config, loadConfig } from "./config.js";
import { externalIdOf, tenantAllowlist } from "./core/access.js";
import { type LimitsOf, limitsReader } from "./core/limits.js";
import { SnapshotReadCache } from "./core/live-progress.js";
import type { RunDispatcher } from "./core/policies/scheduler.js";
import {
  type AccessStore,
  type AccountLimitsStore,
  type AccountRoles,
  acceleratedClock,
  type FailedEvents,
  type Leases,
  type Workflow,
} from "./core/ports.js";
import type { SignInDeps } from "./core/sign-in.js";
import type { StepDeps } from "./core/step-deps.js";
import { cloudWatchMetrics } from "./metrics.js";
import { instrumented } from "./tracing.js";

/** The state machine's steps. */
export type { StepDeps };

/** The copy events: they end copies' waits and hand slots on, as the steps do. */
export type EventDeps = StepDeps;

/** The sweeper and the DR scheduler: the steps' ports, starting executions, and the settings. */
export interface ScheduleDeps extends StepDeps {
  /** The workers the scheduler hands each claimed run to; none: it carries runs out itself. */
  dispatcher: RunDispatcher | undefined;
  workflow: Workflow;
  /** The sweeper's lease: one sweep at a time, each going on where the last one stopped. */
  leases: Leases;
  config: Config;
  /** Each account's limits: the defaults, or what an admin set for it. */
  limits: LimitsOf;
  /** The copy events copyEvents failed on (its on-failure destination), when configured. */
  failedEvents: FailedEvents | undefined;
}

/** The HTTP API: everything a schedule has, access requests, and cached snapshot reads. */
export interface ApiDeps extends ScheduleDeps {
  /** Access requests, and the accounts approved by them. */
  access: AccessStore;
  /** Tries a tenant's role (POST /account/connect). */
  roles: AccountRoles;
  /** The limits admins set, and what accounts use of them. */
  accountLimits: AccountLimitsStore;
  /** Snapshot reads for the live progress callers see, cached a few seconds. */
  reads: SnapshotReadCache;
  /** Proofs of identity and sessions (POST /sessions, DELETE /session). */
  signIn: SignInDeps;
}

const documentsClient = () =>
  DynamoDBDocumentClient.from(instrumented(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });

/** Who a caller is: STS for proofs, the table for sessions; the authorizer needs nothing else. */
const createSignInDeps = (
  config: Config,
  documents: DynamoDBDocumentClient = documentsClient(),
): SignInDeps => ({
  verifier: new RememberedProofs(new StsIdentityVerifier(config.authAudience)),
  sessions: new DynamoSessionStore(documents, config.jobsTable),
  proofs: { stsEndpoints: config.authStsEndpoints, audience: config.authAudience },
  admins: config.adminPrincipals,
  now: () => new Date(),
});

/** Every port, made once from the configuration; the entry points take their part of it. */
const createApiDeps = (config: Config): ApiDeps => {
  const documents = documentsClient();
  const access = new DynamoAccessStore(documents, config.jobsTable);
  const accounts = new AccountAccess({
    serviceAccountId: config.serviceAccountId,
    partition: config.partition,
    roleName: config.accountRoleName,
    externalId: config.accountRoleExternalId,
    externalIdOf: externalIdOf(config, access),
    instrument: instrumented,
  });
  const clock = acceleratedClock(config.clockOrigin, config.clockSpeed);
  const snapshots = new Ec2SnapshotProvider(accounts);
  const accountLimits = new DynamoAccountLimits(documents, config.jobsTable);
  return {
    config,
    settings: config,
    jobs: new DynamoJobStore(documents, config.jobsTable),
    snapshots,
    slots: new DynamoCopySlots(documents, config.jobsTable),
    copyWaits: new DynamoCopyWaits(documents, config.jobsTable),
    workflow: new StepFunctionsWorkflow(instrumented(new SFNClient({})), config.stateMachineArn),
    clock,
    policies: new DynamoPolicyStore(documents, config.jobsTable),
    leases: new DynamoLeases(documents, config.jobsTable),
    dispatcher:
      config.policyRunFunction === undefined
        ? undefined
        : new LambdaRunDispatcher(instrumented(new LambdaClient({})), config.policyRunFunction),
    failedEvents:
      config.failedCopyEventsQueueUrl === undefined
        ? undefined
        : new SqsFailedEvents(instrumented(new SQSClient({})), config.failedCopyEventsQueueUrl),
    access,
    roles: accounts,
    accountLimits,
    limits: limitsReader(config.accountLimits, accountLimits),
    allowlist: tenantAllowlist({ access, clock, tenancy: config, roles: accounts }),
    metrics: cloudWatchMetrics,
    reads: new SnapshotReadCache(snapshots),
    signIn: createSignInDeps(config, documents),
  };
};

let deps: ApiDeps | undefined;

/** The ports of this Lambda instance, made on first use from the environment. */
const depsFromEnv = (): ApiDeps => {
  deps ??= createApiDeps(loadConfig());
  return deps;
};

export const apiDeps = (): ApiDeps => depsFromEnv();
/** The authorizer's: made apart, so that it builds no client its role may not use. */
export const signInDeps = (config: Config = loadConfig()): SignInDeps => createSignInDeps(config);
export const stepDeps = (): StepDeps => depsFromEnv();
export const scheduleDeps = (): ScheduleDeps => depsFromEnv();
export const eventDeps = (): EventDeps => depsFromEnv();
