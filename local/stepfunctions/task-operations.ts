// The callback operations: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat, which answer
// the callback Tasks (.waitForTaskToken) by the task token each attempt was given.

import { type JsonObject, tryParseJson } from "./json.js";
import { checkPayloadMember } from "./payload-quota.js";
import { checkLength, optionalString, requiredString } from "./request-fields.js";
import type { Operation } from "./service-context.js";
import { invalidOutput } from "./service-errors.js";

export const sendTaskSuccess: Operation = (body, { taskTokens }) => {
  const taskToken = requireTaskToken(body);
  const output = requiredString(body, "output");
  checkPayloadMember("output", output);
  const parsed = tryParseJson(output);
  if (parsed === undefined) throw invalidOutput("the output is not JSON");
  taskTokens.answer(taskToken, { kind: "success", output: parsed });
  return {};
};

export const sendTaskFailure: Operation = (body, { taskTokens }) => {
  const taskToken = requireTaskToken(body);
  const error = optionalString(body, "error");
  const cause = optionalString(body, "cause");
  checkLength("error", error, 0, 256);
  checkLength("cause", cause, 0, 32768);
  taskTokens.answer(taskToken, { kind: "failure", error, cause });
  return {};
};

export const sendTaskHeartbeat: Operation = (body, { taskTokens }) => {
  taskTokens.heartbeat(requireTaskToken(body));
  return {};
};

function requireTaskToken(body: JsonObject): string {
  const token = requiredString(body, "taskToken");
  checkLength("taskToken", token, 1, 2048);
  return token;
}
