// ARNs of state machines and executions: building them and rejecting malformed ones (InvalidArn).
// Lookups then use the full ARN, so a well-formed ARN of another region is simply unknown.

import { invalidArn } from "./service-errors.js";

export interface ArnScope {
  region: string;
  accountId: string;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[-0-9a-zA-Z]+:[0-9]{12}:stateMachine:.+$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[-0-9a-zA-Z]+:[0-9]{12}:execution:[^:]+:.+$/;

export function stateMachineArn(scope: ArnScope, name: string): string {
  return `arn:aws:states:${scope.region}:${scope.accountId}:stateMachine:${name}`;
}

export function executionArn(scope: ArnScope, machineName: string, name: string): string {
  return `arn:aws:states:${scope.region}:${scope.accountId}:execution:${machineName}:${name}`;
}

export function requireStateMachineArn(arn: string): string {
  if (!STATE_MACHINE_ARN.test(arn)) throw invalidArn("State Machine", arn);
  return arn;
}

export function requireExecutionArn(arn: string): string {
  if (!EXECUTION_ARN.test(arn)) throw invalidArn("Execution", arn);
  return arn;
}
