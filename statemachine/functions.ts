// Every function of snaprelay, for the build, the in-process workflow harness and the tests: the
// entry points functions/manifest.ts lists, and the steps the state machine's source invokes.
import { readFileSync } from "node:fs";
import { ENTRY_FUNCTIONS, type FunctionSpec, stepSpec } from "../functions/manifest.js";
import { SOURCE_PATH } from "./definition.js";
import { invokedFunction, taskStates } from "./expand.js";

/** The step functions, by key, each with the Task states that invoke it, in the source's order. */
export const stepStates = (): Map<string, string[]> => {
  const steps = new Map<string, string[]>();
  for (const [stateName, state] of taskStates(JSON.parse(readFileSync(SOURCE_PATH, "utf8")))) {
    const key = invokedFunction(state);
    if (key !== undefined) steps.set(key, [...(steps.get(key) ?? []), stateName]);
  }
  return steps;
};

/** Every function: the entry points first, then the steps. */
export const allFunctions = (): FunctionSpec[] => [
  ...Object.values(ENTRY_FUNCTIONS),
  ...[...stepStates().keys()].map(stepSpec),
];
