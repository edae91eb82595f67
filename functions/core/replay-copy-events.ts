// Copy events the copyEvents function failed on, handled again. Lambda runs a failed asynchronous
// invocation twice more and then sends its record to the function's on-failure destination (a
// queue: serverless.yml, FailedCopyEventsQueue); the sweeper takes the records from there and
// puts each event through the same path copyEvents takes, which is idempotent: an event about a
// copy already ended changes nothing. A record is deleted once handled, and left for a later sweep
// when handling it failed (the queue gives it back after its visibility timeout, and moves it to
// its dead-letter queue after many tries). A record that can never be handled (not an invocation
// record of a copy event, or an event of an account that is not a tenant) is deleted with a warning.
import { z } from "zod";
import { type CopyEventOutcome, onCopyEvent, readCopyEvent, type Tenants } from "./copy-events.js";
import { errorMessage } from "./errors.js";
import type { FailedEvent, FailedEvents } from "./ports.js";
import type { StepDeps } from "./step-deps.js";

/** ReceiveMessage's largest batch. */
const BATCH = 10;

/**
 * Lambda's record of an asynchronous invocation sent to a destination
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html): only what
 * the replay reads is checked.
 */
const InvocationRecord = z.object({
  version: z.string(),
  requestContext: z.object({
    functionArn: z.string(),
    condition: z.string(),
    approximateInvokeCount: z.number().int().min(0),
  }),
  requestPayload: z.unknown(),
});

/** What a record holds, read: the failed invocation's event, and how it failed. */
export interface FailedRecord {
  event: unknown;
  /** RetriesExhausted or EventAgeExceeded; undefined for an event from a dead-letter queue. */
  condition?: string;
  invokeCount?: number;
}

/**
 * The event in a record: an invocation record's `requestPayload`, or the record itself when it is
 * an event (a dead-letter queue holds the event alone). Undefined when the body is no JSON object.
 */
export const readFailedRecord = (body: string): FailedRecord | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const record = InvocationRecord.safeParse(parsed);
  if (!record.success) return { event: parsed };
  return {
    event: record.data.requestPayload,
    condition: record.data.requestContext.condition,
    invokeCount: record.data.requestContext.approximateInvokeCount,
  };
};

export type ReplayOutcome =
  /** Handled by the copy events' path (whatever it did with it): deleted. */
  | { kind: "replayed"; outcome: CopyEventOutcome }
  /** Never handleable: deleted, with a warning. */
  | { kind: "dropped"; reason: string }
  /** Handling failed: left in the queue for a later sweep. */
  | { kind: "left"; problem: string };

export interface ReplayReport {
  received: number;
  replayed: number;
  dropped: number;
  left: number;
  /** What the replayed events came to, by outcome. */
  outcomes: Partial<Record<CopyEventOutcome, number>>;
  /** Why records were left, and any trouble with the queue itself. */
  problems: string[];
}

export interface ReplayDeps extends StepDeps {
  failedEvents: FailedEvents;
  tenants: Tenants;
  warn: (message: string) => void;
}

/** One record, through the copy events' path. */
const replayOne = async (record: FailedEvent, deps: ReplayDeps): Promise<ReplayOutcome> => {
  const read = readFailedRecord(record.body);
  const copyEvent = read === undefined ? undefined : readCopyEvent(read.event);
  if (!copyEvent) {
    return { kind: "dropped", reason: "it holds no EBS copySnapshot event" };
  }
  try {
    const outcome = await onCopyEvent(copyEvent, {
      ...deps,
      now: deps.clock.now(),
      warn: deps.warn,
    });
    if (outcome === "notTenant") {
      return { kind: "dropped", reason: `account ${copyEvent.account} is not a tenant` };
    }
    return { kind: "replayed", outcome };
  } catch (error) {
    return {
      kind: "left",
      problem: `copy ${copyEvent.snapshotId} in ${copyEvent.region} (received ${record.receiveCount} times): ${errorMessage(error)}`,
    };
  }
};

/**
 * Takes the failed copy events from their queue, batch by batch, until the queue answers none or
 * `deadline` (epoch ms) comes; the records of a batch are handled together. Counts what became of
 * them as a metric, once, when any were received.
 */
export const replayCopyEvents = async (
  deps: ReplayDeps,
  options: { deadline: number; now?: () => number },
): Promise<ReplayReport> => {
  const now = options.now ?? Date.now;
  const report: ReplayReport = {
    received: 0,
    replayed: 0,
    dropped: 0,
    left: 0,
    outcomes: {},
    problems: [],
  };
  try {
    while (now() < options.deadline) {
      const batch = await deps.failedEvents.receive(BATCH);
      if (batch.length === 0) break;
      report.received += batch.length;
      await Promise.all(
        batch.map(async (record) => {
          const replay = await replayOne(record, deps);
          if (replay.kind === "left") {
            report.left++;
            report.problems.push(replay.problem);
            return;
          }
          if (replay.kind === "dropped") {
            deps.warn(`a failed copy event (record ${record.id}) is dropped: ${replay.reason}`);
          }
          try {
            await deps.failedEvents.delete(record.receipt);
          } catch (error) {
            // Handled all the same; received again later, it changes nothing then.
            report.problems.push(`record ${record.id} not deleted: ${errorMessage(error)}`);
          }
          if (replay.kind === "dropped") {
            report.dropped++;
          } else {
            report.replayed++;
            report.outcomes[replay.outcome] = (report.outcomes[replay.outcome] ?? 0) + 1;
          }
        }),
      );
      // A short batch: the queue has little more to give now.
      if (batch.length < BATCH) break;
    }
  } catch (error) {
    report.problems.push(`the failed copy events could not be received: ${errorMessage(error)}`);
  }
  if (report.received > 0) {
    deps.metrics.failedCopyEventsReplayed({
      replayed: report.replayed,
      dropped: report.dropped,
      left: report.left,
    });
  }
  return report;
};
