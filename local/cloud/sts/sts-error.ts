// Errors of the local STS: the code and HTTP status AWS STS answers with (AccessDenied 403,
// ValidationError 400, …) and a message; the endpoint renders them as awsQuery's ErrorResponse.
import { WireError } from "../../wire-error.js";

export const accessDenied = (message: string) => new WireError("AccessDenied", message, 403);

/** AWS's wording for a parameter that breaks its constraint (`rule` follows "Member must"). */
export function validationError(field: string, value: string | undefined, rule: string): WireError {
  const shown = value === undefined ? "null" : `'${value}'`;
  return new WireError(
    "ValidationError",
    `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: Member must ${rule}`,
  );
}
