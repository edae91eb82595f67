// Loads the replication state machine and resolves its Lambda references. The file keeps
// `{"Fn::GetAtt": ["<function>", "Arn"]}` so serverless-step-functions can wire it in AWS; the
// local stack and the tests resolve the same references to ARNs of their own.
import { readFileSync } from "node:fs";

export const DEFINITION_PATH = new URL("./replication.asl.json", import.meta.url);

export type FunctionArnOf = (functionKey: string) => string;

const isGetAtt = (value: unknown): value is { "Fn::GetAtt": [string, string] } =>
  typeof value === "object" &&
  value !== null &&
  "Fn::GetAtt" in value &&
  Array.isArray(value["Fn::GetAtt"]) &&
  value["Fn::GetAtt"][1] === "Arn";

const resolve = (node: unknown, arnOf: FunctionArnOf): unknown => {
  if (isGetAtt(node)) return arnOf(node["Fn::GetAtt"][0]);
  if (Array.isArray(node)) return node.map((item) => resolve(item, arnOf));
  if (typeof node === "object" && node !== null) {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, resolve(value, arnOf)]),
    );
  }
  return node;
};

/** The definition with every Lambda reference turned into the ARN `arnOf` gives. */
export const loadDefinition = (arnOf: FunctionArnOf): Record<string, unknown> =>
  resolve(JSON.parse(readFileSync(DEFINITION_PATH, "utf8")), arnOf) as Record<string, unknown>;

/** The function ARNs serverless gives `service-stage-function` in one region and account. */
export const lambdaArnOf =
  (service: string, stage: string, region: string, accountId: string): FunctionArnOf =>
  (functionKey) =>
    `arn:aws:lambda:${region}:${accountId}:function:${service}-${stage}-${functionKey}`;
