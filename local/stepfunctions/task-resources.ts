// Recognises the Task `Resource` forms run locally: a Lambda function ARN (any region or
// account), the optimised arn:aws:states:::lambda:invoke integration and its callback form
// arn:aws:states:::lambda:invoke.waitForTaskToken.

import type { JsonObject } from "./json.js";

export type TaskResource =
  | { kind: "lambda-function"; arn: string; functionName: string; qualifier: string | undefined }
  | { kind: "lambda-invoke"; arn: string }
  | { kind: "lambda-invoke-callback"; arn: string }
  | { kind: "unsupported"; arn: string };

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)(?::([^:]+))?$/;
const PARTIAL_FUNCTION_ARN = /^(?:\d{12}:function:)?([^:]+)(?::([^:]+))?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:lambda:invoke$/;
const LAMBDA_INVOKE_CALLBACK =
  /^arn:aws[a-z-]*:states:[^:]*:[^:]*:lambda:invoke\.waitForTaskToken$/;

export function classifyResource(arn: string): TaskResource {
  const fn = FUNCTION_ARN.exec(arn);
  if (fn?.[1] !== undefined) {
    return { kind: "lambda-function", arn, functionName: fn[1], qualifier: fn[2] };
  }
  if (LAMBDA_INVOKE.test(arn)) return { kind: "lambda-invoke", arn };
  if (LAMBDA_INVOKE_CALLBACK.test(arn)) return { kind: "lambda-invoke-callback", arn };
  return { kind: "unsupported", arn };
}

/** True for a Task that waits for a task token (its interpreter copy is rewritten for that). */
export function isCallbackTask(state: JsonObject): boolean {
  return (
    state.Type === "Task" &&
    typeof state.Resource === "string" &&
    classifyResource(state.Resource).kind === "lambda-invoke-callback"
  );
}

/**
 * The bare function name and qualifier of a FunctionName parameter (name, partial ARN or
 * ARN): the local Lambda endpoint knows functions by name only.
 */
export function parseFunctionName(
  nameOrArn: string,
): { name: string; qualifier: string | undefined } | undefined {
  const match = FUNCTION_ARN.exec(nameOrArn) ?? PARTIAL_FUNCTION_ARN.exec(nameOrArn);
  return match?.[1] === undefined ? undefined : { name: match[1], qualifier: match[2] };
}
