// Expands the state machine's source into the ASL that runs: each Retry's policy names become
// the retriers of functions/core/retry-policies.ts. Every Task that invokes a function is checked
// against the naming rules of functions/manifest.ts: the step's entry file exists, the state is
// named after the step, and its Retry starts with the policy of its kind of task (LambdaTransient,
// or CallbackTransient for a task that waits for a callback). A source that breaks a rule fails
// the build with the state's name.
import { existsSync } from "node:fs";
import {
  isRetryPolicyName,
  RETRY_POLICIES,
  type Retrier,
} from "../functions/core/retry-policies.js";
import { ENTRY_FUNCTIONS, isStateOfStep, stepName, stepSpec } from "../functions/manifest.js";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
}

/** The function a Task invokes: `Fn::GetAtt` in its Resource, or its Parameters' FunctionName. */
export const invokedFunction = (state: Json): string | undefined => {
  const parameters = isObject(state.Parameters) ? state.Parameters : {};
  for (const reference of [state.Resource, parameters.FunctionName]) {
    if (isObject(reference) && Array.isArray(reference["Fn::GetAtt"])) {
      return String(reference["Fn::GetAtt"][0]);
    }
  }
  return undefined;
};

const innerStates = (state: Json): unknown[] => [
  ...["ItemProcessor", "Iterator"].flatMap((field) => {
    const processor = state[field];
    return isObject(processor) ? [processor.States] : [];
  }),
  ...(Array.isArray(state.Branches)
    ? state.Branches.map((branch: unknown) => (isObject(branch) ? branch.States : undefined))
    : []),
];

/** Every Task state, the Map's and Parallel's inner ones included, by name. */
export const taskStates = (definition: unknown): Array<[string, Json]> => {
  const walk = (states: unknown): Array<[string, Json]> =>
    isObject(states)
      ? Object.entries(states).flatMap(([name, state]) =>
          isObject(state)
            ? [
                ...(state.Type === "Task" ? [[name, state] as [string, Json]] : []),
                ...innerStates(state).flatMap(walk),
              ]
            : [],
        )
      : [];
  return walk(isObject(definition) ? definition.States : undefined);
};

const expandRetry = (stateName: string, retry: unknown): Retrier[] => {
  if (!Array.isArray(retry)) {
    throw new DefinitionError(`${stateName}: Retry must list retry policy names`);
  }
  return retry.map((policy) => {
    if (!isRetryPolicyName(policy)) {
      throw new DefinitionError(
        `${stateName}: Retry names ${JSON.stringify(policy)}, which is not a retry policy; the policies are ${Object.keys(RETRY_POLICIES).join(", ")}`,
      );
    }
    const { ErrorEquals, ...backoff } = RETRY_POLICIES[policy];
    return { ErrorEquals: [...ErrorEquals], ...backoff };
  });
};

const checkTask = (stateName: string, state: Json): void => {
  const key = invokedFunction(state);
  if (key === undefined) return;
  if (Object.hasOwn(ENTRY_FUNCTIONS, key)) {
    throw new DefinitionError(`${stateName} invokes ${key}, which is not a step`);
  }
  const { entry } = stepSpec(key);
  if (!existsSync(entry)) {
    throw new DefinitionError(
      `${stateName} invokes step ${key}, whose entry file ${entry} is missing`,
    );
  }
  if (!isStateOfStep(stateName, key)) {
    throw new DefinitionError(
      `${stateName} invokes step ${key}: name the state after the step (${stepName(key)}, or with words added, as FinalizeJob is to Finalize)`,
    );
  }
  const isCallback = String(state.Resource).endsWith(".waitForTaskToken");
  const policy = isCallback ? "CallbackTransient" : "LambdaTransient";
  const first = Array.isArray(state.Retry) ? state.Retry[0] : undefined;
  if (first !== policy) {
    throw new DefinitionError(
      `${stateName} invokes step ${key}: its Retry must start with ${policy}, the policy of every ${isCallback ? "callback" : "Lambda"} task`,
    );
  }
};

const expandStates = (states: unknown): Json => {
  if (!isObject(states)) throw new DefinitionError("States must be an object");
  return Object.fromEntries(
    Object.entries(states).map(([stateName, raw]) => {
      if (!isObject(raw)) throw new DefinitionError(`${stateName} must be an object`);
      const state: Json = { ...raw };
      if (state.Type === "Task") checkTask(stateName, state);
      if ("Retry" in state) state.Retry = expandRetry(stateName, state.Retry);
      for (const inner of ["ItemProcessor", "Iterator"]) {
        const processor = state[inner];
        if (isObject(processor)) {
          state[inner] = { ...processor, States: expandStates(processor.States) };
        }
      }
      if (Array.isArray(state.Branches)) {
        state.Branches = state.Branches.map((branch: unknown) =>
          isObject(branch) ? { ...branch, States: expandStates(branch.States) } : branch,
        );
      }
      return [stateName, state];
    }),
  );
};

/** The ASL that runs, from the source that names its retry policies. */
export const expandDefinition = (source: unknown): Json => {
  if (!isObject(source)) throw new DefinitionError("the definition must be a JSON object");
  return { ...source, States: expandStates(source.States) };
};
