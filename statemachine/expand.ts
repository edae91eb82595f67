// Expands the state machine's source into the ASL that runs: each Retry's policy names become
// the retriers of functions/core/retry-policies.ts, and every Task is checked against the function
// manifest (the function exists, the state is one it declares, its Retry starts with the
// function's retry policy). A source that breaks a rule fails the build with the state's name.
import {
  isRetryPolicyName,
  RETRY_POLICIES,
  type Retrier,
} from "../functions/core/retry-policies.js";
import { type FunctionKey, functionSpec, isFunctionKey, statesOf } from "../functions/manifest.js";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

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

export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
}

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
  if (!isFunctionKey(key)) {
    throw new DefinitionError(
      `${stateName} invokes function ${key}, which functions/manifest.ts does not declare`,
    );
  }
  const declared = statesOf(key as FunctionKey);
  if (!declared.includes(stateName)) {
    throw new DefinitionError(
      `${stateName} invokes ${key}, whose manifest entry names its states ${declared.join(", ")}`,
    );
  }
  const retry = functionSpec(key).retry;
  const first = Array.isArray(state.Retry) ? state.Retry[0] : undefined;
  if (retry !== undefined && first !== retry) {
    throw new DefinitionError(
      `${stateName} invokes ${key}, whose retry policy is ${retry}: its Retry must start with it`,
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
