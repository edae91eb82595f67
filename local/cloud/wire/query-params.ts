// Reads EC2 Query parameters as clients flatten them: scalars, `Name.N` lists and `Name.N.Member`
// groups (filters, tags, tag specifications), each numbered from 1 and read in numeric order.
import { invalidParameterValue, missingParameter } from "./errors.js";

export class QueryParams {
  private constructor(
    private readonly values: ReadonlyMap<string, string>,
    // The prefix of a group ("Filter.2.") so that messages name the parameter as it was sent.
    private readonly path = "",
  ) {}

  static from(...sources: readonly URLSearchParams[]): QueryParams {
    const values = new Map<string, string>();
    for (const source of sources) {
      for (const [name, value] of source) values.set(name, value);
    }
    return new QueryParams(values);
  }

  optional(name: string): string | undefined {
    return this.values.get(name);
  }

  required(name: string): string {
    const value = this.values.get(name);
    if (value === undefined || value === "") throw missingParameter(this.path + name);
    return value;
  }

  integer(name: string, range: { min: number; max: number }): number | undefined {
    const text = this.values.get(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || value < range.min || value > range.max) {
      throw invalidParameterValue(
        `Value (${text}) for parameter ${this.path}${name} is invalid: expected an integer from ${range.min} to ${range.max}.`,
      );
    }
    return value;
  }

  boolean(name: string): boolean {
    return this.values.get(name)?.toLowerCase() === "true";
  }

  /** `Name.1`, `Name.2`, … */
  list(name: string): string[] {
    const pattern = new RegExp(`^${escapeRegExp(name)}\\.(\\d+)$`);
    const numbered: [number, string][] = [];
    for (const [key, value] of this.values) {
      const match = pattern.exec(key);
      if (match?.[1] !== undefined) numbered.push([Number(match[1]), value]);
    }
    return numbered.sort(([a], [b]) => a - b).map(([, value]) => value);
  }

  /** `Name.N.*` as one QueryParams per N, so `Filter.2.Value.1` is `groups("Filter")[1].list("Value")`. */
  groups(name: string): QueryParams[] {
    const pattern = new RegExp(`^${escapeRegExp(name)}\\.(\\d+)\\.(.+)$`);
    const byIndex = new Map<number, Map<string, string>>();
    for (const [key, value] of this.values) {
      const match = pattern.exec(key);
      if (match?.[1] === undefined || match[2] === undefined) continue;
      const index = Number(match[1]);
      const members = byIndex.get(index) ?? new Map<string, string>();
      members.set(match[2], value);
      byIndex.set(index, members);
    }
    return [...byIndex.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, members]) => new QueryParams(members, `${this.path}${name}.${index}.`));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
