// Errors of the local admin tool (not part of the EC2 API): a code, a message saying what to do, and
// the HTTP status the /_admin routes answer with.

export class AdminError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = "AdminError";
  }
}

export const adminNotFound = (what: string) =>
  new AdminError("NotFound", `${what} does not exist.`, 404);
