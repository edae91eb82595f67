// Name rules shared by state machines and executions (1–80 characters, no reserved characters).
// Breaking them is InvalidName, as on AWS; names end up inside ARNs, hence ':' and '/' are banned.

import { invalidName } from "./service-errors.js";

// Whitespace, brackets, wildcards, the special characters AWS lists, and control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
const FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

export function requireName(name: string): string {
  if (name.length < 1 || name.length > 80 || FORBIDDEN.test(name)) throw invalidName(name);
  return name;
}
