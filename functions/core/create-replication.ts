// Starting a replication from the API: check the caller and the request, store the job
// (idempotently), and start its workflow. A refused request stores and starts nothing.
import { createHash, randomUUID } from "node:crypto";
import { DomainError, errorMessage } from "./errors.js";
import { newCopy, type ReplicationJob } from "./job.js";
import type { Clock, JobStore, Workflow } from "./ports.js";
import { parseReplicationRequest } from "./request.js";
import {
  assertAllowlisted,
  type CheckedRequest,
  checkReplicationRequest,
  type ReplicationPolicy,
} from "./rules.js";

export interface CreateReplicationDeps {
  jobs: JobStore;
  workflow: Workflow;
  clock: Clock;
  policy: ReplicationPolicy;
  newJobId?: () => string;
}

export interface CreateReplicationInput {
  accountId: string;
  body: unknown;
  idempotencyKey?: string;
}

export const newJob = (
  accountId: string,
  request: CheckedRequest,
  jobId: string,
  now: Date,
  trigger: ReplicationJob["trigger"] = { type: "api" },
): ReplicationJob => ({
  jobId,
  accountId,
  status: "PENDING",
  snapshotId: request.snapshotId,
  sourceRegion: request.sourceRegion,
  name: request.name,
  tags: request.tags,
  trigger,
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
  executionArn: null,
  copies: request.destinationRegions.map(newCopy),
  error: null,
});

/** A stable fingerprint of what was asked, so a replayed key can be told from a reused one. */
const fingerprint = (request: CheckedRequest): string => {
  const tags = Object.fromEntries(
    Object.entries(request.tags).sort(([a], [b]) => a.localeCompare(b)),
  );
  return createHash("sha256")
    .update(JSON.stringify({ ...request, tags }))
    .digest("hex");
};

export const createReplication = async (
  input: CreateReplicationInput,
  deps: CreateReplicationDeps,
): Promise<{ job: ReplicationJob; created: boolean }> => {
  assertAllowlisted(input.accountId, deps.policy);
  const request = checkReplicationRequest(parseReplicationRequest(input.body), deps.policy);

  const jobId = (deps.newJobId ?? (() => `job-${randomUUID()}`))();
  const idempotency = input.idempotencyKey
    ? { key: input.idempotencyKey, requestHash: fingerprint(request) }
    : undefined;
  const { job, created } = await deps.jobs.create(
    newJob(input.accountId, request, jobId, deps.clock.now()),
    idempotency,
  );
  if (job.executionArn !== null) return { job, created };

  // Either a new job, or a replay of one whose start did not finish: start it now. The
  // execution is named after the job, so this can never run the job twice.
  let executionArn: string;
  try {
    ({ executionArn } = await deps.workflow.start(job.jobId, { jobId: job.jobId }));
  } catch (error) {
    if (created) await deps.jobs.discardUnstarted(job.jobId, job.accountId, input.idempotencyKey);
    throw new DomainError(
      "WorkflowUnavailable",
      `${created ? "The replication workflow could not be started, so no job was created" : `Job ${job.jobId} exists but its workflow could not be started`}; retry the request. (${errorMessage(error)})`,
      { cause: error },
    );
  }
  // Once the execution runs, the job stays whatever happens next: a replay records the ARN,
  // since starting the same execution again returns the first one.
  const started = await deps.jobs.apply(
    job.jobId,
    { executionArn },
    deps.clock.now().toISOString(),
  );
  return { job: started, created };
};
