// The replication routes: start a job, read one, list the caller's jobs newest first, cancel one,
// read its history.
import { z } from "zod";
import { cancelJob } from "../../core/cancel-job.js";
import { queuePosition } from "../../core/copy-queue.js";
import { createReplication } from "../../core/create-replication.js";
import { DomainError } from "../../core/errors.js";
import { HISTORY_TOKEN_MAX_LENGTH } from "../../core/history-token.js";
import { JOB_STATUSES, type ReplicationJob } from "../../core/job.js";
import { historyPage } from "../../core/job-history.js";
import { liveCopies } from "../../core/live-progress.js";
import { PRINTABLE, PRINTABLE_MESSAGE, parseWith, SnapshotIdSchema } from "../../core/request.js";
import { logger } from "../../logger.js";
import type { ApiDeps } from "../../wiring.js";
import { json } from "../http.js";
import { presentJob } from "../presenter.js";
import {
  type ApiEvent,
  type Caller,
  header,
  jsonBody,
  pathParameter,
  type RequestScope,
} from "../request-context.js";

const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "must be 1 to 255 visible ASCII characters");

export const startReplication = async (
  event: ApiEvent,
  caller: Caller,
  deps: ApiDeps,
  scope: RequestScope,
) => {
  const rawKey = header(event, "idempotency-key");
  const idempotencyKey =
    rawKey === undefined
      ? undefined
      : parseWith(IdempotencyKeySchema, rawKey, "Idempotency-Key header");
  const { job, created, startDeferred } = await createReplication(
    {
      accountId: caller.accountId,
      body: jsonBody(event),
      answerBy: scope.answerBy,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    },
    deps,
  );
  if (startDeferred) {
    logger.warn("job accepted; its execution will be started by the sweeper", {
      requestId: scope.requestId,
      jobId: job.jobId,
      reason: startDeferred,
    });
  }
  return json(202, presentJob(job), {
    location: `/replications/${job.jobId}`,
    ...(created ? {} : { "idempotent-replayed": "true" }),
  });
};

/** The caller's job named in the path; another account's job is as absent as one that never was. */
const callersJob = async (
  event: ApiEvent,
  caller: Caller,
  deps: ApiDeps,
): Promise<ReplicationJob> => {
  const jobId = pathParameter(event, "jobId");
  const job = await deps.jobs.get(jobId);
  if (!job || job.accountId !== caller.accountId) {
    throw new DomainError("JobNotFound", `No replication job ${jobId} in this account.`);
  }
  return job;
};

export const getReplication = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const job = await callersJob(event, caller, deps);
  const positions: Record<string, number> = {};
  for (const copy of job.copies) {
    if (copy.status !== "QUEUED") continue;
    const position = await queuePosition(job, copy.destinationRegion, deps);
    if (position !== undefined) positions[copy.destinationRegion] = position;
  }
  const live = await liveCopies(job.accountId, job.copies, deps);
  return json(200, presentJob(job, positions, live));
};

export const JobListQuerySchema = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  snapshotId: SnapshotIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  nextToken: z.string().min(1).max(2048).optional(),
});

export const listReplications = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const query = parseWith(JobListQuerySchema, event.queryStringParameters ?? {}, "query");
  const page = await deps.jobs.listByAccount(caller.accountId, query);
  return json(200, {
    jobs: page.jobs.map((job) => presentJob(job)),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  });
};

export const CancelBodySchema = z.strictObject({
  reason: z.string().trim().min(1).max(200).regex(PRINTABLE, PRINTABLE_MESSAGE).optional(),
});

export const cancelReplication = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const jobId = pathParameter(event, "jobId");
  // The body is optional: a reason, if the caller gives one.
  const body = event.body ? parseWith(CancelBodySchema, jsonBody(event), "body") : {};
  const job = await cancelJob(
    { jobId, accountId: caller.accountId, ...(body.reason ? { reason: body.reason } : {}) },
    deps,
  );
  return json(202, presentJob(job));
};

export const HistoryQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  nextToken: z
    .string()
    .min(1)
    .max(HISTORY_TOKEN_MAX_LENGTH)
    .optional()
    .describe(
      `The previous page's nextToken, as it came (at most ${HISTORY_TOKEN_MAX_LENGTH} characters; bound to this job).`,
    ),
});

/** The job's history a page at a time, as its account may read it (see core/job-history.ts). */
export const getReplicationHistory = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const query = parseWith(HistoryQuerySchema, event.queryStringParameters ?? {}, "query");
  const job = await callersJob(event, caller, deps);
  const page = await historyPage(job, query, deps.workflow);
  return json(200, { jobId: job.jobId, ...page });
};
