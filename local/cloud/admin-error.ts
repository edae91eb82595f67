// Errors of the local admin tool (not part of the EC2 API): a code, a message saying what to do, and
// the HTTP status the /_admin routes answer with.
import { WireError } from "../wire-error.js";

export const adminNotFound = (what: string) =>
  new WireError("NotFound", `${what} does not exist.`, 404);
