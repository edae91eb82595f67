// EC2 `Filter.N.Name` / `Filter.N.Value.M` matching: filters combine with AND, a filter's values
// with OR, and values take EC2's wildcards (`*` any run, `?` one character, `\` escapes).
import type { Tag } from "../model.js";
import { invalidParameterValue } from "../wire/errors.js";
import type { QueryParams } from "../wire/query-params.js";

/** For each filter name a resource supports, the values it has for that name. */
export type FilterFields<T> = Record<string, (item: T) => readonly string[]>;

export function matcherFromFilters<T extends { tags: Tag[] }>(
  params: QueryParams,
  fields: FilterFields<T>,
): (item: T) => boolean {
  const tests = params.groups("Filter").map((filter) => {
    const name = filter.required("Name");
    const patterns = filter.list("Value").map(wildcardPattern);
    if (patterns.length === 0) {
      throw invalidParameterValue(`The filter '${name}' needs at least one Value.`);
    }
    const valuesOf = fieldFor(name, fields);
    return (item: T) => valuesOf(item).some((value) => patterns.some((p) => p.test(value)));
  });
  return (item) => tests.every((test) => test(item));
}

function fieldFor<T extends { tags: Tag[] }>(
  name: string,
  fields: FilterFields<T>,
): (item: T) => readonly string[] {
  if (name.startsWith("tag:")) {
    const key = name.slice("tag:".length);
    return (item) => item.tags.filter((tag) => tag.key === key).map((tag) => tag.value);
  }
  if (name === "tag-key") return (item) => item.tags.map((tag) => tag.key);
  const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (!field) {
    const known = [...Object.keys(fields), "tag:<key>", "tag-key"].join(", ");
    throw invalidParameterValue(`The filter '${name}' is invalid; this call supports ${known}.`);
  }
  return field;
}

function wildcardPattern(value: string): RegExp {
  let source = "";
  for (let i = 0; i < value.length; i++) {
    const char = value.charAt(i);
    if (char === "\\" && i + 1 < value.length) source += escapeRegExp(value.charAt(++i));
    else if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, "s");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
