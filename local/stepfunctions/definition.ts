// Parses and validates an ASL definition (InvalidDefinition on failure) and indexes its states
// by name; the interpreter keys Task overrides by state name, so names must be unique.

import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { isJsonObject, type JsonObject, tryParseJson } from "./json.js";
import { invalidDefinition } from "./service-errors.js";
import { type StateContainer, walkStates } from "./state-walk.js";

export interface StateInfo {
  name: string;
  type: string;
  fields: JsonObject;
  container: StateContainer | undefined;
}

export interface Definition {
  text: string;
  asl: JsonObject;
  states: ReadonlyMap<string, StateInfo>;
}

export function parseDefinition(text: string): Definition {
  const asl = tryParseJson(text);
  if (!isJsonObject(asl)) throw invalidDefinition("the definition must be a JSON object");
  rejectJsonata(asl);
  try {
    new StateMachine(asl as unknown as StateMachineDefinition);
  } catch (error) {
    throw invalidDefinition(error instanceof Error ? error.message : String(error));
  }
  return { text, asl, states: indexStates(asl) };
}

function indexStates(asl: JsonObject): Map<string, StateInfo> {
  const states = new Map<string, StateInfo>();
  walkStates(asl, (name, fields, container) => {
    if (states.has(name))
      throw invalidDefinition(`DUPLICATE_STATE_NAME: Duplicate State name: ${name}`);
    states.set(name, { name, type: String(fields.Type), fields, container });
  });
  return states;
}

// aws-local-stepfunctions runs JSONPath only; refusing JSONata here beats a run that misbehaves.
function rejectJsonata(asl: JsonObject): void {
  const usesJsonata = (node: JsonObject) => node.QueryLanguage === "JSONata";
  let found = usesJsonata(asl);
  walkStates(asl, (_name, state) => {
    found ||= usesJsonata(state);
  });
  if (found) throw invalidDefinition("QueryLanguage JSONata is not supported locally");
}

/** True when `name` is `ancestor` or sits (at any depth) inside the Map/Parallel `ancestor`. */
export function isWithin(
  states: ReadonlyMap<string, StateInfo>,
  name: string,
  ancestor: string,
): boolean {
  let current: string | undefined = name;
  while (current !== undefined) {
    if (current === ancestor) return true;
    current = states.get(current)?.container?.name;
  }
  return false;
}
