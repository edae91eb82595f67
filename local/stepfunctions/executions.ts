// All executions, kept in memory. StartExecution's idempotency for STANDARD machines: the same
// name and input while RUNNING returns the original; otherwise the name is taken for good.

import { type ArnScope, executionArn } from "./arns.js";
import { Execution, type ExecutionRuntime, type MachineSnapshot } from "./execution.js";
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
  ) {}

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
    const execution = new Execution({ arn, sequence: this.sequence, ...request });
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

  /** Aborts every running execution and settles once their interpreters have stopped. */
  async stopAll(): Promise<void> {
    for (const execution of this.byArn.values()) execution.stop(undefined, undefined);
    await Promise.all([...this.byArn.values()].map((execution) => execution.done));
  }
}
