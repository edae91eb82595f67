// Every Lambda function of snaprelay, declared once: its key (serverless.yml's function key and
// the ASL's `Fn::GetAtt`), its entry file, the name its logs use and the ASL states that invoke
// it, and how the state machine retries it. The build bundles these entries, the state machine's
// build checks its Task states against them, the in-process workflow harness maps its handlers
// from them, and a test holds serverless.yml's functions to exactly this list.
import type { RetryPolicyName } from "./core/retry-policies.js";

export type EntryKind = "api" | "step" | "schedule" | "events";

interface FunctionSpec {
  /** The source file, from the project's root; the build writes dist/<path under functions/>.js. */
  readonly entry: string;
  readonly kind: EntryKind;
  /** The name the function's log lines carry and, unless `states` says otherwise, its ASL state. */
  readonly name: string;
  /** The ASL states that invoke the function, when it is not one state of its own name. */
  readonly states?: readonly string[];
  /** The retry policy every Task state invoking the function lists first. */
  readonly retry?: Extract<RetryPolicyName, "LambdaTransient" | "CallbackTransient">;
}

export const FUNCTIONS = {
  api: { entry: "functions/api/handler.ts", kind: "api", name: "Api" },
  authorizer: { entry: "functions/api/authorizer.ts", kind: "api", name: "Authorizer" },
  validate: {
    entry: "functions/steps/validate.ts",
    kind: "step",
    name: "Validate",
    retry: "LambdaTransient",
  },
  acquireSlot: {
    entry: "functions/steps/acquire-slot.ts",
    kind: "step",
    name: "AcquireSlot",
    retry: "LambdaTransient",
  },
  waitForSlot: {
    entry: "functions/steps/wait-for-slot.ts",
    kind: "step",
    name: "WaitForSlot",
    retry: "CallbackTransient",
  },
  startCopy: {
    entry: "functions/steps/start-copy.ts",
    kind: "step",
    name: "StartCopy",
    retry: "LambdaTransient",
  },
  awaitCopy: {
    entry: "functions/steps/await-copy.ts",
    kind: "step",
    name: "AwaitCopy",
    retry: "CallbackTransient",
  },
  pollCopy: {
    entry: "functions/steps/poll-copy.ts",
    kind: "step",
    name: "PollCopy",
    retry: "LambdaTransient",
  },
  finalize: {
    entry: "functions/steps/finalize.ts",
    kind: "step",
    name: "Finalize",
    states: ["FinalizeCopy", "FinalizeJob"],
    retry: "LambdaTransient",
  },
  recordFailure: {
    entry: "functions/steps/record-failure.ts",
    kind: "step",
    name: "RecordFailure",
    states: ["RecordCopyFailure", "RecordJobFailure"],
    retry: "LambdaTransient",
  },
  applyRetention: {
    entry: "functions/steps/apply-retention.ts",
    kind: "step",
    name: "ApplyRetention",
    retry: "LambdaTransient",
  },
  copyEvents: { entry: "functions/events/copy-events.ts", kind: "events", name: "CopyEvents" },
  scheduler: { entry: "functions/schedule/scheduler.ts", kind: "schedule", name: "Scheduler" },
  sweeper: { entry: "functions/schedule/sweeper.ts", kind: "schedule", name: "Sweeper" },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionKey = keyof typeof FUNCTIONS;

/** The functions the state machine invokes. */
export type StepKey = {
  [Key in FunctionKey]: (typeof FUNCTIONS)[Key]["kind"] extends "step" ? Key : never;
}[FunctionKey];

export const FUNCTION_KEYS = Object.keys(FUNCTIONS) as FunctionKey[];

export const functionSpec = (key: FunctionKey): FunctionSpec => FUNCTIONS[key];

export const isFunctionKey = (key: unknown): key is FunctionKey =>
  typeof key === "string" && Object.hasOwn(FUNCTIONS, key);

/** The ASL states that invoke a function. */
export const statesOf = (key: FunctionKey): readonly string[] => {
  const spec = functionSpec(key);
  return spec.states ?? [spec.name];
};

/** The handler path serverless.yml gives a function: its bundle under dist/, export `handler`. */
export const handlerPathOf = (key: FunctionKey): string =>
  `dist/${functionSpec(key)
    .entry.replace(/^functions\//, "")
    .replace(/\.ts$/, "")}.handler`;
