// The composition root: configuration checked once, AWS clients made once per cold start, and
// the ports the handlers hand to the domain.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoAccessStore } from "./adapters/dynamodb/access-store.js";
import { DynamoCopySlots } from "./adapters/dynamodb/copy-slots.js";
import { DynamoCopyWaits } from "./adapters/dynamodb/copy-waits.js";
import { DynamoJobStore } from "./adapters/dynamodb/job-store.js";
import { DynamoPolicyStore } from "./adapters/dynamodb/policy-store.js";
import { AccountAccess } from "./adapters/ec2/account-access.js";
import { Ec2SnapshotProvider } from "./adapters/ec2/snapshot-provider.js";
import { StepFunctionsWorkflow } from "./adapters/stepfunctions/workflow.js";
import { type Config, loadConfig } from "./config.js";
import { type Allowlist, allowlistOf } from "./core/access.js";
import { SnapshotReadCache } from "./core/live-progress.js";
import type { PolicyDeps } from "./core/policies/run-policy.js";
import {
  type AccessStore,
  acceleratedClock,
  type Clock,
  type CopySlots,
  type JobStore,
  type PolicyStore,
  type SnapshotProvider,
  type Workflow,
} from "./core/ports.js";
import type { ReplicationPolicy } from "./core/rules.js";
import type { StepDeps } from "./core/step-deps.js";
import { cloudWatchMetrics } from "./metrics.js";
import { instrumented } from "./tracing.js";

export interface Services {
  config: Config;
  /** Access requests, and the accounts approved by them. */
  access: AccessStore;
  /** Who may replicate now: the seed (ALLOWLISTED_ACCOUNTS) and every approved account. */
  allowlist: Allowlist;
  clock: Clock;
  policy: ReplicationPolicy;
  jobs: JobStore;
  snapshots: SnapshotProvider;
  slots: CopySlots;
  workflow: Workflow;
  steps: StepDeps;
  policies: PolicyStore;
  /** What DR policies' runs, retention and scheduler need. */
  policyDeps: PolicyDeps;
  /** Snapshot reads for the live progress callers see, cached a few seconds. */
  reads: SnapshotReadCache;
}

export const createServices = (config: Config): Services => {
  const documents = DynamoDBDocumentClient.from(instrumented(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const accounts = new AccountAccess({
    serviceAccountId: config.serviceAccountId,
    partition: config.partition,
    roleName: config.accountRoleName,
    externalId: config.accountRoleExternalId,
    instrument: instrumented,
  });
  const policy = {
    supportedRegions: config.supportedRegions,
    allowlistedAccounts: config.allowlistedAccounts,
  };
  const jobs = new DynamoJobStore(documents, config.jobsTable);
  const snapshots = new Ec2SnapshotProvider(accounts);
  const slots = new DynamoCopySlots(documents, config.jobsTable);
  const copyWaits = new DynamoCopyWaits(documents, config.jobsTable);
  const workflow = new StepFunctionsWorkflow(
    instrumented(new SFNClient({})),
    config.stateMachineArn,
  );
  const clock = acceleratedClock(config.clockOrigin, config.clockSpeed);
  const policies = new DynamoPolicyStore(documents, config.jobsTable);
  const access = new DynamoAccessStore(documents, config.jobsTable);
  const allowlist = allowlistOf(config.allowlistedAccounts, access);
  return {
    access,
    allowlist,
    reads: new SnapshotReadCache(snapshots),
    policies,
    policyDeps: { policies, jobs, snapshots, workflow, clock, rules: policy },
    config,
    clock,
    policy,
    jobs,
    snapshots,
    slots,
    workflow,
    steps: {
      jobs,
      snapshots,
      slots,
      copyWaits,
      workflow,
      clock,
      allowlist,
      metrics: cloudWatchMetrics,
      settings: {
        policy,
        pollMinSeconds: config.pollMinSeconds,
        pollMaxSeconds: config.pollMaxSeconds,
        assumedCopyMiBPerSecond: config.assumedCopyMiBPerSecond,
        copyStartLeaseSeconds: config.copyStartLeaseSeconds,
        snapshotQuotaPerRegion: config.snapshotQuotaPerRegion,
        copyStallSeconds: config.copyStallSeconds,
        copySlots: config.copySlots,
      },
    },
  };
};

let services: Services | undefined;

/** The services of this Lambda instance, made on first use from the environment. */
export const servicesFromEnv = (): Services => {
  services ??= createServices(loadConfig());
  return services;
};
