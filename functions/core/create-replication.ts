// Starting a replication from the API: check the caller and the request, store the job
// (idempotently), and start its workflow. A refused request stores and starts nothing; a stored
// job is accepted and always runs: if its start fails or runs late, the sweeper starts it.

import { createHash, randomUUID } from "node:crypto";
import { type Allowlist, assertAllowlisted } from "./access.js";
import { DomainError, errorMessage } from "./errors.js";
import { newCopy, type ReplicationJob } from "./job.js";
import { assertJobsInFlightBelow, type LimitsOf } from "./limits.js";
import type { AccountLimitsStore, Clock, JobStore, Workflow } from "./ports.js";
import { parseReplicationRequest } from "./request.js";
import { type CheckedRequest, checkReplicationRequest, type ReplicationPolicy } from "./rules.js";

export interface CreateReplicationDeps {
  jobs: JobStore;
  workflow: Workflow;
  clock: Clock;
  settings: ReplicationPolicy;
  /** Who may replicate now: the seed and every approved account. */
  allowlist: Allowlist;
  /** The account's limits, and how many jobs it has in flight. */
  limits: LimitsOf;
  accountLimits: Pick<AccountLimitsStore, "jobsInFlight">;
  newJobId?: () => string;
}

export interface CreateReplicationInput {
  accountId: string;
  body: unknown;
  idempotencyKey?: string;
  /** When the caller must have its answer; work that cannot finish by then is not begun. */
  answerBy?: Date;
}

export interface CreatedReplication {
  job: ReplicationJob;
  created: boolean;
  /** Why the execution did not start now (the sweeper starts it); absent when it started. */
  startDeferred?: string;
}

/** Writing a job takes a DynamoDB call or two: with less time than this left, write nothing. */
const TIME_TO_ACCEPT_MS = 3_000;
/** Starting the execution may take what is left, less this for the answer itself. */
const TIME_TO_ANSWER_MS = 1_000;
/** And never longer than this: a slow start is the sweeper's, not the caller's, to wait for. */
const LONGEST_START_MS = 10_000;

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
): Promise<CreatedReplication> => {
  await assertAllowlisted(input.accountId, deps.allowlist);
  const request = checkReplicationRequest(parseReplicationRequest(input.body), deps.settings);
  // The caller's deadline is in real time, whatever the clock the job's times are read from.
  const timeLeft = () =>
    input.answerBy ? input.answerBy.getTime() - Date.now() : LONGEST_START_MS;
  if (timeLeft() < TIME_TO_ACCEPT_MS) {
    throw new DomainError(
      "ServiceBusy",
      "snaprelay is too busy to take the request in time; nothing was created. Retry in a few seconds (with an Idempotency-Key, a retry can never create a job twice).",
    );
  }

  const limits = await deps.limits(input.accountId);
  assertJobsInFlightBelow(
    input.accountId,
    await deps.accountLimits.jobsInFlight(input.accountId, limits.jobsInFlight),
    limits,
  );

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
  const signal = AbortSignal.timeout(
    Math.max(0, Math.min(timeLeft() - TIME_TO_ANSWER_MS, LONGEST_START_MS)),
  );
  try {
    const { executionArn } = await deps.workflow.start(job.jobId, { jobId: job.jobId }, { signal });
    const started = await deps.jobs.apply(
      job.jobId,
      { executionArn },
      deps.clock.now().toISOString(),
    );
    return { job: started, created };
  } catch (error) {
    // The job is stored, so it is accepted: the sweeper starts it (the same execution name
    // makes a start that did get through harmless) and records its execution.
    return { job, created, startDeferred: errorMessage(error) };
  }
};
