// All executions, in memory and (with a journal) on disk. StartExecution's idempotency for
// STANDARD machines: the same name and input while RUNNING returns the original; otherwise the
// name is taken for good. After a restart, every execution is known again and the unfinished
// ones carry on.

import { type ArnScope, executionArn } from "./arns.js";
import { parseDefinition } from "./definition.js";
import {
  Execution,
  type ExecutionRuntime,
  type ExecutionStatus,
  type MachineSnapshot,
} from "./execution.js";
import type { ExecutionRecord, Journal } from "./journal.js";
import { executionAlreadyExists, executionDoesNotExist } from "./service-errors.js";

export interface StartRequest {
  machine: MachineSnapshot;
  name: string;
  input: string;
  traceHeader: string | undefined;
}

export class ExecutionStore {
  private readonly byArn = new Map<string, Execution>();
  private sequence = 0;

  constructor(
    private readonly scope: ArnScope,
    private readonly runtime: ExecutionRuntime,
    private readonly journal?: Journal,
  ) {}

  /**
   * Takes back the journal's executions and resumes the unfinished ones; returns what each
   * resumed run started from, by execution ARN.
   */
  restore(records: readonly ExecutionRecord[]): Map<string, string> {
    const resumed = new Map<string, string>();
    for (const { execution: saved, events } of records) {
      const machine: MachineSnapshot = {
        ...saved.machine,
        definition: parseDefinition(saved.machine.definition),
      };
      const execution = new Execution({
        ...saved,
        status: saved.status as ExecutionStatus,
        machine,
        events,
        journal: this.journal,
      });
      this.byArn.set(execution.arn, execution);
      this.sequence = Math.max(this.sequence, execution.sequence);
    }
    for (const execution of this.byArn.values()) {
      if (execution.isRunning()) resumed.set(execution.arn, execution.resume(this.runtime));
    }
    return resumed;
  }

  start(request: StartRequest): Execution {
    const arn = executionArn(this.scope, request.machine.name, request.name);
    const existing = this.byArn.get(arn);
    if (existing !== undefined) {
      const idempotent =
        request.machine.type === "STANDARD" &&
        existing.status === "RUNNING" &&
        existing.input === request.input;
      if (idempotent) return existing;
      throw executionAlreadyExists(arn);
    }
    this.sequence += 1;
    const execution = new Execution({
      arn,
      sequence: this.sequence,
      ...request,
      journal: this.journal,
    });
    this.byArn.set(arn, execution);
    execution.start(this.runtime);
    return execution;
  }

  get(arn: string): Execution {
    const execution = this.byArn.get(arn);
    if (execution === undefined) throw executionDoesNotExist(arn);
    return execution;
  }

  /** Newest first, as ListExecutions returns them. */
  list(machineArn: string): Execution[] {
    return [...this.byArn.values()].filter((e) => e.machine.arn === machineArn).reverse();
  }

  /**
   * The endpoint is closing: with a journal every run is suspended, to resume at the next start;
   * without one (nothing would remain of it) every running execution is aborted. Settles once
   * the interpreters have stopped.
   */
  async stopAll(): Promise<void> {
    for (const execution of this.byArn.values()) {
      if (this.journal) execution.suspend();
      else execution.stop(undefined, undefined);
    }
    await Promise.all([...this.byArn.values()].map((execution) => execution.done));
  }
}
