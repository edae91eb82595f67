// The replication state machine as Step Functions will read it: valid ASL, every Lambda task
// retried on Lambda's own errors with jitter, every failure caught, the wait computed.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { LAMBDA_SERVICE_ERRORS } from "../../functions/core/retry-policies.js";
import {
  expandSource,
  lambdaArnOf,
  loadBuiltDefinition,
  loadDefinition,
  SOURCE_PATH,
} from "../../statemachine/definition.js";
import { DefinitionError, expandDefinition } from "../../statemachine/expand.js";
import { stepStates } from "../../statemachine/functions.js";

// asl-validator is CommonJS without type declarations; load it through require with the
// one signature used here, rather than declaring the module for the whole project.
type AslValidator = (definition: unknown) => {
  isValid: boolean;
  errors: Array<{ "Error code": string; Message: string }>;
};
const aslValidator = createRequire(import.meta.url)("asl-validator") as AslValidator;

const FAILURE_RECORDERS = ["RecordCopyFailure", "RecordJobFailure"];

const Retrier = z.looseObject({
  ErrorEquals: z.array(z.string()),
  JitterStrategy: z.string().optional(),
  IntervalSeconds: z.number().optional(),
  MaxAttempts: z.number().optional(),
  BackoffRate: z.number().optional(),
  MaxDelaySeconds: z.number().optional(),
});
const State = z.looseObject({
  Type: z.string(),
  Resource: z.unknown().optional(),
  Retry: z.array(Retrier).optional(),
  Catch: z.array(z.looseObject({ ErrorEquals: z.array(z.string()), Next: z.string() })).optional(),
  Seconds: z.unknown().optional(),
  SecondsPath: z.string().optional(),
  Parameters: z.looseObject({ FunctionName: z.unknown().optional() }).optional(),
  ItemProcessor: z.looseObject({ States: z.record(z.string(), z.unknown()) }).optional(),
});
type State = z.infer<typeof State>;
const Machine = z.looseObject({ StartAt: z.string(), States: z.record(z.string(), z.unknown()) });

/** Every state, the Map's inner ones included, by name. */
const statesOf = (states: Record<string, unknown>): Array<[string, State]> =>
  Object.entries(states).flatMap(([name, raw]) => {
    const state = State.parse(raw);
    const inner = state.ItemProcessor ? statesOf(state.ItemProcessor.States) : [];
    return [[name, state] as [string, State], ...inner];
  });

const arnOf = lambdaArnOf("snaprelay", "test", "ap-shanghai", "111122223333");
const machine = Machine.parse(loadDefinition(arnOf));
const states = statesOf(machine.States);
const tasks = states.filter(([, state]) => state.Type === "Task");
/** Tasks that wait for a callback (a task token) after invoking their Lambda. */
const isCallback = (state: State) => String(state.Resource).endsWith(".waitForTaskToken");
const lambdaTasks = tasks.filter(([, state]) => !isCallback(state));
const callbackTasks = tasks.filter(([, state]) => isCallback(state));

describe("the replication state machine", () => {
  it("passes asl-validator once its Lambda references are resolved", () => {
    // Act: the validator annotates what it is given, so it gets a definition of its own
    const result = aslValidator(loadDefinition(arnOf));

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it("resolves every Lambda reference to the function's ARN", () => {
    // Act
    const resources = [
      ...lambdaTasks.map(([, state]) => state.Resource),
      ...callbackTasks.map(([, state]) => state.Parameters?.FunctionName),
    ];

    // Assess
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) {
      expect(resource).toMatch(
        /^arn:aws:lambda:ap-shanghai:111122223333:function:snaprelay-test-[A-Za-z]+$/,
      );
    }
  });

  it("refers only to functions serverless.yml declares", () => {
    // Prepare
    const referenced = new Set<string>();
    loadDefinition((functionKey) => {
      referenced.add(functionKey);
      return arnOf(functionKey);
    });
    const serverless = z
      .looseObject({ functions: z.record(z.string(), z.unknown()) })
      .parse(parse(readFileSync(new URL("../../serverless.yml", import.meta.url), "utf8")));

    // Act
    const undeclared = [...referenced].filter((key) => !(key in serverless.functions));

    // Assess
    expect([...referenced].sort()).toEqual([...stepStates().keys()].sort());
    expect(undeclared).toEqual([]);
  });

  it.each(tasks)("retries Lambda's four service errors in %s, with full jitter", (_name, task) => {
    // Act
    const retrier = task.Retry?.find((r) => r.ErrorEquals.includes("Lambda.ServiceException"));

    // Assess
    expect(retrier?.ErrorEquals).toEqual(expect.arrayContaining(LAMBDA_SERVICE_ERRORS));
    expect(retrier?.JitterStrategy).toBe("FULL");
  });

  it("uses full jitter in every retrier but the one that waits out a claim", () => {
    // Act
    const withoutJitter = states.flatMap(([name, state]) =>
      (state.Retry ?? [])
        .filter((retrier) => retrier.JitterStrategy !== "FULL")
        .map((retrier) => `${name}: ${retrier.ErrorEquals.join(",")}`),
    );

    // Assess
    expect(withoutJitter).toEqual(["StartCopy: CopyStartInProgress"]);
  });

  it("retries a timed-out or failing Lambda in every Lambda Task with one and the same retrier", () => {
    // Act
    const retriers = lambdaTasks.map(([, task]) =>
      task.Retry?.find((retrier) => retrier.ErrorEquals.includes("Sandbox.Timedout")),
    );

    // Assess
    expect(retriers.every((retrier) => retrier !== undefined)).toBe(true);
    expect(new Set(retriers.map((retrier) => JSON.stringify(retrier))).size).toBe(1);
    expect(retriers[0]?.ErrorEquals).toEqual([
      ...LAMBDA_SERVICE_ERRORS,
      "States.Timeout",
      "Sandbox.Timedout",
      "SlotsBusy",
      "ServiceBusy",
    ]);
  });

  it("keeps retrying a timed-out step for over 20 minutes, so a busy machine never fails a job", () => {
    // Prepare
    const retrier = tasks[0]?.[1].Retry?.find((r) => r.ErrorEquals.includes("Sandbox.Timedout"));

    // Act: the longest each wait may be (full jitter waits a random share of it)
    const waits = Array.from({ length: retrier?.MaxAttempts ?? 0 }, (_, attempt) =>
      Math.min(
        (retrier?.IntervalSeconds ?? 1) * (retrier?.BackoffRate ?? 2) ** attempt,
        retrier?.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
      ),
    );

    // Assess
    expect(waits.reduce((total, wait) => total + wait, 0)).toBeGreaterThan(20 * 60);
  });

  it("keeps retrying a held claim for longer than the claim's lease of 120 s", () => {
    // Prepare
    const startCopy = states.find(([name]) => name === "StartCopy")?.[1];
    const retrier = startCopy?.Retry?.find((r) => r.ErrorEquals.includes("CopyStartInProgress"));

    // Act
    const waits = Array.from(
      { length: retrier?.MaxAttempts ?? 0 },
      (_, attempt) => (retrier?.IntervalSeconds ?? 0) * (retrier?.BackoffRate ?? 1) ** attempt,
    );

    // Assess
    expect(waits.reduce((total, wait) => total + wait, 0)).toBeGreaterThan(120);
  });

  it.each(tasks.filter(([name]) => !FAILURE_RECORDERS.includes(name) && name !== "ApplyRetention"))(
    "catches every error in %s",
    (_name, task) => {
      // Act
      const catchAll = task.Catch?.find((c) => c.ErrorEquals.includes("States.ALL"));

      // Assess
      expect(catchAll?.Next).toMatch(/^Record(Copy|Job)Failure$/);
    },
  );

  it("lets a failed retention leave the job's outcome as its copies made it", () => {
    // Prepare
    const retention = states.find(([name]) => name === "ApplyRetention")?.[1];

    // Act
    const catchAll = retention?.Catch?.find((c) => c.ErrorEquals.includes("States.ALL"));

    // Assess
    expect(catchAll).toMatchObject({ Next: "DidAnyCopySucceed", ResultPath: "$.retentionError" });
    expect(retention?.Retry?.at(-1)?.ErrorEquals).toEqual(["States.ALL"]);
  });

  it("has failure recorders that catch nothing, so a failure cannot loop back into them", () => {
    // Act
    const recorders = tasks.filter(([name]) => FAILURE_RECORDERS.includes(name));

    // Assess
    expect(recorders.map(([name]) => name).sort()).toEqual(FAILURE_RECORDERS);
    for (const [, recorder] of recorders) expect(recorder.Catch).toBeUndefined();
  });

  it("catches every error of the copies' Map, to record the job's failure", () => {
    // Act
    const maps = states.filter(([, state]) => state.Type === "Map");

    // Assess
    expect(maps).toHaveLength(1);
    expect(maps[0]?.[1].Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ["States.ALL"], Next: "RecordJobFailure" }),
    ]);
  });

  it("waits for a copy's own end event, and polls once when the wait times out, as long as the last step computed", () => {
    // Act
    const wait = states.find(([name]) => name === "AwaitCopy")?.[1];
    const onTimeout = wait?.Catch?.find((c) => c.ErrorEquals.includes("States.Timeout"));

    // Assess
    expect(wait?.Resource).toBe("arn:aws:states:::lambda:invoke.waitForTaskToken");
    expect(wait?.TimeoutSecondsPath).toBe("$.copy.waitSeconds");
    expect(onTimeout?.Next).toBe("PollCopy");
    expect(states.find(([name]) => name === "IsCopyDone")?.[1].Default).toBe("AwaitCopy");
    expect(states.some(([, state]) => state.Type === "Wait" && state.SecondsPath)).toBe(false);
  });

  it("asks for a slot again when a wait in the queue times out, instead of failing the copy", () => {
    // Prepare
    const wait = states.find(([name]) => name === "WaitForSlot")?.[1];

    // Act
    const onTimeout = wait?.Catch?.find((c) => c.ErrorEquals.includes("States.Timeout"));
    const retriedTimeout = wait?.Retry?.some((r) => r.ErrorEquals.includes("States.Timeout"));

    // Assess
    expect(callbackTasks.map(([name]) => name)).toEqual(["WaitForSlot", "AwaitCopy"]);
    expect(onTimeout?.Next).toBe("AcquireSlot");
    expect(retriedTimeout).toBe(false);
    // How long to wait before asking again is AcquireSlot's choice, by place in the queue.
    expect(wait?.TimeoutSecondsPath).toBe("$.slot.waitSeconds");
  });

  it("sends a copy the cloud's own limit refuses back to the queue, not to a wait that keeps its slot", () => {
    // Prepare
    const startCopy = states.find(([name]) => name === "StartCopy")?.[1];

    // Act
    const onFull = startCopy?.Catch?.find((c) => c.ErrorEquals.includes("CopyCapacityExceeded"));
    const retried = startCopy?.Retry?.some((r) => r.ErrorEquals.includes("CopyCapacityExceeded"));

    // Assess
    expect(onFull?.Next).toBe("AcquireSlot");
    expect(retried).toBe(false);
    expect(states.map(([name]) => name)).not.toContain("WaitForCloudCapacity");
  });
});

describe("the function ARNs", () => {
  it("follow serverless's service-stage-function naming", () => {
    // Act
    const arn = lambdaArnOf("snaprelay", "dev", "us-east-1", "111122223333")("startCopy");

    // Assess
    expect(arn).toBe("arn:aws:lambda:us-east-1:111122223333:function:snaprelay-dev-startCopy");
  });
});

describe("the state machine's source", () => {
  const source = JSON.parse(readFileSync(SOURCE_PATH, "utf8")) as { States: unknown };
  /** A source of one Task state, for the expansion's refusals. */
  const oneTask = (state: Record<string, unknown>) => ({
    StartAt: "Only",
    States: { Only: { Type: "Task", End: true, ...state } },
  });

  it("is what the build expanded: the ASL that runs is the source of today", () => {
    // Act
    const built = loadBuiltDefinition();

    // Assess
    expect(built).toEqual(expandSource());
  });

  it("names its retry policies instead of pasting retriers", () => {
    // Prepare
    const SourceState = z.looseObject({
      Retry: z.array(z.string()).optional(),
      ItemProcessor: z.looseObject({ States: z.record(z.string(), z.unknown()) }).optional(),
    });
    const retriesOf = (states: Record<string, unknown>): string[][] =>
      Object.values(states).flatMap((raw) => {
        const state = SourceState.parse(raw);
        const inner = state.ItemProcessor ? retriesOf(state.ItemProcessor.States) : [];
        return [...(state.Retry ? [state.Retry] : []), ...inner];
      });

    // Act: each Retry parses as a list of names, or the test fails
    const retries = retriesOf(Machine.parse(source).States);

    // Assess
    expect(retries.length).toBe(tasks.length);
    expect(readFileSync(SOURCE_PATH, "utf8")).not.toContain("IntervalSeconds");
  });

  it("refuses a retry policy it does not know, naming the state and the policies", () => {
    // Act
    const expanding = () =>
      expandDefinition(
        oneTask({ Resource: "arn:aws:states:::sns:publish", Retry: ["LambdaTransent"] }),
      );

    // Assess
    expect(expanding).toThrow(DefinitionError);
    expect(expanding).toThrow(/Only: Retry names "LambdaTransent".*LambdaTransient, /);
  });

  it("refuses a Task whose step has no entry file, naming the file it looked for", () => {
    // Act
    const expanding = () =>
      expandDefinition(oneTask({ Resource: { "Fn::GetAtt": ["noSuchStep", "Arn"] } }));

    // Assess
    expect(expanding).toThrow(
      "Only invokes step noSuchStep, whose entry file functions/steps/no-such-step.ts is missing",
    );
  });

  it("refuses a Task that invokes a function that is not a step", () => {
    // Act
    const expanding = () =>
      expandDefinition(oneTask({ Resource: { "Fn::GetAtt": ["api", "Arn"] } }));

    // Assess
    expect(expanding).toThrow("Only invokes api, which is not a step");
  });

  it("refuses a Task not named after its step", () => {
    // Act
    const expanding = () =>
      expandDefinition(
        oneTask({ Resource: { "Fn::GetAtt": ["validate", "Arn"] }, Retry: ["LambdaTransient"] }),
      );

    // Assess
    expect(expanding).toThrow(
      "Only invokes step validate: name the state after the step (Validate",
    );
  });

  it.each([
    ["a Lambda task", { "Fn::GetAtt": ["validate", "Arn"] }, {}, "LambdaTransient"],
    [
      "a callback task",
      "arn:aws:states:::lambda:invoke.waitForTaskToken",
      { FunctionName: { "Fn::GetAtt": ["validate", "Arn"] } },
      "CallbackTransient",
    ],
  ])(
    "refuses %s whose Retry does not start with its kind's policy",
    (_kind, resource, parameters, policy) => {
      // Prepare
      const validate = {
        StartAt: "Validate",
        States: {
          Validate: {
            Type: "Task",
            End: true,
            Resource: resource,
            Parameters: parameters,
            Retry: ["CloudThrottled"],
          },
        },
      };

      // Act
      const expanding = () => expandDefinition(validate);

      // Assess
      expect(expanding).toThrow(
        `Validate invokes step validate: its Retry must start with ${policy}`,
      );
    },
  );
});
