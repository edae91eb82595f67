// An execution of the replication state machine ended, as Step Functions' "Execution Status
// Change" event tells it (EventBridge, best effort): if it ended before its job did (stopped by
// hand, its history full, timed out, or failed outside its own Catch), the job is taken over by a
// new execution now, as the sweeper would at its next look at the job (up to its check period
// later). The sweeper's look stays: an event may never come. The rule delivers only FAILED,
// TIMED_OUT and ABORTED ends of this state machine; an execution that SUCCEEDED finished its job
// with its own steps.
import { z } from "zod";
import { isFinishedJob } from "./job.js";
import { lookAtExecution, type SweepAction, type SweepDeps } from "./sweep-jobs.js";

const ENDED_BEFORE_JOB = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

/** The parts of the event this reads (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html). */
const StatusChangeEvent = z.object({
  source: z.literal("aws.states"),
  "detail-type": z.literal("Step Functions Execution Status Change"),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.string(),
  }),
});

export interface ExecutionEnd {
  executionArn: string;
  stateMachineArn: string;
  /** The execution's name: the job's id, or `<jobId>-adopted-N` for one that took it over. */
  name: string;
  status: (typeof ENDED_BEFORE_JOB)[number];
}

/** The end an event tells of; undefined for any other event, or another status. */
export const readExecutionEnd = (event: unknown): ExecutionEnd | undefined => {
  const parsed = StatusChangeEvent.safeParse(event);
  if (!parsed.success) return undefined;
  const { status, ...rest } = parsed.data.detail;
  const ended = ENDED_BEFORE_JOB.find((known) => known === status);
  return ended ? { ...rest, status: ended } : undefined;
};

/** The job an execution works for, from its name. */
export const jobIdOf = (executionName: string): string =>
  executionName.replace(/-adopted-\d+$/, "");

export type ExecutionEndOutcome =
  /** Another state machine's execution: not snaprelay's to look at. */
  | "foreign"
  /** No such job (the name is not one of snaprelay's jobs). */
  | "unknown"
  /** The job has a newer execution than this one (taken over already): nothing to do. */
  | "superseded"
  | SweepAction;

export const onExecutionEnded = async (
  end: ExecutionEnd,
  deps: SweepDeps & { stateMachineArn: string },
): Promise<ExecutionEndOutcome> => {
  if (end.stateMachineArn !== deps.stateMachineArn) return "foreign";
  const job = await deps.jobs.get(jobIdOf(end.name));
  if (!job) return "unknown";
  if (isFinishedJob(job.status)) return "finished";
  // A repeated event, or one about an execution the sweeper has replaced already.
  if (job.executionArn !== end.executionArn) return "superseded";
  return lookAtExecution(job, end.executionArn, deps, deps.clock.now());
};
