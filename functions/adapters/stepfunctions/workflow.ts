// The Workflow port on Step Functions: a job's execution is named after the job, so a second
// StartExecution for it returns the first run (or is refused) instead of starting another.
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from "@aws-sdk/client-sfn";
import { DomainError } from "../../core/errors.js";
import type {
  ExecutionEvent,
  ExecutionEventPage,
  ExecutionView,
  Workflow,
} from "../../core/ports.js";
import { CANCELLED_EXECUTION_ERROR } from "../../core/tenant-cause.js";

/** The part of a history event snaprelay reads: its type's details hold the rest. */
const toExecutionEvent = (event: HistoryEvent): ExecutionEvent => {
  const details = Object.entries(event).find(
    ([key, value]) => key.endsWith("EventDetails") && value && typeof value === "object",
  )?.[1] as { name?: string; index?: number; error?: string; cause?: string } | undefined;
  const isState = event.type?.endsWith("StateEntered") || event.type?.endsWith("StateExited");
  return {
    id: Number(event.id ?? 0),
    previousEventId: Number(event.previousEventId ?? 0),
    at: (event.timestamp ?? new Date(0)).toISOString(),
    type: event.type ?? "Unknown",
    ...(isState && details?.name ? { stateName: details.name } : {}),
    ...(typeof details?.index === "number" ? { index: details.index } : {}),
    ...(details?.error ? { error: details.error } : {}),
    ...(details?.cause ? { cause: details.cause } : {}),
  };
};

/** The task no longer waits: answered already, timed out, or its execution ended. */
const isGone = (error: unknown): boolean =>
  error instanceof TaskDoesNotExist ||
  error instanceof TaskTimedOut ||
  error instanceof InvalidToken;

export class StepFunctionsWorkflow implements Workflow {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  /** The ARN an execution named `name` has on this state machine. */
  executionArnFor(name: string): string {
    return `${this.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  }

  async start(
    jobId: string,
    input: Record<string, unknown>,
    options: { signal?: AbortSignal; name?: string } = {},
  ): Promise<{ executionArn: string }> {
    const name = options.name ?? jobId;
    try {
      const { executionArn } = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      if (!executionArn) throw new Error("StartExecution returned no executionArn");
      return { executionArn };
    } catch (error) {
      // The job's execution exists and has finished: it was started before, which is all we want.
      if (error instanceof ExecutionAlreadyExists)
        return { executionArn: this.executionArnFor(name) };
      throw error;
    }
  }

  async describe(executionArn: string): Promise<ExecutionView | undefined> {
    try {
      const { status, error, cause } = await this.client.send(
        new DescribeExecutionCommand({ executionArn }),
      );
      if (!status) throw new Error(`DescribeExecution returned no status for ${executionArn}`);
      return {
        status,
        ...(error === undefined ? {} : { error }),
        ...(cause === undefined ? {} : { cause }),
      };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw error;
    }
  }

  async wake(token: string, output: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(
        new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }),
      );
      return true;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }

  async fail(token: string, error: string, cause: string): Promise<boolean> {
    try {
      await this.client.send(new SendTaskFailureCommand({ taskToken: token, error, cause }));
      return true;
    } catch (failure) {
      if (isGone(failure)) return false;
      throw failure;
    }
  }

  async stop(executionArn: string, cause: string): Promise<void> {
    try {
      // An execution that has ended already is left as it ended (StopExecution changes nothing).
      await this.client.send(
        new StopExecutionCommand({
          executionArn,
          error: CANCELLED_EXECUTION_ERROR,
          cause: cause.slice(0, 32768),
        }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionDoesNotExist)) throw error;
    }
  }

  async historyPage(
    executionArn: string,
    page: { nextToken?: string; maxResults: number },
  ): Promise<ExecutionEventPage | undefined> {
    try {
      const { events, nextToken } = await this.client.send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: page.maxResults,
          nextToken: page.nextToken,
          includeExecutionData: false,
        }),
      );
      return {
        events: (events ?? []).map(toExecutionEvent),
        ...(nextToken ? { nextToken } : {}),
      };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      // Step Functions' page tokens last 24 hours, and belong to one execution.
      if (error instanceof InvalidToken) {
        throw new DomainError(
          "InvalidRequest",
          "nextToken has expired (a history can be read on from a page for 24 hours) or is not one this route gave: start again without it.",
          { cause: error },
        );
      }
      throw error;
    }
  }

  async isReachable(): Promise<boolean> {
    try {
      await this.client.send(
        new DescribeStateMachineCommand({ stateMachineArn: this.stateMachineArn }),
      );
      return true;
    } catch {
      return false;
    }
  }
}
