// The replication routes: start a job, read one, list the caller's jobs newest first.
import { z } from "zod";
import { queuePosition } from "../../core/copy-queue.js";
import { createReplication } from "../../core/create-replication.js";
import { DomainError } from "../../core/errors.js";
import { JOB_STATUSES } from "../../core/job.js";
import { liveCopies } from "../../core/live-progress.js";
import { parseWith, SnapshotIdSchema } from "../../core/request.js";
import { logger } from "../../logger.js";
import type { Services } from "../../wiring.js";
import type { RequestScope } from "../handler.js";
import { json } from "../http.js";
import { presentJob } from "../presenter.js";
import { type ApiEvent, header, jsonBody, pathParameter } from "../request-context.js";

export interface Caller {
  accountId: string;
}

const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "must be 1 to 255 visible ASCII characters");

export const startReplication = async (
  event: ApiEvent,
  caller: Caller,
  services: Services,
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
    services,
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

export const getReplication = async (event: ApiEvent, caller: Caller, services: Services) => {
  const jobId = pathParameter(event, "jobId");
  const job = await services.jobs.get(jobId);
  // Another account's job is as absent as a job that never was.
  if (!job || job.accountId !== caller.accountId) {
    throw new DomainError("JobNotFound", `No replication job ${jobId} in this account.`);
  }
  const positions: Record<string, number> = {};
  for (const copy of job.copies) {
    if (copy.status !== "QUEUED") continue;
    const position = await queuePosition(job, copy.destinationRegion, services);
    if (position !== undefined) positions[copy.destinationRegion] = position;
  }
  const live = await liveCopies(job.accountId, job.copies, services);
  return json(200, presentJob(job, positions, live));
};

const ListQuerySchema = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  snapshotId: SnapshotIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  nextToken: z.string().min(1).max(2048).optional(),
});

export const listReplications = async (event: ApiEvent, caller: Caller, services: Services) => {
  const query = parseWith(ListQuerySchema, event.queryStringParameters ?? {}, "query");
  const page = await services.jobs.listByAccount(caller.accountId, query);
  return json(200, {
    jobs: page.jobs.map((job) => presentJob(job)),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  });
};
