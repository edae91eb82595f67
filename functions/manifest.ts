// Every Lambda function of snaprelay and the names it goes by. A step is declared by the state
// machine's Task states that invoke it (`Fn::GetAtt: [<key>, Arn]` in statemachine/
// replication.asl.json); its entry file, its log name and its role follow from its key by the
// rules below, so one key names it everywhere: `waitForSlot` is functions/steps/wait-for-slot.ts,
// logs as WaitForSlot, runs as the WaitForSlot state, with WaitForSlotRole. The functions that
// are not steps are listed here. statemachine/functions.ts puts the two together for the build,
// the in-process workflow harness and the tests (which hold serverless.yml to the list).

export type EntryKind = "api" | "step" | "schedule" | "events";

export interface FunctionSpec {
  /** serverless.yml's function key, and the ASL's `Fn::GetAtt`. */
  readonly key: string;
  /** The source file, from the project's root; the build writes dist/<path under functions/>.js. */
  readonly entry: string;
  readonly kind: EntryKind;
  /** The name its log lines and its traces carry. */
  readonly name: string;
}

/** The functions run by API Gateway, EventBridge and the schedules. */
export const ENTRY_FUNCTIONS = {
  api: { key: "api", entry: "functions/api/handler.ts", kind: "api", name: "Api" },
  authorizer: {
    key: "authorizer",
    entry: "functions/api/authorizer.ts",
    kind: "api",
    name: "Authorizer",
  },
  copyEvents: {
    key: "copyEvents",
    entry: "functions/events/copy-events.ts",
    kind: "events",
    name: "CopyEvents",
  },
  executionEnded: {
    key: "executionEnded",
    entry: "functions/events/execution-ended.ts",
    kind: "events",
    name: "ExecutionEnded",
  },
  scheduler: {
    key: "scheduler",
    entry: "functions/schedule/scheduler.ts",
    kind: "schedule",
    name: "Scheduler",
  },
  policyRun: {
    key: "policyRun",
    entry: "functions/schedule/policy-run.ts",
    kind: "schedule",
    name: "PolicyRun",
  },
  sweeper: {
    key: "sweeper",
    entry: "functions/schedule/sweeper.ts",
    kind: "schedule",
    name: "Sweeper",
  },
} as const satisfies Record<string, FunctionSpec>;

const pascal = (key: string): string => `${key.charAt(0).toUpperCase()}${key.slice(1)}`;
const kebab = (key: string): string =>
  key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** A step function's log name: its key in PascalCase (`waitForSlot` logs as WaitForSlot). */
export const stepName = (key: string): string => pascal(key);

/** A step function's own state machine states are named after it: `Finalize`, `FinalizeJob`. */
export const isStateOfStep = (state: string, key: string): boolean =>
  (stepName(key).match(/[A-Z][a-z0-9]*/g) ?? []).every((word) => state.includes(word));

/** A step function's entry file: its key in kebab-case under functions/steps/. */
export const stepSpec = (key: string): FunctionSpec => ({
  key,
  entry: `functions/steps/${kebab(key)}.ts`,
  kind: "step",
  name: stepName(key),
});

/** The IAM role serverless.yml gives a function: its key in PascalCase, then `Role`. */
export const roleOf = (key: string): string => `${pascal(key)}Role`;

/** The handler path serverless.yml gives a function: its bundle under dist/, export `handler`. */
export const handlerPathOf = (spec: FunctionSpec): string =>
  `dist/${spec.entry.replace(/^functions\//, "").replace(/\.ts$/, "")}.handler`;
