// Named Step Functions API errors, sent as HTTP 400 {"__type","message"} like the real service.
// Messages follow the wording of the service (as seen through moto) so logs read the same.
import { WireError } from "../wire-error.js";

export const stateMachineDoesNotExist = (arn: string) =>
  new WireError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);

export const stateMachineAlreadyExists = (arn: string) =>
  new WireError("StateMachineAlreadyExists", `State Machine Already Exists: '${arn}'`);

export const executionDoesNotExist = (arn: string) =>
  new WireError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);

export const executionAlreadyExists = (arn: string) =>
  new WireError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);

export const invalidArn = (kind: "State Machine" | "Execution", arn: string) =>
  new WireError("InvalidArn", `Invalid ${kind} Arn: '${arn}'`);

export const invalidName = (name: string) =>
  new WireError("InvalidName", `Invalid Name: '${name}'`);

export const invalidDefinition = (detail: string) =>
  new WireError("InvalidDefinition", `Invalid State Machine Definition: '${detail}'`);

export const invalidExecutionInput = (detail: string) =>
  new WireError("InvalidExecutionInput", `Invalid execution input: ${detail}`);

export const invalidToken = (token: string) =>
  new WireError("InvalidToken", `Invalid Token: '${token}'`);

// The callback operations' errors. TaskTimedOut's wording is AWS's, for a task that timed out,
// was answered already or whose execution ended; TaskDoesNotExist's is ours.
export const taskTimedOut = () =>
  new WireError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");

export const taskDoesNotExist = () =>
  new WireError("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'");

export const invalidOutput = (detail: string) =>
  new WireError("InvalidOutput", `Invalid Output: '${detail}'`);

export const missingRequiredParameter = (message: string) =>
  new WireError("MissingRequiredParameter", message);

export const unknownOperation = (target: string) =>
  new WireError("UnknownOperationException", `Unknown operation: '${target}'`);

export const validationError = (message: string) => new WireError("ValidationException", message);

export const serializationError = (message: string) =>
  new WireError("SerializationException", message);
