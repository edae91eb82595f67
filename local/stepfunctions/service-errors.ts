// Named Step Functions API errors, sent as HTTP 400 {"__type","message"} like the real service.
// Messages follow the wording of the service (as seen through moto) so logs read the same.

export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export const stateMachineDoesNotExist = (arn: string) =>
  new ServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);

export const stateMachineAlreadyExists = (arn: string) =>
  new ServiceError("StateMachineAlreadyExists", `State Machine Already Exists: '${arn}'`);

export const executionDoesNotExist = (arn: string) =>
  new ServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);

export const executionAlreadyExists = (arn: string) =>
  new ServiceError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);

export const invalidArn = (kind: "State Machine" | "Execution", arn: string) =>
  new ServiceError("InvalidArn", `Invalid ${kind} Arn: '${arn}'`);

export const invalidName = (name: string) =>
  new ServiceError("InvalidName", `Invalid Name: '${name}'`);

export const invalidDefinition = (detail: string) =>
  new ServiceError("InvalidDefinition", `Invalid State Machine Definition: '${detail}'`);

export const invalidExecutionInput = (detail: string) =>
  new ServiceError("InvalidExecutionInput", `Invalid execution input: ${detail}`);

export const invalidToken = (token: string) =>
  new ServiceError("InvalidToken", `Invalid Token: '${token}'`);

// The callback operations' errors. TaskTimedOut's wording is AWS's, for a task that timed out,
// was answered already or whose execution ended; TaskDoesNotExist's is ours.
export const taskTimedOut = () =>
  new ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");

export const taskDoesNotExist = () =>
  new ServiceError("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'");

export const invalidOutput = (detail: string) =>
  new ServiceError("InvalidOutput", `Invalid Output: '${detail}'`);

export const validationError = (message: string) =>
  new ServiceError("ValidationException", message);

export const serializationError = (message: string) =>
  new ServiceError("SerializationException", message);
