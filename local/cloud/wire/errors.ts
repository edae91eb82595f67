// EC2 error codes the local cloud answers with, each with the HTTP status EC2 uses and a message
// that tells the caller what to do; the server renders them as EC2's XML error document.

export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = "Ec2Error";
  }
}

export const missingParameter = (name: string) =>
  new Ec2Error("MissingParameter", `The request must contain the parameter ${name}.`);

export const invalidParameterValue = (message: string) =>
  new Ec2Error("InvalidParameterValue", message);

export function snapshotNotFound(snapshotIds: readonly string[], where = ""): Ec2Error {
  const suffix = where ? ` in ${where}` : "";
  const message =
    snapshotIds.length === 1
      ? `The snapshot '${snapshotIds[0]}' does not exist${suffix}.`
      : `The snapshots ${snapshotIds.map((id) => `'${id}'`).join(", ")} do not exist${suffix}.`;
  return new Ec2Error("InvalidSnapshot.NotFound", message);
}

export function volumeNotFound(volumeIds: readonly string[]): Ec2Error {
  const message =
    volumeIds.length === 1
      ? `The volume '${volumeIds[0]}' does not exist.`
      : `The volumes ${volumeIds.map((id) => `'${id}'`).join(", ")} do not exist.`;
  return new Ec2Error("InvalidVolume.NotFound", message);
}

export const incorrectState = (message: string) => new Ec2Error("IncorrectState", message);

export const requestLimitExceeded = () =>
  new Ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503);
