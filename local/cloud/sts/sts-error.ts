// Errors of the local STS: the code and HTTP status AWS STS answers with (AccessDenied 403,
// ValidationError 400, …) and a message; the endpoint renders them as awsQuery's ErrorResponse.

export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export const accessDenied = (message: string) => new StsError("AccessDenied", message, 403);

/** AWS's wording for a parameter that breaks its constraint (`rule` follows "Member must"). */
export function validationError(field: string, value: string | undefined, rule: string): StsError {
  const shown = value === undefined ? "null" : `'${value}'`;
  return new StsError(
    "ValidationError",
    `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: Member must ${rule}`,
  );
}
