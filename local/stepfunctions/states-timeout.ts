// The interpreter's own States.Timeout error, for Tasks that keep their own time. Retry/Catch keep
// exactly that class out of States.TaskFailed, as AWS keeps timeouts out of it, but the package
// does not export it: one is taken, once, from a run that times out at once.

import { ExecutionError, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { TaskFailure } from "./task-errors.js";

type ErrorClass = new () => Error;

const PROBE = {
  StartAt: "Probe",
  States: { Probe: { Type: "Task", Resource: "local:probe", TimeoutSeconds: 0.001, End: true } },
};

let timeoutClass: Promise<ErrorClass | undefined> | undefined;

/** A States.Timeout as the interpreter raises it (a plain named error should that ever fail). */
export async function statesTimeout(): Promise<Error> {
  timeoutClass ??= probeTimeoutClass();
  const TimeoutError = await timeoutClass;
  return TimeoutError ? new TimeoutError() : new TaskFailure("States.Timeout", "States.Timeout");
}

async function probeTimeoutClass(): Promise<ErrorClass | undefined> {
  const machine = new StateMachine(PROBE as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
  const run = machine.run(
    {},
    { overrides: { taskResourceLocalHandlers: { Probe: () => new Promise(() => {}) } } },
  );
  try {
    await run.result;
  } catch (error) {
    const cause = error instanceof ExecutionError ? error.cause : undefined;
    if (cause instanceof Error && cause.name === "States.Timeout") {
      return cause.constructor as ErrorClass;
    }
  }
  return undefined;
}
