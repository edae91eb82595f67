// EC2 error codes the local cloud answers with, each with the HTTP status EC2 uses and a message
// that tells the caller what to do; the server renders them as EC2's XML error document.
import { WireError } from "../../wire-error.js";

export const missingParameter = (name: string) =>
  new WireError("MissingParameter", `The request must contain the parameter ${name}.`);

export const invalidParameterValue = (message: string) =>
  new WireError("InvalidParameterValue", message);

export function snapshotNotFound(snapshotIds: readonly string[], where = ""): WireError {
  const suffix = where ? ` in ${where}` : "";
  const message =
    snapshotIds.length === 1
      ? `The snapshot '${snapshotIds[0]}' does not exist${suffix}.`
      : `The snapshots ${snapshotIds.map((id) => `'${id}'`).join(", ")} do not exist${suffix}.`;
  return new WireError("InvalidSnapshot.NotFound", message);
}

export function volumeNotFound(volumeIds: readonly string[]): WireError {
  const message =
    volumeIds.length === 1
      ? `The volume '${volumeIds[0]}' does not exist.`
      : `The volumes ${volumeIds.map((id) => `'${id}'`).join(", ")} do not exist.`;
  return new WireError("InvalidVolume.NotFound", message);
}

export const incorrectState = (message: string) => new WireError("IncorrectState", message);

export const requestLimitExceeded = () =>
  new WireError("RequestLimitExceeded", "Request limit exceeded.", 503);
