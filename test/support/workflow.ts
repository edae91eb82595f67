// Runs the built state machine in process (aws-local-stepfunctions) with the real step handlers:
// each Task state is mapped, through the function it invokes, to that step's entry file.
import { StateMachine } from "aws-local-stepfunctions";
import { stepSpec } from "../../functions/manifest.js";

type JSONValue = Parameters<StateMachine["run"]>[0];

import { lambdaArnOf, loadBuiltDefinition, loadDefinition } from "../../statemachine/definition.js";
import { invokedFunction, taskStates } from "../../statemachine/expand.js";
import { stepStates } from "../../statemachine/functions.js";

type Handler = (event: unknown) => Promise<unknown>;

/** The callback Tasks (lambda:invoke.waitForTaskToken) and the function key each invokes. */
export const callbackTasks = (): Record<string, string> => tasksOf(true);

/** The function key each Task state calls, read from the raw `Fn::GetAtt` references. */
export const taskFunctions = (): Record<string, string> => tasksOf(false);

const tasksOf = (callbacks: boolean): Record<string, string> =>
  Object.fromEntries(
    taskStates(loadBuiltDefinition()).flatMap(([name, state]) => {
      const functionKey = invokedFunction(state);
      const isCallback = String(state.Resource).endsWith(".waitForTaskToken");
      return functionKey !== undefined && isCallback === callbacks ? [[name, functionKey]] : [];
    }),
  );

/**
 * Imports every step's handler from the entry file its function's key names, by key, after the
 * environment is set: the handlers read their configuration on import.
 */
export const importHandlers = async (): Promise<Record<string, Handler>> => {
  const keys = [...stepStates().keys()];
  const modules = await Promise.all(
    keys.map(
      (key) =>
        import(`../../${stepSpec(key).entry.replace(/\.ts$/, ".js")}`) as Promise<{
          handler: Handler;
        }>,
    ),
  );
  return Object.fromEntries(keys.map((key, index) => [key, modules[index]?.handler as Handler]));
};

export interface WorkflowRun {
  status: "SUCCEEDED" | "FAILED";
  output?: unknown;
  error?: string;
  cause?: string;
  /** Names of the states entered, in order. */
  states: string[];
}

/**
 * The interpreter resolves a Task's TimeoutSecondsPath against its Parameters, where AWS reads the
 * state's input; here every callback wait runs out at once anyway, so a fixed timeout stands in.
 */
const withFixedCallbackTimeouts = (definition: unknown) => {
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const state of Object.values(states)) {
      if (String(state.Resource).endsWith(".waitForTaskToken") && state.TimeoutSecondsPath) {
        delete state.TimeoutSecondsPath;
        state.TimeoutSeconds = 60;
      }
      const processor = state.ItemProcessor as
        | { States: Record<string, Record<string, unknown>> }
        | undefined;
      if (processor) walk(processor.States);
    }
  };
  walk((definition as { States: Record<string, Record<string, unknown>> }).States);
};

export const runReplication = async (
  jobId: string,
  handlers: Record<string, Handler>,
): Promise<WorkflowRun> => {
  const definition = loadDefinition(lambdaArnOf("snaprelay", "test", "us-east-1", "000000000000"));
  withFixedCallbackTimeouts(definition);
  const machine = new StateMachine(definition as never);
  const handlerOf = (state: string, functionKey: string) => {
    const handler = handlers[functionKey];
    if (!handler) throw new Error(`no handler for function ${functionKey} (state ${state})`);
    return handler;
  };
  const localHandlers = Object.fromEntries([
    ...Object.entries(taskFunctions()).map(([state, functionKey]) => {
      // The handlers return plain JSON data; the interpreter's type for it is JSONValue.
      const handler = handlerOf(state, functionKey);
      return [state, handler as unknown as (input: JSONValue) => Promise<JSONValue>];
    }),
    // A callback Task invokes its function with the token, then waits. Here no callback ever
    // comes: every wait runs out (States.Timeout), as when an event is lost.
    ...Object.entries(callbackTasks()).map(([state, functionKey]) => {
      const handler = handlerOf(state, functionKey);
      return [
        state,
        async (input: JSONValue) => {
          await handler((input as { Payload?: unknown }).Payload);
          const timeout = new Error(`${state}: no callback came before the timeout`);
          timeout.name = "States.Timeout";
          throw timeout;
        },
      ];
    }),
  ]);
  const execution = machine.run(
    { jobId },
    {
      // The interpreter gives callback Tasks no token of their own; every wait gets this one.
      context: { Task: { Token: "local-task-token" } },
      overrides: {
        taskResourceLocalHandlers: localHandlers,
        retryIntervalOverrides: { StartCopy: 20, PollCopy: 20, Validate: 20 },
      },
    },
  );
  const states: string[] = [];
  let failure: { error: string; cause: string } | undefined;
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === "StateEntered") states.push(event.state.name);
      if (event.type === "ExecutionFailed") {
        failure = { error: event.Error, cause: String(event.Cause ?? "") };
      }
    }
  })();
  try {
    const output = await execution.result;
    await collecting;
    return { status: "SUCCEEDED", output, states };
  } catch (error) {
    await collecting.catch(() => {});
    return {
      status: "FAILED",
      error: failure?.error ?? (error as Error).name,
      cause: failure?.cause ?? (error as Error).message,
      states,
    };
  }
};
