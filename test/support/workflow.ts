// Runs the real state machine in process (aws-local-stepfunctions) with the real step handlers:
// each Task state is mapped, through the function its Resource names, to that handler's module.
import { readFileSync } from "node:fs";
import { StateMachine } from "aws-local-stepfunctions";

type JSONValue = Parameters<StateMachine["run"]>[0];

import { DEFINITION_PATH, lambdaArnOf, loadDefinition } from "../../statemachine/definition.js";

type Handler = (event: unknown) => Promise<unknown>;

/** The function key each Task state calls, read from the raw `Fn::GetAtt` references. */
export const taskFunctions = (): Record<string, string> => {
  const found: Record<string, string> = {};
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      const resource = state.Resource as { "Fn::GetAtt"?: [string, string] } | undefined;
      const functionKey = resource?.["Fn::GetAtt"]?.[0];
      if (state.Type === "Task" && functionKey) found[name] = functionKey;
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States: Record<string, Record<string, unknown>> }
        | undefined;
      if (processor) walk(processor.States);
    }
  };
  walk(JSON.parse(readFileSync(DEFINITION_PATH, "utf8")).States);
  return found;
};

/** Imports the handlers after the environment is set: they read their configuration on import. */
export const importHandlers = async (): Promise<Record<string, Handler>> => ({
  validate: (await import("../../functions/steps/validate.js")).handler,
  startCopy: (await import("../../functions/steps/start-copy.js")).handler,
  pollCopy: (await import("../../functions/steps/poll-copy.js")).handler,
  finalize: (await import("../../functions/steps/finalize.js")).handler,
  fail: (await import("../../functions/steps/fail.js")).handler,
  acquireSlot: (await import("../../functions/steps/acquire-slot.js")).handler,
  awaitSlot: (await import("../../functions/steps/await-slot.js")).handler,
  retention: (await import("../../functions/steps/retention.js")).handler,
});

export interface WorkflowRun {
  status: "SUCCEEDED" | "FAILED";
  output?: unknown;
  error?: string;
  cause?: string;
  /** Names of the states entered, in order. */
  states: string[];
}

export const runReplication = async (
  jobId: string,
  handlers: Record<string, Handler>,
): Promise<WorkflowRun> => {
  const definition = loadDefinition(lambdaArnOf("snaprelay", "test", "us-east-1", "000000000000"));
  const machine = new StateMachine(definition as never);
  const localHandlers = Object.fromEntries(
    Object.entries(taskFunctions()).map(([state, functionKey]) => {
      const handler = handlers[functionKey];
      if (!handler) throw new Error(`no handler for function ${functionKey} (state ${state})`);
      // The handlers return plain JSON data; the interpreter's type for it is JSONValue.
      return [state, handler as unknown as (input: JSONValue) => Promise<JSONValue>];
    }),
  );
  const execution = machine.run(
    { jobId },
    {
      overrides: {
        taskResourceLocalHandlers: localHandlers,
        waitTimeOverrides: { WaitForCopy: 20 },
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
