// A job's history as a person reads it: one entry per state passed through, with its times,
// retries and error (as a tenant may read it), each copy's states named by destination; and the
// same history a page at a time, each page one read of Step Functions' history.
import { describe, expect, it } from "vitest";
import { type HistoryEntry, readableHistory } from "../../functions/core/history-fold.js";
import {
  CAUSE_NOT_CARRIED,
  decodeHistoryToken,
  encodeHistoryToken,
  HISTORY_TOKEN_MAX_LENGTH,
  type HistoryCursor,
} from "../../functions/core/history-token.js";
import { historyPage } from "../../functions/core/job-history.js";
import type { ExecutionEvent } from "../../functions/core/ports.js";
import { CANCELLED_EXECUTION_ERROR } from "../../functions/core/tenant-cause.js";
import { ACCOUNT, aCopy, aJob, executionArnOf, RecordingWorkflow } from "./fakes.js";

const SERVICE_ACCOUNT = "999988887777";
const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, second)).toISOString();
const event = (
  id: number,
  previousEventId: number,
  second: number,
  type: string,
  fields: Partial<ExecutionEvent> = {},
): ExecutionEvent => ({ id, previousEventId, at: at(second), type, ...fields });
const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, "  at x"] });

const audience = { accountId: ACCOUNT, destinations: ["ap-mumbai", "ap-beijing"] };

/** Validate retried once, then two copies side by side; the execution stopped mid-copy. */
const stopped: ExecutionEvent[] = [
  event(1, 0, 0, "ExecutionStarted"),
  event(2, 1, 0, "TaskStateEntered", { stateName: "Validate" }),
  event(3, 2, 0, "LambdaFunctionScheduled"),
  event(4, 3, 1, "LambdaFunctionFailed", {
    error: "CloudThrottled",
    cause: lambdaCause("CloudThrottled", "EC2 throttled DescribeSnapshots."),
  }),
  event(5, 4, 3, "LambdaFunctionScheduled"),
  event(6, 5, 4, "LambdaFunctionSucceeded"),
  event(7, 6, 4, "TaskStateExited", { stateName: "Validate" }),
  event(8, 7, 4, "MapStateEntered", { stateName: "CopyToDestinations" }),
  event(9, 8, 4, "MapIterationStarted", { index: 0 }),
  event(10, 8, 4, "MapIterationStarted", { index: 1 }),
  event(11, 9, 5, "TaskStateEntered", { stateName: "StartCopy" }),
  event(12, 10, 5, "TaskStateEntered", { stateName: "StartCopy" }),
  event(13, 12, 6, "LambdaFunctionScheduled"),
  event(14, 11, 6, "LambdaFunctionScheduled"),
  event(15, 13, 7, "LambdaFunctionSucceeded"),
  event(16, 15, 7, "TaskStateExited", { stateName: "StartCopy" }),
  event(17, 14, 9, "LambdaFunctionFailed", {
    error: "CopyFailed",
    cause: lambdaCause("CopyFailed", "the source is gone"),
  }),
  event(18, 16, 9, "TaskStateEntered", { stateName: "AwaitCopy" }),
  event(19, 18, 20, "ExecutionAborted", {
    error: CANCELLED_EXECUTION_ERROR,
    cause: `Job job-1 was cancelled by account ${ACCOUNT}.`,
  }),
];

describe("a job's history", () => {
  const entries = readableHistory(stopped, audience);

  it("has one entry per state passed through, and the execution's own events, oldest first", () => {
    // Assess
    expect(entries.map((e) => `${e.state}:${e.event}`)).toEqual([
      "Execution:Started",
      "Validate:Succeeded",
      "CopyToDestinations:Interrupted",
      "StartCopy:Failed",
      "StartCopy:Succeeded",
      "AwaitCopy:Interrupted",
      "Execution:Aborted",
    ]);
  });

  it("says how long a state took and how often it was tried again", () => {
    // Assess
    expect(entries[1]).toMatchObject({
      state: "Validate",
      enteredAt: at(0),
      exitedAt: at(4),
      durationMs: 4000,
      retries: 1,
      error: null,
      destinationRegion: null,
    });
  });

  it("names the destination whose copy each state worked on, and the error a state ended with", () => {
    // Assess
    expect(entries[3]).toMatchObject({
      state: "StartCopy",
      destinationRegion: "ap-mumbai",
      event: "Failed",
      error: "CopyFailed",
      cause: "the source is gone",
    });
    expect(entries[4]).toMatchObject({ state: "StartCopy", destinationRegion: "ap-beijing" });
    expect(entries[6]).toMatchObject({
      error: "JobCancelled",
      cause: `Job job-1 was cancelled by account ${ACCOUNT}.`,
    });
  });

  it("shows a state still running as Running while the execution runs", () => {
    // Act
    const running = readableHistory(stopped.slice(0, -1), audience);

    // Assess
    expect(running.at(-1)).toMatchObject({ state: "AwaitCopy", event: "Running", exitedAt: null });
  });

  it("shows a tenant snaprelay's codes and messages, not Step Functions' raw errors", () => {
    // Prepare: Lambda's own failure, with the service's ARN, ends the execution.
    const raw = `Lambda.ServiceException: arn:aws:lambda:ap-shanghai:${SERVICE_ACCOUNT}:function:snaprelay-validate failed`;
    const failed = [
      event(1, 0, 0, "ExecutionStarted"),
      event(2, 1, 0, "TaskStateEntered", { stateName: "Validate" }),
      event(3, 2, 0, "LambdaFunctionScheduled"),
      event(4, 3, 1, "LambdaFunctionFailed", { error: "Lambda.ServiceException", cause: raw }),
      event(5, 4, 1, "TaskStateExited", { stateName: "Validate" }),
      event(6, 5, 1, "ExecutionFailed", { error: "Lambda.ServiceException", cause: raw }),
    ];

    // Act
    const shown = readableHistory(failed, audience);

    // Assess
    expect(shown[1]).toMatchObject({ state: "Validate", event: "Failed", error: "ServiceBusy" });
    expect(shown[2]).toMatchObject({ state: "Execution", event: "Failed", error: "ServiceBusy" });
    expect(JSON.stringify(shown)).not.toMatch(/Lambda\.|arn:|999988887777/);
  });
});

// ---- a history with a Map of three copies interleaved, as Step Functions threads it -------------

type Step = [type: string, fields?: Partial<ExecutionEvent>];

const ok: Step[] = [
  ["LambdaFunctionScheduled"],
  ["LambdaFunctionStarted"],
  ["LambdaFunctionSucceeded"],
];
const failing = (error: string, message: string): Step[] => [
  ["LambdaFunctionScheduled"],
  ["LambdaFunctionStarted"],
  ["LambdaFunctionFailed", { error, cause: lambdaCause(error, message) }],
];
const task = (stateName: string, ...attempts: Step[][]): Step[] => [
  ["TaskStateEntered", { stateName }],
  ...attempts.flat(),
  ["TaskStateExited", { stateName }],
];
const choice = (stateName: string): Step[] => [
  ["ChoiceStateEntered", { stateName }],
  ["ChoiceStateExited", { stateName }],
];
const callback = (stateName: string, end: Step): Step[] => [
  ["TaskStateEntered", { stateName }],
  ["TaskScheduled"],
  ["TaskStarted"],
  ["TaskSubmitted"],
  end,
  ["TaskStateExited", { stateName }],
];

/** The copies' iterations: one retried, one failed and caught, one whose wait ran out. */
const ITERATIONS: Step[][] = [
  [
    ...task("AcquireSlot", ok),
    ...choice("HasSlot"),
    ...task("StartCopy", failing("ServiceBusy", "DynamoDB is busy."), ok),
    ...callback("AwaitCopy", ["TaskSucceeded"]),
    ...task("FinalizeCopy", ok),
  ],
  [
    ...task("AcquireSlot", ok),
    ...choice("HasSlot"),
    ...task("StartCopy", failing("CopyFailed", "The source snapshot is gone.")),
    ...task("RecordCopyFailure", ok),
  ],
  [
    ...task(
      "AcquireSlot",
      failing(
        "Lambda.ServiceException",
        `arn:aws:lambda:ap-shanghai:${SERVICE_ACCOUNT}:function:acquire failed`,
      ),
      ok,
    ),
    ...choice("HasSlot"),
    ...task("StartCopy", ok),
    ...callback("AwaitCopy", ["TaskTimedOut", { error: "States.Timeout" }]),
    ...task("PollCopy", ok),
    ...choice("IsCopyDone"),
    ...task("FinalizeCopy", ok),
  ],
];

/** The whole execution, succeeded: Validate, the copies' Map (iterations taking turns), FinalizeJob. */
const copiesHistory = (): ExecutionEvent[] => {
  const events: ExecutionEvent[] = [];
  const emit = (previousEventId: number, [type, fields]: Step): number => {
    const id = events.length + 1;
    // Two events a second: several events share a timestamp, as on AWS.
    events.push({ id, previousEventId, at: at(Math.floor(id / 2)), type, ...fields });
    return id;
  };
  const run = (from: number, steps: Step[]) => steps.reduce(emit, from);
  let root = emit(0, ["ExecutionStarted"]);
  root = run(root, task("Validate", ok));
  root = run(root, choice("IsAccepted"));
  root = emit(root, ["MapStateEntered", { stateName: "CopyToDestinations" }]);
  const mapStarted = emit(root, ["MapStateStarted"]);
  const tips = ITERATIONS.map((_, index) => emit(mapStarted, ["MapIterationStarted", { index }]));
  const next = ITERATIONS.map(() => 0);
  let last = 0;
  while (next.some((step, index) => step < (ITERATIONS[index]?.length ?? 0))) {
    ITERATIONS.forEach((steps, index) => {
      const step = steps[next[index] ?? 0];
      if (!step) return;
      tips[index] = emit(tips[index] ?? 0, step);
      next[index] = (next[index] ?? 0) + 1;
      if (next[index] === steps.length) {
        last = emit(tips[index] ?? 0, ["MapIterationSucceeded", { index }]);
      }
    });
  }
  root = emit(last, ["MapStateSucceeded"]);
  root = emit(root, ["MapStateExited", { stateName: "CopyToDestinations" }]);
  root = run(root, task("FinalizeJob", ok));
  root = emit(root, ["SucceedStateEntered", { stateName: "Done" }]);
  root = emit(root, ["SucceedStateExited", { stateName: "Done" }]);
  emit(root, ["ExecutionSucceeded"]);
  return events;
};

const THREE = { accountId: ACCOUNT, destinations: ["ap-mumbai", "ap-beijing", "ap-chengdu"] };
const job = aJob({
  executionArn: executionArnOf("job-1"),
  copies: THREE.destinations.map((region) => aCopy(region)),
});

/** Every page from the first, as a caller reads them, with the reads of Step Functions each made. */
const readAllPages = async (
  workflow: RecordingWorkflow,
  limit: number,
  eventsPerRead: number,
): Promise<{ pages: HistoryEntry[][]; readsPerPage: number[] }> => {
  const pages: HistoryEntry[][] = [];
  const readsPerPage: number[] = [];
  let nextToken: string | undefined;
  do {
    const before = workflow.historyReads.length;
    const page = await historyPage(job, { limit, nextToken, eventsPerRead }, workflow);
    readsPerPage.push(workflow.historyReads.length - before);
    pages.push(page.entries);
    nextToken = page.nextToken;
    if (pages.length > 1000) throw new Error("the pages never end");
  } while (nextToken);
  return { pages, readsPerPage };
};

const inSomeOrder = (entries: HistoryEntry[]) =>
  entries.map((entry) => JSON.stringify(entry)).sort();

const workflowWith = (events: ExecutionEvent[]) => {
  const workflow = new RecordingWorkflow();
  workflow.histories.set(executionArnOf("job-1"), events);
  return workflow;
};

describe("a history with its copies side by side", () => {
  const events = copiesHistory();
  const entries = readableHistory(events, THREE);
  const of = (state: string, region: string | null) =>
    entries.filter((e) => e.state === state && e.destinationRegion === region);

  it("gives each copy's states to its destination, with the Map and the states after it outside", () => {
    // Assess
    expect(entries.at(0)).toMatchObject({ state: "Execution", event: "Started" });
    expect(entries.at(-1)).toMatchObject({ state: "Execution", event: "Succeeded" });
    expect(of("CopyToDestinations", null)).toEqual([
      expect.objectContaining({ event: "Succeeded", exitedAt: expect.any(String) }),
    ]);
    expect(of("FinalizeJob", null)).toEqual([expect.objectContaining({ event: "Succeeded" })]);
    expect(of("StartCopy", "ap-mumbai")).toEqual([
      expect.objectContaining({ event: "Succeeded", retries: 1, error: null }),
    ]);
    expect(of("StartCopy", "ap-beijing")).toEqual([
      expect.objectContaining({
        event: "Failed",
        error: "CopyFailed",
        cause: "The source snapshot is gone.",
      }),
    ]);
    expect(of("RecordCopyFailure", "ap-beijing")).toHaveLength(1);
    expect(of("AcquireSlot", "ap-chengdu")).toEqual([
      expect.objectContaining({ event: "Succeeded", retries: 1 }),
    ]);
    expect(of("AwaitCopy", "ap-chengdu")).toEqual([
      expect.objectContaining({ event: "Failed", error: "StepTimedOut" }),
    ]);
    expect(of("PollCopy", "ap-chengdu")).toHaveLength(1);
    expect(entries.every((e) => e.event !== "Running" && e.event !== "Interrupted")).toBe(true);
  });

  it.each([
    [1, 3],
    [2, 3],
    [1, 1],
    [3, 4],
    [5, 7],
    [100, 1000],
  ])(
    "read %i entries a page, %i events a read, gives every entry the whole read gives, once",
    async (limit, eventsPerRead) => {
      // Prepare
      const workflow = workflowWith(events);

      // Act
      const { pages, readsPerPage } = await readAllPages(workflow, limit, eventsPerRead);

      // Assess
      expect(inSomeOrder(pages.flat())).toEqual(inSomeOrder(entries));
      for (const page of pages) {
        expect(page.length).toBeLessThanOrEqual(limit);
        const times = page.map((entry) => entry.enteredAt);
        expect([...times].sort()).toEqual(times);
      }
      expect(Math.max(...readsPerPage)).toBe(1);
      expect(workflow.historyReads.every((read) => read.maxResults === eventsPerRead)).toBe(true);
    },
  );

  it("gives, at every moment of a running execution, what the whole read gives", async () => {
    for (let length = 1; length < events.length; length++) {
      // Prepare
      const sofar = events.slice(0, length);
      const whole = readableHistory(sofar, THREE);

      for (const [limit, eventsPerRead] of [
        [1, 3],
        [2, 3],
      ] as const) {
        // Act
        const { pages, readsPerPage } = await readAllPages(
          workflowWith(sofar),
          limit,
          eventsPerRead,
        );

        // Assess
        expect(inSomeOrder(pages.flat()), `${length} events`).toEqual(inSomeOrder(whole));
        expect(Math.max(...readsPerPage)).toBeLessThanOrEqual(1);
      }
    }
  });

  it("reads on from a token while the execution goes on, and ends with what it did meanwhile", async () => {
    // Prepare: the first pages are read while the copies run.
    const workflow = workflowWith(events.slice(0, 40));
    const first = await historyPage(job, { limit: 2, eventsPerRead: 5 }, workflow);
    const second = await historyPage(
      job,
      { limit: 2, eventsPerRead: 5, nextToken: first.nextToken },
      workflow,
    );
    workflow.histories.set(executionArnOf("job-1"), events);

    // Act
    const rest: HistoryEntry[] = [];
    let nextToken = second.nextToken;
    while (nextToken) {
      const page = await historyPage(job, { limit: 2, nextToken }, workflow);
      rest.push(...page.entries);
      nextToken = page.nextToken;
    }

    // Assess
    expect(inSomeOrder([...first.entries, ...second.entries, ...rest])).toEqual(
      inSomeOrder(entries),
    );
  });

  it("reads one page of Step Functions' history a call, of the size the first call chose", async () => {
    // Prepare
    const workflow = workflowWith(events);

    // Act
    const first = await historyPage(job, { limit: 2 }, workflow);
    await historyPage(job, { limit: 50, nextToken: first.nextToken }, workflow);

    // Assess
    expect(workflow.historyReads).toEqual([
      { executionArn: executionArnOf("job-1"), maxResults: 100 },
      expect.objectContaining({ executionArn: executionArnOf("job-1"), maxResults: 100 }),
    ]);
  });
});

describe("a history whose copies' Map failed", () => {
  /** A copy's failure recorder itself failed: the Map fails, its other copy is abandoned. */
  const mapFailed: ExecutionEvent[] = [
    event(1, 0, 0, "ExecutionStarted"),
    event(2, 1, 0, "MapStateEntered", { stateName: "CopyToDestinations" }),
    event(3, 2, 0, "MapStateStarted"),
    event(4, 3, 0, "MapIterationStarted", { index: 0 }),
    event(5, 3, 0, "MapIterationStarted", { index: 1 }),
    event(6, 4, 1, "TaskStateEntered", { stateName: "RecordCopyFailure" }),
    event(7, 5, 1, "TaskStateEntered", { stateName: "AwaitCopy" }),
    event(8, 6, 1, "LambdaFunctionScheduled"),
    event(9, 7, 1, "TaskScheduled"),
    event(10, 8, 2, "LambdaFunctionFailed", {
      error: "TypeError",
      cause: lambdaCause("TypeError", "Cannot read properties of undefined (reading 'code')"),
    }),
    event(11, 10, 2, "TaskStateExited", { stateName: "RecordCopyFailure" }),
    event(12, 11, 2, "MapIterationFailed", { index: 0 }),
    event(13, 9, 2, "MapIterationAborted", { index: 1 }),
    event(14, 13, 2, "MapStateFailed"),
    event(15, 14, 2, "MapStateExited", { stateName: "CopyToDestinations" }),
    event(16, 15, 3, "TaskStateEntered", { stateName: "RecordJobFailure" }),
    event(17, 16, 3, "LambdaFunctionScheduled"),
    event(18, 17, 4, "LambdaFunctionSucceeded"),
    event(19, 18, 4, "TaskStateExited", { stateName: "RecordJobFailure" }),
    event(20, 19, 4, "ExecutionFailed", {
      error: "TypeError",
      cause: lambdaCause("TypeError", "Cannot read properties of undefined (reading 'code')"),
    }),
  ];

  it("ends the abandoned copy's state with the Map, and the Map as failed", () => {
    // Act
    const entries = readableHistory(mapFailed, audience);

    // Assess
    expect(entries.map((e) => `${e.state}:${e.event}:${e.destinationRegion}:${e.error}`)).toEqual([
      "Execution:Started:null:null",
      "CopyToDestinations:Failed:null:InternalError",
      "RecordCopyFailure:Failed:ap-mumbai:InternalError",
      "AwaitCopy:Interrupted:ap-beijing:null",
      "RecordJobFailure:Succeeded:null:null",
      "Execution:Failed:null:InternalError",
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/TypeError|Cannot read/);
  });

  it.each([1, 2, 3])("gives the same entries read %i entries a page", async (limit) => {
    // Prepare
    const workflow = workflowWith(mapFailed);
    const failedJob = { ...job, copies: [aCopy("ap-mumbai"), aCopy("ap-beijing")] };

    // Act
    const pages: HistoryEntry[] = [];
    let nextToken: string | undefined;
    do {
      const page = await historyPage(failedJob, { limit, nextToken, eventsPerRead: 3 }, workflow);
      pages.push(...page.entries);
      nextToken = page.nextToken;
    } while (nextToken);

    // Assess
    expect(inSomeOrder(pages)).toEqual(inSomeOrder(readableHistory(mapFailed, audience)));
  });
});

describe("a page of history", () => {
  it("comes in pages that together hold every entry once", async () => {
    // Prepare
    const workflow = workflowWith(stopped);
    const stoppedJob = { ...job, copies: [aCopy("ap-mumbai"), aCopy("ap-beijing")] };

    // Act
    const first = await historyPage(stoppedJob, { limit: 3 }, workflow);
    const second = await historyPage(
      stoppedJob,
      { limit: 3, nextToken: first.nextToken },
      workflow,
    );
    const third = await historyPage(
      stoppedJob,
      { limit: 3, nextToken: second.nextToken },
      workflow,
    );

    // Assess
    expect(inSomeOrder([...first.entries, ...second.entries, ...third.entries])).toEqual(
      inSomeOrder(readableHistory(stopped, audience)),
    );
    expect(third.nextToken).toBeUndefined();
  });

  it("is empty, with nothing read, for a job whose execution has not started", async () => {
    // Prepare
    const workflow = new RecordingWorkflow();

    // Act
    const page = await historyPage({ ...job, executionArn: null }, { limit: 10 }, workflow);

    // Assess
    expect(page).toEqual({ entries: [] });
    expect(workflow.historyReads).toEqual([]);
  });

  it("is empty for an execution Step Functions no longer has", async () => {
    // Act
    const page = await historyPage(job, { limit: 10 }, new RecordingWorkflow());

    // Assess
    expect(page).toEqual({ entries: [] });
  });

  it("refuses a nextToken it did not give, naming it", async () => {
    // Prepare
    const workflow = workflowWith(copiesHistory());

    // Act
    const refusal = historyPage(job, { limit: 3, nextToken: "not-a-token" }, workflow);

    // Assess
    await expect(refusal).rejects.toMatchObject({
      code: "InvalidRequest",
      message: expect.stringMatching(/nextToken is not one this route gave/),
    });
    expect(workflow.historyReads).toEqual([]);
  });

  it("refuses the nextToken of another job's history", async () => {
    // Prepare
    const workflow = workflowWith(copiesHistory());
    const { nextToken } = await historyPage(job, { limit: 3 }, workflow);

    // Act
    const refusal = historyPage({ ...job, jobId: "job-2" }, { limit: 3, nextToken }, workflow);

    // Assess
    await expect(refusal).rejects.toMatchObject({
      code: "InvalidRequest",
      message: expect.stringMatching(/nextToken is not one this route gave/),
    });
  });

  it("refuses a nextToken altered anywhere", async () => {
    // Prepare
    const workflow = workflowWith(copiesHistory());
    const { nextToken = "" } = await historyPage(job, { limit: 3 }, workflow);
    const altered = [0, Math.floor(nextToken.length / 2), nextToken.length - 1].map(
      (index) =>
        `${nextToken.slice(0, index)}${nextToken[index] === "A" ? "B" : "A"}${nextToken.slice(index + 1)}`,
    );

    // Act
    const refusals = altered.map((token) =>
      historyPage(job, { limit: 3, nextToken: token }, workflow).then(
        () => "accepted",
        (error: Error) => error.name,
      ),
    );

    // Assess
    expect(await Promise.all(refusals)).toEqual([
      "InvalidRequest",
      "InvalidRequest",
      "InvalidRequest",
    ]);
  });
});

describe("a history token", () => {
  const cursor = (fields: Partial<HistoryCursor> = {}): HistoryCursor => ({
    page: "AAAA".repeat(200),
    after: 4321,
    eventsPerRead: 1000,
    done: false,
    fold: { open: [], tips: [] },
    pending: [],
    ...fields,
  });
  /** The Map, and a copy in each of 64 destinations waiting after a failed attempt. */
  const crowded = (cause: (index: number) => string): HistoryCursor =>
    cursor({
      fold: {
        open: Array.from({ length: 64 }, (_, index) => ({
          id: 100 + index * 7,
          state: "AwaitCopy",
          enteredAt: at(index % 60),
          iteration: index,
          container: false,
          attempts: 2,
          error: "ServiceBusy" as const,
          cause: cause(index),
        })),
        tips: Array.from({ length: 64 }, (_, index) => ({
          id: 104 + index * 7,
          entry: 100 + index * 7,
          iteration: index,
          fork: false,
        })),
      },
      pending: Array.from({ length: 64 }, (_, index) => ({
        id: 90 + index,
        entry: {
          state: "StartCopy",
          event: "Failed",
          enteredAt: at(index % 60),
          exitedAt: at((index + 1) % 60),
          durationMs: 1000,
          retries: 0,
          error: "CopyFailed" as const,
          cause: cause(index + 64),
          destinationRegion: `ap-region-${index}`,
        },
      })),
    });

  it("carries the fold of a job copying to 64 destinations at once, with their messages", () => {
    // Prepare
    const busy = crowded(
      (index) =>
        `StartCopy: a service it calls is busy (ProvisionedThroughputExceededException: throttled at attempt ${index}); the state machine tries the step again.`,
    );

    // Act
    const token = encodeHistoryToken(busy, "job-1");

    // Assess
    expect(token.length).toBeLessThanOrEqual(HISTORY_TOKEN_MAX_LENGTH);
    expect(decodeHistoryToken(token, "job-1")).toEqual(busy);
  });

  it("keeps within its bound when 128 long messages would not fit, giving up the messages", () => {
    // Prepare: messages that do not compress.
    let seed = 7;
    const noise = () =>
      Array.from({ length: 480 }, () => {
        seed = (seed * 48271) % 2147483647;
        return String.fromCharCode(33 + (seed % 90));
      }).join("");
    const loud = crowded(() => noise());

    // Act
    const token = encodeHistoryToken(loud, "job-1");

    // Assess
    expect(token.length).toBeLessThanOrEqual(HISTORY_TOKEN_MAX_LENGTH);
    const carried = decodeHistoryToken(token, "job-1");
    expect(carried.fold.open.map((state) => state.cause)).toEqual(
      loud.fold.open.map(() => CAUSE_NOT_CARRIED),
    );
    expect(carried.pending.map(({ entry }) => entry.error)).toEqual(
      loud.pending.map(({ entry }) => entry.error),
    );
  });

  it("refuses a token that says what no page of the route says", () => {
    // Prepare: a token with a check that holds, around a read of 5000 events.
    const token = encodeHistoryToken(cursor({ eventsPerRead: 5000 }), "job-1");

    // Assess
    expect(() => decodeHistoryToken(token, "job-1")).toThrow(
      /nextToken is not one this route gave/,
    );
  });
});
