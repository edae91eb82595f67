// One execution: runs its state machine in aws-local-stepfunctions, turns the interpreter's
// events into history, and holds status and outcome. StopExecution aborts the interpreter. With a
// journal it is kept on disk, and a run cut short by a restart resumes from the last top-level
// state it entered (every step of ours is safe to run again).

import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { TASK_TOKEN_PLACEHOLDER } from "./callback-input.js";
import type { Definition } from "./definition.js";
import { ExecutionHistory, type HistoryEvent } from "./history.js";
import { HISTORY_FULL, HistoryRecorder } from "./history-recorder.js";
import { interpreterDefinition } from "./interpreter-definition.js";
import { InterpreterEventTranslator, type RunOutcome } from "./interpreter-events.js";
import type { InterpreterRun } from "./interpreter-types.js";
import type { Journal, JournaledExecution } from "./journal.js";
import type { JsonObject, JsonValue } from "./json.js";
import type { LambdaInvoker } from "./lambda-invoker.js";
import { TaskAttempts } from "./task-attempts.js";
import { buildTaskHandlers } from "./task-handlers.js";
import type { TaskTokens } from "./task-tokens.js";

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
  /** The endpoint's task tokens, shared by all executions and SendTask* operations. */
  taskTokens: TaskTokens;
  region: string;
  waitScale: number;
  retryScale: number;
  /**
   * Told of each status change (RUNNING when it starts, its end), at once and without waiting:
   * Step Functions' status change events (status-events.ts).
   */
  statusChanged?: (execution: Execution) => void;
}

export interface ExecutionStart {
  arn: string;
  name: string;
  sequence: number;
  machine: MachineSnapshot;
  input: string;
  traceHeader: string | undefined;
  journal?: Journal | undefined;
}

/** An execution as the journal kept it, to carry on after a restart. */
export interface ExecutionRestore extends ExecutionStart {
  startDate: number;
  status: ExecutionStatus;
  stopDate: number | undefined;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  events: readonly HistoryEvent[];
}

/** Where a resumed run starts: a top-level state and the input it was entered with. */
interface ResumePoint {
  stateName: string;
  input: JsonValue;
}

export class Execution {
  readonly arn: string;
  readonly name: string;
  readonly sequence: number;
  readonly machine: MachineSnapshot;
  readonly input: string;
  readonly traceHeader: string | undefined;
  readonly startDate: number;
  readonly history: ExecutionHistory;
  status: ExecutionStatus = "RUNNING";
  stopDate: number | undefined;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  /** Settles once the interpreter has stopped and its events are all translated. */
  done: Promise<void> = Promise.resolve();

  private readonly recorder: HistoryRecorder;
  private readonly attempts = new TaskAttempts();
  private readonly journal: Journal | undefined;
  private run: InterpreterRun | undefined;
  private statusChanged: ((execution: Execution) => void) | undefined;
  /** Set when the endpoint shuts down: the run stops where it is and stays RUNNING on disk. */
  private suspended = false;

  constructor(start: ExecutionStart | ExecutionRestore) {
    this.arn = start.arn;
    this.name = start.name;
    this.sequence = start.sequence;
    this.machine = start.machine;
    this.input = start.input;
    this.traceHeader = start.traceHeader;
    this.journal = start.journal;
    const restored = "events" in start ? start : undefined;
    this.startDate = restored?.startDate ?? Date.now();
    this.history = new ExecutionHistory(restored?.events ?? [], (event) =>
      this.journal?.appendEvent(this.name, this.machine.name, event),
    );
    if (restored) {
      this.status = restored.status;
      this.stopDate = restored.stopDate;
      this.output = restored.output;
      this.error = restored.error;
      this.cause = restored.cause;
    }
    this.recorder = new HistoryRecorder(this.history, start.machine.definition.states, () => {
      // The recorder wrote the failure event itself; the run stops as AWS stops it.
      this.finish({ status: "FAILED", ...HISTORY_FULL });
      this.run?.abort();
    });
    if (!this.isRunning()) this.recorder.close();
  }

  isRunning(): boolean {
    return this.status === "RUNNING";
  }

  start(runtime: ExecutionRuntime): void {
    this.save();
    this.recorder.executionStarted({
      input: this.input,
      inputDetails: { truncated: false },
      roleArn: this.machine.roleArn,
    });
    this.statusChanged = runtime.statusChanged;
    this.statusChanged?.(this);
    this.runFrom(runtime, undefined);
  }

  /**
   * Carries on a run a restart cut short, from the last top-level state it entered (a Map runs
   * all its iterations again), or from the start if it entered none. Returns that state's name.
   */
  resume(runtime: ExecutionRuntime): string {
    // A resumed run is still the RUNNING execution it was: its status has not changed.
    this.statusChanged = runtime.statusChanged;
    const point = this.resumePoint();
    this.runFrom(runtime, point);
    return point?.stateName ?? String(this.machine.definition.asl.StartAt);
  }

  /** Stops the run without ending the execution: the endpoint is shutting down. */
  suspend(): void {
    if (!this.isRunning()) return;
    this.suspended = true;
    this.recorder.close();
    this.attempts.cancelAll();
    this.run?.abort();
  }

  private resumePoint(): ResumePoint | undefined {
    const { states } = this.machine.definition;
    for (const event of [...this.history.events].reverse()) {
      const name = event.details?.name;
      if (!event.type.endsWith("StateEntered") || typeof name !== "string") continue;
      if (states.get(name)?.container !== undefined) continue;
      const input = event.details?.input;
      return { stateName: name, input: JSON.parse(typeof input === "string" ? input : "{}") };
    }
    return undefined;
  }

  private runFrom(runtime: ExecutionRuntime, from: ResumePoint | undefined): void {
    const { definition } = this.machine;
    const executionInput = JSON.parse(this.input) as JsonValue;
    const context = this.contextObject();
    const contextObject = {
      ...context,
      Execution: { ...context.Execution, Input: executionInput },
    };
    const asl = interpreterDefinition(definition.asl, runtime.retryScale);
    if (from) asl.StartAt = from.stateName;
    const interpreter = new StateMachine(asl as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    });
    const run = interpreter.run(from?.input ?? executionInput, {
      noThrowOnAbort: true,
      context,
      overrides: {
        taskResourceLocalHandlers: buildTaskHandlers(definition.states, {
          invoker: runtime.invoker,
          recorder: this.recorder,
          attempts: this.attempts,
          taskTokens: runtime.taskTokens,
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
      abort: () => run.abort(),
    });
    this.done = this.follow(run, translator);
  }

  /** StopExecution: only a RUNNING execution changes; the caller's error and cause are kept. */
  stop(error: string | undefined, cause: string | undefined): void {
    if (!this.isRunning() || this.suspended) return;
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
    if (this.isRunning() && !this.suspended) {
      this.failInternally("the interpreter ended without an outcome");
    }
  }

  // Our own bugs end the execution visibly rather than leaving it RUNNING for ever.
  private failInternally(cause: string): void {
    this.recorder.executionEvent("ExecutionFailed", { error: "States.Runtime", cause });
    this.finish({ status: "FAILED", error: "States.Runtime", cause });
  }

  private finish(outcome: RunOutcome | { status: "ABORTED"; error?: string; cause?: string }) {
    if (!this.isRunning() || this.suspended) return;
    this.status = outcome.status;
    this.stopDate = Date.now();
    if (outcome.status === "SUCCEEDED") this.output = outcome.output;
    else {
      this.error = outcome.error;
      this.cause = outcome.cause;
    }
    this.recorder.close();
    this.attempts.cancelAll();
    this.save();
    this.statusChanged?.(this);
  }

  private save(): void {
    this.journal?.saveExecution(this.journaled());
  }

  journaled(): JournaledExecution {
    const { arn, name, roleArn, type, definition, updateDate } = this.machine;
    return {
      arn: this.arn,
      name: this.name,
      sequence: this.sequence,
      machine: { arn, name, roleArn, type, definition: definition.text, updateDate },
      input: this.input,
      traceHeader: this.traceHeader,
      startDate: this.startDate,
      status: this.status,
      stopDate: this.stopDate,
      output: this.output,
      error: this.error,
      cause: this.cause,
    };
  }

  // The context object ($$) as AWS fills it; the interpreter adds Execution.Input itself. Task.Token
  // holds a placeholder that each callback Task attempt replaces with its own token.
  private contextObject() {
    return {
      Execution: {
        Id: this.arn,
        Name: this.name,
        RoleArn: this.machine.roleArn,
        StartTime: new Date(this.startDate).toISOString(),
      },
      StateMachine: { Id: this.machine.arn, Name: this.machine.name },
      Task: { Token: TASK_TOKEN_PLACEHOLDER },
    };
  }
}
