// Tags as EC2 takes them: `TagSpecification.N` on create calls, `Tag.N` on CreateTags, with EC2's
// limits (50 per resource, 128-character keys, 256-character values, no `aws:` keys).
import { WireError } from "../../wire-error.js";
import type { Tag } from "../model.js";
import { invalidParameterValue, missingParameter } from "../wire/errors.js";
import type { QueryParams } from "../wire/query-params.js";

const MAX_TAGS_PER_RESOURCE = 50;

export function tagsFromSpecifications(
  params: QueryParams,
  resourceType: "snapshot" | "volume",
): Tag[] {
  const tags: Tag[] = [];
  for (const specification of params.groups("TagSpecification")) {
    const type = specification.required("ResourceType");
    if (type !== resourceType) {
      throw invalidParameterValue(
        `'${type}' is not a valid taggable resource type for this operation; use '${resourceType}'.`,
      );
    }
    tags.push(...readTags(specification));
  }
  return withTags([], tags);
}

export function tagsFromCreateTags(params: QueryParams): Tag[] {
  const tags = readTags(params);
  if (tags.length === 0) throw missingParameter("Tag.1.Key");
  return tags;
}

/** The existing tags with the new ones set (a key already present takes the new value). */
export function withTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(existing.map((tag) => [tag.key, tag.value]));
  for (const tag of added) byKey.set(tag.key, tag.value);
  if (byKey.size > MAX_TAGS_PER_RESOURCE) {
    throw new WireError(
      "TagLimitExceeded",
      `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags; this request would give it ${byKey.size}.`,
    );
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

function readTags(params: QueryParams): Tag[] {
  return params.groups("Tag").map((tag) => {
    const key = tag.required("Key");
    const value = tag.optional("Value") ?? "";
    if (key.length > 128)
      throw invalidParameterValue(`Tag key '${key}' is longer than 128 characters.`);
    if (value.length > 256) {
      throw invalidParameterValue(`The value of tag '${key}' is longer than 256 characters.`);
    }
    if (key.toLowerCase().startsWith("aws:")) {
      throw invalidParameterValue(
        `Tag keys starting with 'aws:' are reserved for AWS use: '${key}'.`,
      );
    }
    return { key, value };
  });
}
