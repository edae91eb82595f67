// The replication state machine: its source (statemachine/replication.asl.json, whose Retry lists
// name retry policies), the expanded ASL the build writes (dist/statemachine/replication.asl.json),
// and the loader that resolves its Lambda references. The ASL keeps
// `{"Fn::GetAtt": ["<function>", "Arn"]}` so serverless-step-functions can wire it in AWS; the
// local stack and the tests resolve the same references to ARNs of their own.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { expandDefinition } from "./expand.js";

export const SOURCE_PATH = new URL("./replication.asl.json", import.meta.url);
/** The expanded ASL: what serverless.yml deploys, `npm start` runs and the tests load. */
export const BUILT_PATH = new URL("../dist/statemachine/replication.asl.json", import.meta.url);

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

/** The source expanded afresh (the build writes this; a test holds the built file to it). */
export const expandSource = (): Record<string, unknown> =>
  expandDefinition(JSON.parse(readFileSync(SOURCE_PATH, "utf8")));

/** Writes the expanded ASL where serverless.yml and the loader read it. */
export const writeBuiltDefinition = (): void => {
  const path = fileURLToPath(BUILT_PATH);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(expandSource(), null, 2)}\n`);
};

/** The built ASL, with its Lambda references still `Fn::GetAtt`. */
export const loadBuiltDefinition = (): Record<string, unknown> => {
  if (!existsSync(BUILT_PATH)) {
    throw new Error(
      `${fileURLToPath(BUILT_PATH)} is missing: run \`npm run build\`, which expands statemachine/replication.asl.json into it`,
    );
  }
  return JSON.parse(readFileSync(BUILT_PATH, "utf8")) as Record<string, unknown>;
};

/** The built definition with every Lambda reference turned into the ARN `arnOf` gives. */
export const loadDefinition = (arnOf: FunctionArnOf): Record<string, unknown> =>
  resolve(loadBuiltDefinition(), arnOf) as Record<string, unknown>;

/** The function ARNs serverless gives `service-stage-function` in one region and account. */
export const lambdaArnOf =
  (service: string, stage: string, region: string, accountId: string): FunctionArnOf =>
  (functionKey) =>
    `arn:aws:lambda:${region}:${accountId}:function:${service}-${stage}-${functionKey}`;
