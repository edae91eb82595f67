// Visits every state of an ASL definition, nested Map and Parallel states included, and tells
// which Map/Parallel encloses it: history threads and timing rewrites both need that.

import { isJsonObject, type JsonObject } from "./json.js";

export interface StateContainer {
  kind: "Map" | "Parallel";
  name: string;
  branch: number;
}

export type StateVisitor = (
  name: string,
  state: JsonObject,
  container: StateContainer | undefined,
) => void;

export function walkStates(
  machine: JsonObject,
  visit: StateVisitor,
  container?: StateContainer,
): void {
  const states = machine.States;
  if (!isJsonObject(states)) return;
  for (const [name, state] of Object.entries(states)) {
    if (!isJsonObject(state)) continue;
    visit(name, state, container);
    if (state.Type === "Map") {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (isJsonObject(processor)) walkStates(processor, visit, { kind: "Map", name, branch: 0 });
    }
    if (state.Type === "Parallel" && Array.isArray(state.Branches)) {
      state.Branches.forEach((branch, index) => {
        if (isJsonObject(branch)) {
          walkStates(branch, visit, { kind: "Parallel", name, branch: index });
        }
      });
    }
  }
}
