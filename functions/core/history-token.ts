// The nextToken of a job's history: where the read of Step Functions' history stands, and what
// the fold carries to the next page, compressed and bound to the job. Nothing in it is secret (it
// holds the caller's own history); its check refuses a token of another job, or one altered.
import { createHash } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { z } from "zod";
import { DomainError, ERROR_CODE_LIST, type ErrorCode } from "./errors.js";
import type { FoldState, HistoryEntry, ShownEntry } from "./history-fold.js";
import { MAX_TENANT_CAUSE_LENGTH } from "./tenant-cause.js";

/**
 * The longest nextToken the route gives. A query string holds it (API Gateway takes 10 KiB of
 * request line and headers): at most 65 open states and 65 entries to give, which compress well.
 */
export const HISTORY_TOKEN_MAX_LENGTH = 4096;

/** Step Functions' own nextToken is at most this long (GetExecutionHistory's model). */
const SFN_TOKEN_MAX_LENGTH = 1024;
/** More than a history of 25,000 events can hold open at once. */
const MAX_CARRIED = 1000;
const MAX_INFLATED_BYTES = 1024 * 1024;

/** Where a read of the history stands between two pages. */
export interface HistoryCursor {
  /** Step Functions' token of the page to read next; none for the history's first page. */
  page?: string;
  /** Events up to this id are folded in already: a page read again skips them. */
  after: number;
  /** Events asked of Step Functions per read, the same each time, so a page read again is the same. */
  eventsPerRead: number;
  /** The history was read to its end: only `pending` is left to give. */
  done: boolean;
  fold: FoldState;
  /** Entries ended already that did not fit in the page before (one event can end many). */
  pending: ShownEntry[];
}

const REFUSED =
  "nextToken is not one this route gave: pass on the nextToken of the previous page as it came.";

/** What a cause too long to carry reads as (only when the token would outgrow its bound). */
export const CAUSE_NOT_CARRIED =
  "The message was too long to carry to the next page of history; GET /replications/{jobId} shows each copy's error.";

const Id = z.number().int().min(0);
const Iteration = z.number().int().min(0).max(10_000).nullable();
const Time = z.string().max(40);
const Code = z.enum(ERROR_CODE_LIST as [ErrorCode, ...ErrorCode[]]).nullable();
const Cause = z.string().max(MAX_TENANT_CAUSE_LENGTH).nullable();
const Name = z.string().max(128);

// Tuples rather than objects: the token travels in a query string.
const OpenTuple = z.tuple([Id, Name, Time, Iteration, z.boolean(), Id, Code, Cause]);
const TipTuple = z.tuple([Id, Id.nullable(), Iteration, z.boolean()]);
const ShownTuple = z.tuple([
  Id,
  Name,
  Name,
  Time,
  Time.nullable(),
  z.number().nullable(),
  Id,
  Code,
  Cause,
  Name.nullable(),
]);

const TokenBody = z.strictObject({
  v: z.literal(1),
  p: z.string().min(1).max(SFN_TOKEN_MAX_LENGTH).optional(),
  a: Id,
  m: z.number().int().min(1).max(1000),
  d: z.boolean(),
  o: z.array(OpenTuple).max(MAX_CARRIED),
  t: z.array(TipTuple).max(MAX_CARRIED),
  q: z.array(ShownTuple).max(MAX_CARRIED),
});
type TokenBody = z.infer<typeof TokenBody>;

const toBody = (cursor: HistoryCursor): TokenBody => ({
  v: 1,
  ...(cursor.page === undefined ? {} : { p: cursor.page }),
  a: cursor.after,
  m: cursor.eventsPerRead,
  d: cursor.done,
  o: cursor.fold.open.map((s) => [
    s.id,
    s.state,
    s.enteredAt,
    s.iteration,
    s.container,
    s.attempts,
    s.error,
    s.cause,
  ]),
  t: cursor.fold.tips.map((tip) => [tip.id, tip.entry, tip.iteration, tip.fork]),
  q: cursor.pending.map(({ id, entry: e }) => [
    id,
    e.state,
    e.event,
    e.enteredAt,
    e.exitedAt,
    e.durationMs,
    e.retries,
    e.error,
    e.cause,
    e.destinationRegion,
  ]),
});

const fromBody = (body: TokenBody): HistoryCursor => ({
  ...(body.p === undefined ? {} : { page: body.p }),
  after: body.a,
  eventsPerRead: body.m,
  done: body.d,
  fold: {
    open: body.o.map(([id, state, enteredAt, iteration, container, attempts, error, cause]) => ({
      id,
      state,
      enteredAt,
      iteration,
      container,
      attempts,
      error,
      cause,
    })),
    tips: body.t.map(([id, entry, iteration, fork]) => ({ id, entry, iteration, fork })),
  },
  pending: body.q.map(
    ([id, state, event, enteredAt, exitedAt, durationMs, retries, error, cause, region]) => {
      const entry: HistoryEntry = {
        state,
        event,
        enteredAt,
        exitedAt,
        durationMs,
        retries,
        error,
        cause,
        destinationRegion: region,
      };
      return { id, entry };
    },
  ),
});

/** Binds the token to its job: a token of another job, or altered, fails the check. */
const checkOf = (jobId: string, payload: string): string =>
  createHash("sha256").update(`${jobId}\n${payload}`).digest("base64url").slice(0, 22);

const encode = (body: TokenBody, jobId: string): string => {
  const payload = deflateRawSync(JSON.stringify(body)).toString("base64url");
  return `${payload}.${checkOf(jobId, payload)}`;
};

const withoutCauses = (body: TokenBody): TokenBody => ({
  ...body,
  o: body.o.map((s) => {
    const carried: typeof s = [...s];
    if (carried[7] !== null) carried[7] = CAUSE_NOT_CARRIED;
    return carried;
  }),
  q: body.q.map((e) => {
    const carried: typeof e = [...e];
    if (carried[8] !== null) carried[8] = CAUSE_NOT_CARRIED;
    return carried;
  }),
});

/** The nextToken for `cursor`, bound to `jobId`; at most HISTORY_TOKEN_MAX_LENGTH characters. */
export const encodeHistoryToken = (cursor: HistoryCursor, jobId: string): string => {
  const body = toBody(cursor);
  const token = encode(body, jobId);
  if (token.length <= HISTORY_TOKEN_MAX_LENGTH) return token;
  // Many long messages at once: they give way, not the entries.
  const smaller = encode(withoutCauses(body), jobId);
  if (smaller.length <= HISTORY_TOKEN_MAX_LENGTH) return smaller;
  throw new Error(
    `A history token of job ${jobId} would be ${smaller.length} characters, more than ${HISTORY_TOKEN_MAX_LENGTH}: ${cursor.fold.open.length} open states, ${cursor.pending.length} entries to give.`,
  );
};

/** The cursor a nextToken holds; InvalidRequest unless this route gave it for `jobId`. */
export const decodeHistoryToken = (token: string, jobId: string): HistoryCursor => {
  const refused = () => new DomainError("InvalidRequest", REFUSED);
  const [payload, check, extra] = token.split(".");
  if (!payload || check !== checkOf(jobId, payload) || extra !== undefined) throw refused();
  let parsed: unknown;
  try {
    const json = inflateRawSync(Buffer.from(payload, "base64url"), {
      maxOutputLength: MAX_INFLATED_BYTES,
    });
    parsed = JSON.parse(json.toString("utf8"));
  } catch {
    throw refused();
  }
  const body = TokenBody.safeParse(parsed);
  if (!body.success) throw refused();
  return fromBody(body.data);
};
