// One execution: runs its state machine in aws-local-stepfunctions, turns the interpreter's
// events into history, and holds status and outcome. StopExecution aborts the interpreter.

import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import type { Definition } from "./definition.js";
import { ExecutionHistory } from "./history.js";
import { HistoryRecorder } from "./history-recorder.js";
import { interpreterDefinition } from "./interpreter-definition.js";
import { InterpreterEventTranslator, type RunOutcome } from "./interpreter-events.js";
import type { InterpreterRun } from "./interpreter-types.js";
import type { JsonObject, JsonValue } from "./json.js";
import type { LambdaInvoker } from "./lambda-invoker.js";
import { TaskAttempts } from "./task-attempts.js";
import { buildTaskHandlers } from "./task-handlers.js";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";

export interface MachineSnapshot {
  arn: string;
  name: string;
  roleArn: string;
  type: string;
  definition: Definition;
  updateDate: number;
}

export interface ExecutionRuntime {
  invoker: LambdaInvoker;
  region: string;
  waitScale: number;
  retryScale: number;
}

export interface ExecutionStart {
  arn: string;
  name: string;
  sequence: number;
  machine: MachineSnapshot;
  input: string;
  traceHeader: string | undefined;
}

export class Execution {
  readonly arn: string;
  readonly name: string;
  readonly sequence: number;
  readonly machine: MachineSnapshot;
  readonly input: string;
  readonly traceHeader: string | undefined;
  readonly startDate = Date.now();
  readonly history = new ExecutionHistory();
  status: ExecutionStatus = "RUNNING";
  stopDate: number | undefined;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  /** Settles once the interpreter has stopped and its events are all translated. */
  done: Promise<void> = Promise.resolve();

  private readonly recorder: HistoryRecorder;
  private readonly attempts = new TaskAttempts();
  private run: InterpreterRun | undefined;

  constructor(start: ExecutionStart) {
    this.arn = start.arn;
    this.name = start.name;
    this.sequence = start.sequence;
    this.machine = start.machine;
    this.input = start.input;
    this.traceHeader = start.traceHeader;
    this.recorder = new HistoryRecorder(this.history, start.machine.definition.states);
  }

  start(runtime: ExecutionRuntime): void {
    const { definition, roleArn } = this.machine;
    const input = JSON.parse(this.input) as JsonValue;
    this.recorder.executionStarted({
      input: this.input,
      inputDetails: { truncated: false },
      roleArn,
    });
    const context = this.contextObject();
    const contextObject = { ...context, Execution: { ...context.Execution, Input: input } };
    const interpreter = new StateMachine(
      interpreterDefinition(
        definition.asl,
        runtime.retryScale,
      ) as unknown as StateMachineDefinition,
      { validationOptions: { noValidate: true } },
    );
    const run = interpreter.run(input, {
      noThrowOnAbort: true,
      context,
      overrides: {
        taskResourceLocalHandlers: buildTaskHandlers(definition.states, {
          invoker: runtime.invoker,
          recorder: this.recorder,
          attempts: this.attempts,
          region: runtime.region,
          waitScale: runtime.waitScale,
          contextObject,
        }),
      },
    });
    this.run = run;
    const translator = new InterpreterEventTranslator({
      recorder: this.recorder,
      states: definition.states,
      attempts: this.attempts,
      contextObject,
      finish: (outcome) => this.finish(outcome),
    });
    this.done = this.follow(run, translator);
  }

  /** StopExecution: only a RUNNING execution changes; the caller's error and cause are kept. */
  stop(error: string | undefined, cause: string | undefined): void {
    if (this.status !== "RUNNING") return;
    const details: JsonObject = {};
    if (error !== undefined) details.error = error;
    if (cause !== undefined) details.cause = cause;
    this.recorder.executionEvent("ExecutionAborted", details);
    this.finish({ status: "ABORTED", error, cause });
    this.run?.abort();
  }

  private async follow(run: InterpreterRun, translator: InterpreterEventTranslator) {
    const outcome = run.result.then(
      () => undefined,
      () => undefined, // failures arrive as ExecutionFailed/ExecutionTimeout events
    );
    try {
      for await (const event of run.eventLogs) translator.translate(event);
    } catch (error) {
      this.failInternally(error instanceof Error ? error.message : String(error));
      run.abort();
    }
    await outcome;
    if (this.status === "RUNNING") this.failInternally("the interpreter ended without an outcome");
  }

  // Our own bugs end the execution visibly rather than leaving it RUNNING for ever.
  private failInternally(cause: string): void {
    this.recorder.executionEvent("ExecutionFailed", { error: "States.Runtime", cause });
    this.finish({ status: "FAILED", error: "States.Runtime", cause });
  }

  private finish(outcome: RunOutcome | { status: "ABORTED"; error?: string; cause?: string }) {
    if (this.status !== "RUNNING") return;
    this.status = outcome.status;
    this.stopDate = Date.now();
    if (outcome.status === "SUCCEEDED") this.output = outcome.output;
    else {
      this.error = outcome.error;
      this.cause = outcome.cause;
    }
    this.recorder.close();
    this.attempts.cancelAll();
  }

  // The context object ($$) as AWS fills it; the interpreter adds Execution.Input itself.
  private contextObject() {
    return {
      Execution: {
        Id: this.arn,
        Name: this.name,
        RoleArn: this.machine.roleArn,
        StartTime: new Date(this.startDate).toISOString(),
      },
      StateMachine: { Id: this.machine.arn, Name: this.machine.name },
    };
  }
}
