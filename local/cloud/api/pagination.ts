// MaxResults / NextToken paging over a listing in creation order. The token names the last item
// returned, not an offset, so items added or deleted between pages shift nothing.
import { invalidParameterValue } from "../wire/errors.js";
import type { QueryParams } from "../wire/query-params.js";

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export function paginate<T>(
  items: readonly T[],
  /** A unique key that sorts in creation order. */
  keyOf: (item: T) => string,
  params: QueryParams,
  maxResultsRange: { min: number; max: number },
): Page<T> {
  const maxResults = params.integer("MaxResults", maxResultsRange);
  const token = params.optional("NextToken");
  const after = token ? keyFromToken(token) : undefined;
  const sorted = items
    .map((item) => ({ item, key: keyOf(item) }))
    .filter(({ key }) => after === undefined || key > after)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (maxResults === undefined || sorted.length <= maxResults) {
    return { items: sorted.map(({ item }) => item) };
  }
  const page = sorted.slice(0, maxResults);
  const last = page.at(-1);
  return {
    items: page.map(({ item }) => item),
    nextToken: last && Buffer.from(last.key, "utf8").toString("base64url"),
  };
}

function keyFromToken(token: string): string {
  const key = Buffer.from(token, "base64url").toString("utf8");
  if (!key || Buffer.from(key, "utf8").toString("base64url") !== token) {
    throw invalidParameterValue(
      `The NextToken '${token}' is not valid; pass the nextToken from the previous page unchanged.`,
    );
  }
  return key;
}
