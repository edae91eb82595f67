// Evaluates ASL reference paths ($.a.b, $['a'][0], $$.Execution.Input) outside the interpreter:
// enough to report a Map's item count and a Task's TimeoutSecondsPath in the history.

import { isJsonObject, type JsonValue } from "./json.js";

const SEGMENT = /^(?:\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

/** The value at `path`, or undefined when the path is unsupported or points nowhere. */
export function readReferencePath(
  path: string,
  input: JsonValue,
  context: JsonValue,
): JsonValue | undefined {
  let rest: string;
  let current: JsonValue | undefined;
  if (path.startsWith("$$")) {
    current = context;
    rest = path.slice(2);
  } else if (path.startsWith("$")) {
    current = input;
    rest = path.slice(1);
  } else {
    return undefined;
  }
  while (rest.length > 0 && current !== undefined) {
    const match = SEGMENT.exec(rest);
    if (match === null) return undefined;
    const [whole, dotted, index, single, double] = match;
    const key = dotted ?? single ?? double;
    current = key !== undefined ? member(current, key) : element(current, Number(index));
    rest = rest.slice(whole.length);
  }
  return current;
}

function member(value: JsonValue, key: string): JsonValue | undefined {
  return isJsonObject(value) ? value[key] : undefined;
}

function element(value: JsonValue, index: number): JsonValue | undefined {
  return Array.isArray(value) ? value[index] : undefined;
}
