// The Description parameter of CreateSnapshot and CopySnapshot, with EC2's 255-character limit.
import { invalidParameterValue } from "../wire/errors.js";
import type { QueryParams } from "../wire/query-params.js";

const MAX_DESCRIPTION_LENGTH = 255;

export function describedAs(params: QueryParams, fallback: string): string {
  const description = params.optional("Description") ?? fallback;
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalidParameterValue(
      `The description is ${description.length} characters long; at most ${MAX_DESCRIPTION_LENGTH} are allowed.`,
    );
  }
  return description;
}
