// The benchmark's arithmetic, on made-up timelines: order violations, slot use, hand-off times
// from the release that freed each slot, quantiles with their counts, the cloud's refusals,
// transitions as billed, and a copy's timeline read from its executions' histories.
import { describe, expect, it } from "vitest";
import {
  clockToReal,
  quantile,
  queueOrderViolations,
  refusalsOf,
  type ScenarioInput,
  scenarioResult,
  slotHandoffMs,
  slotUtilization,
  spreadOf,
} from "../bench/metrics.js";
import { billedTransitions, type CopyTimeline, copyTimeline } from "../bench/timelines.js";
import { accountsFirstAfterAnotherLast, dueMinuteAfter } from "../bench/top-of-the-hour.js";

const copy = (jobId: string, fields: Partial<CopyTimeline>): CopyTimeline => ({
  jobId,
  region: undefined,
  askedAt: undefined,
  queuedAt: undefined,
  grantedAt: undefined,
  slotAt: undefined,
  startedAt: undefined,
  releasedAt: undefined,
  completionRecordedAt: undefined,
  polls: 0,
  ...fields,
});

const noCloud: ScenarioInput["cloud"] = {
  refusals: {},
  mostPending: {},
  deletedCopies: { pending: 0, completed: 0, error: 0 },
};

const ended = (jobId: string, cloudCompletedAt: number, region = "ap-mumbai") => ({
  jobId,
  status: "COMPLETED",
  errors: [],
  durationMs: 0,
  copies: [{ region, transferMs: 0, cloudCompletedAt }],
});

const scenario = (fields: Partial<ScenarioInput>): ScenarioInput => ({
  name: "events",
  clockSpeed: 1,
  slots: 1,
  jobs: [],
  timelines: [],
  executions: [],
  samples: [],
  maxPending: 1,
  cloud: noCloud,
  recordedCopiesLost: 0,
  ...fields,
});

describe("queue order violations", () => {
  it("take a copy the cloud refused at its first grant, its turn in the queue", () => {
    // Act: a was granted first, refused, and granted again after b
    const violations = queueOrderViolations([
      copy("a", { askedAt: 1, queuedAt: 1, refusedGrants: [10], grantedAt: 30 }),
      copy("b", { askedAt: 2, queuedAt: 2, grantedAt: 20 }),
    ]);

    // Assess
    expect(violations).toBe(0);
  });

  it("are none when waiting copies are given slots in the order they joined", () => {
    // Act
    const violations = queueOrderViolations([
      copy("a", { grantedAt: 0 }),
      copy("b", { askedAt: 2, queuedAt: 2, grantedAt: 10 }),
      copy("c", { askedAt: 3, queuedAt: 3, grantedAt: 11 }),
    ]);

    // Assess
    expect(violations).toBe(0);
  });

  it("count a copy given a slot while an older one still waited", () => {
    // Act
    const violations = queueOrderViolations([
      copy("b", { askedAt: 2, queuedAt: 2, grantedAt: 20 }),
      copy("c", { askedAt: 3, queuedAt: 3, grantedAt: 11 }),
      copy("newcomer", { grantedAt: 5 }),
    ]);

    // Assess
    expect(violations).toBe(2);
  });

  it("compare a copy only with copies of its own region", () => {
    // Act
    const violations = queueOrderViolations([
      copy("b", { region: "ap-mumbai", askedAt: 2, queuedAt: 2, grantedAt: 20 }),
      copy("c", { region: "ap-beijing", askedAt: 3, queuedAt: 3, grantedAt: 11 }),
    ]);

    // Assess
    expect(violations).toBe(0);
  });

  it("compare a copy only with copies of its own account: each account has its own queue", () => {
    // Act
    const violations = queueOrderViolations([
      copy("b", { account: "500000000000", askedAt: 2, queuedAt: 2, grantedAt: 20 }),
      copy("c", { account: "500000000001", askedAt: 3, queuedAt: 3, grantedAt: 11 }),
      copy("d", { account: "500000000001", askedAt: 4, queuedAt: 4, grantedAt: 10 }),
    ]);

    // Assess: d overtook c in their account's queue; b's account is another queue
    expect(violations).toBe(1);
  });
});

describe("slot utilization", () => {
  it("is 1 when every slot was busy whenever a copy waited, and ignores times nobody waited", () => {
    // Act
    const utilization = slotUtilization(
      [
        { at: 0, pendingCopies: 20, queueLength: 5 },
        { at: 1, pendingCopies: 20, queueLength: 1 },
        { at: 2, pendingCopies: 3, queueLength: 0 },
      ],
      20,
    );

    // Assess
    expect(utilization).toBe(1);
  });

  it("counts idle slots while copies waited", () => {
    // Act
    const utilization = slotUtilization(
      [
        { at: 0, pendingCopies: 10, queueLength: 5 },
        { at: 1, pendingCopies: 20, queueLength: 5 },
      ],
      20,
    );

    // Assess
    expect(utilization).toBe(0.75);
  });

  it("is over the places the cloud left, where copies that are not snaprelay's took some", () => {
    // Act: 5 of the cloud's 20 places taken by others, so 15 left
    const utilization = slotUtilization(
      [
        { at: 0, pendingCopies: 15, queueLength: 5, places: 15 },
        { at: 1, pendingCopies: 12, queueLength: 5, places: 15 },
      ],
      20,
    );

    // Assess
    expect(utilization).toBe(0.9);
  });

  it("is not defined when no copy ever waited", () => {
    // Act
    const utilization = slotUtilization([{ at: 0, pendingCopies: 3, queueLength: 0 }], 20);

    // Assess
    expect(utilization).toBeNull();
  });
});

describe("slot hand-off", () => {
  it("is measured for each waiting copy from the release that freed its slot to its start", () => {
    // Act: one slot; a's release frees it for c, c's release for d
    const handoffs = slotHandoffMs([
      copy("a", { grantedAt: 0, startedAt: 0, releasedAt: 1_000 }),
      copy("c", {
        askedAt: 100,
        queuedAt: 90,
        grantedAt: 1_050,
        startedAt: 1_250,
        releasedAt: 5_000,
      }),
      copy("d", { askedAt: 200, queuedAt: 190, grantedAt: 5_200, startedAt: 5_400 }),
    ]);

    // Assess
    expect(handoffs).toEqual([250, 400]);
  });

  it("ends at the cloud's start of the copy, which the step that handed the slot on may call", () => {
    // Act: c's copy began in the cloud at 1,080, before its own StartCopy step was entered
    const handoffs = slotHandoffMs([
      copy("a", { grantedAt: 0, startedAt: 0, releasedAt: 1_000 }),
      copy("c", {
        askedAt: 100,
        queuedAt: 90,
        grantedAt: 1_050,
        cloudStartedAt: 1_080,
        startedAt: 1_600,
      }),
    ]);

    // Assess
    expect(handoffs).toEqual([80]);
  });

  it("pairs the grant a copy went on to use, and lets a refused grant take its freed slot unmeasured", () => {
    // Act: one slot; a's release at 1,000 went to c, whom the cloud refused; c gave it back with
    // the place (the pool's limit came down), and was granted b's slot, freed at 3,000
    const handoffs = slotHandoffMs([
      copy("a", { grantedAt: 0, startedAt: 0, releasedAt: 1_000 }),
      copy("b", { grantedAt: 0, startedAt: 0, releasedAt: 3_000 }),
      copy("c", {
        askedAt: 10,
        queuedAt: 10,
        refusedGrants: [1_010],
        grantedAt: 3_050,
        startedAt: 3_100,
      }),
    ]);

    // Assess: from b's release, not a's
    expect(handoffs).toEqual([100]);
  });

  it("pairs each grant with its own release, not with the latest release of any slot", () => {
    // Prepare: two slots. a's slot frees at 1,000 and stands idle; c takes it at 5,000, just after
    // b's release at 4,900, which d takes
    const timelines = [
      copy("a", { grantedAt: 0, startedAt: 0, releasedAt: 1_000 }),
      copy("b", { grantedAt: 0, startedAt: 0, releasedAt: 4_900 }),
      copy("c", { askedAt: 10, queuedAt: 10, grantedAt: 5_000, startedAt: 5_010 }),
      copy("d", { askedAt: 20, queuedAt: 20, grantedAt: 5_001, startedAt: 5_020 }),
    ];

    // Act
    const handoffs = slotHandoffMs(timelines);

    // Assess: c's slot was freed at 1,000 (the latest release, 4,900, would read 110)
    expect(handoffs).toEqual([4_010, 120]);
  });

  it("uses each release once, and counts none for a copy given a slot that was never held", () => {
    // Act: two copies start at once on free slots; c waits, is granted after a's release
    const handoffs = slotHandoffMs([
      copy("a", { grantedAt: 0, startedAt: 0, releasedAt: 1_000 }),
      copy("b", { grantedAt: 1, startedAt: 1 }),
      copy("c", { askedAt: 2, queuedAt: 2, grantedAt: 1_100, startedAt: 1_150 }),
      copy("d", { askedAt: 3, queuedAt: 3, grantedAt: 1_200, startedAt: 1_300 }),
    ]);

    // Assess: d had no release left to pair with
    expect(handoffs).toEqual([150]);
  });

  it("pairs grants and releases region by region", () => {
    // Act
    const handoffs = slotHandoffMs([
      copy("a", { region: "ap-mumbai", grantedAt: 0, startedAt: 0, releasedAt: 1_000 }),
      copy("c", {
        region: "ap-beijing",
        askedAt: 5,
        queuedAt: 5,
        grantedAt: 1_100,
        startedAt: 1_200,
      }),
    ]);

    // Assess
    expect(handoffs).toEqual([]);
  });

  it("pairs grants and releases account by account", () => {
    // Act: another account's release frees none of this account's slots
    const handoffs = slotHandoffMs([
      copy("a", { account: "500000000000", grantedAt: 0, startedAt: 0, releasedAt: 1_000 }),
      copy("c", {
        account: "500000000001",
        askedAt: 5,
        queuedAt: 5,
        grantedAt: 1_100,
        startedAt: 1_200,
      }),
    ]);

    // Assess
    expect(handoffs).toEqual([]);
  });

  it("places the queue's stamps in real time, from the compressed clock's origin", () => {
    // Prepare: the clock runs 10× from 1,000 ms; each AcquireSlot answered 5 real ms after its stamp
    const clock = (real: number) => 1_000 + (real - 1_000) * 10;
    const timelines = [
      copy("a", { askedAt: 2_005, grantedAt: clock(2_000) }),
      copy("b", { askedAt: 3_005, queuedAt: clock(3_000) }),
    ];

    // Act
    const toReal = clockToReal(timelines, 10);

    // Assess: within the step's latency
    expect(Math.abs(toReal(clock(4_000)) - 4_000)).toBeLessThanOrEqual(5);
  });

  it("goes out in clock seconds with its count, from the histories' releases", () => {
    // Act: at 10×, c starts 20 real ms after a's release
    const result = scenarioResult(
      scenario({
        clockSpeed: 10,
        jobs: [ended("a", 900), ended("c", 3_000)],
        timelines: [
          copy("a", { askedAt: 0, grantedAt: 0, startedAt: 0, releasedAt: 1_000 }),
          copy("c", { askedAt: 100, queuedAt: 100, grantedAt: 10_100, startedAt: 1_020 }),
        ],
      }),
    );

    // Assess
    expect(result.slotHandoffSeconds).toEqual({ median: 0.2, p99: 0.2, max: 0.2, count: 1 });
  });
});

describe("a scenario's result", () => {
  it("sums the cloud's refusals over regions, by code", () => {
    // Act
    const refusals = refusalsOf({
      "ap-mumbai": { ResourceLimitExceeded: 3, RequestLimitExceeded: 1 },
      "ap-beijing": { ResourceLimitExceeded: 2 },
    });

    // Assess
    expect(refusals).toEqual({
      total: 6,
      byCode: { ResourceLimitExceeded: 5, RequestLimitExceeded: 1 },
    });
  });

  it("bills each job the transitions of all its executions, adopted ones included, and spreads history events over executions", () => {
    // Act
    const result = scenarioResult(
      scenario({
        executions: [
          { jobId: "a", name: "a", events: 100, transitions: 17 },
          { jobId: "b", name: "b", events: 4_000, transitions: 300 },
          { jobId: "b", name: "b-adopted-1", events: 50, transitions: 10 },
        ],
        cloud: { ...noCloud, mostPending: { "111122223333 ap-mumbai": 20, "x ap-beijing": 7 } },
      }),
    );

    // Assess
    expect(result.transitionsPerJob).toEqual({
      median: 17,
      p99: 310,
      max: 310,
      count: 2,
      total: 327,
    });
    expect(result.historyEventsPerExecution).toEqual({
      median: 100,
      p99: 4_000,
      max: 4_000,
      count: 3,
    });
    expect(result.cloudMaxPending).toBe(20);
    expect(result.adoptedExecutions).toBe(1);
  });

  it("gives every spread with the count of values it was taken over", () => {
    // Assess
    expect(spreadOf([3, 1, 2])).toEqual({ median: 2, p99: 3, max: 3, count: 3 });
    expect(spreadOf([])).toBeNull();
  });
});

describe("billed transitions", () => {
  it("count every state entered and every retry of a task, as Step Functions bills them", () => {
    // Prepare: a Task tried twice (one retry), a Choice, a Succeed
    const events = [
      { id: 1, previousEventId: 0, type: "ExecutionStarted" },
      { id: 2, previousEventId: 0, type: "TaskStateEntered" },
      { id: 3, previousEventId: 2, type: "LambdaFunctionScheduled" },
      { id: 4, previousEventId: 3, type: "LambdaFunctionStarted" },
      { id: 5, previousEventId: 4, type: "LambdaFunctionFailed" },
      { id: 6, previousEventId: 5, type: "LambdaFunctionScheduled" },
      { id: 7, previousEventId: 6, type: "LambdaFunctionStarted" },
      { id: 8, previousEventId: 7, type: "LambdaFunctionSucceeded" },
      { id: 9, previousEventId: 8, type: "TaskStateExited" },
      { id: 10, previousEventId: 9, type: "ChoiceStateEntered" },
      { id: 11, previousEventId: 10, type: "ChoiceStateExited" },
      { id: 12, previousEventId: 11, type: "SucceedStateEntered" },
      { id: 13, previousEventId: 12, type: "ExecutionSucceeded" },
    ];

    // Act
    const transitions = billedTransitions(events);

    // Assess
    expect(transitions).toBe(4);
  });
});

describe("top of the hour", () => {
  it("counts the accounts whose first job started after another account's last", () => {
    // Act
    const late = accountsFirstAfterAnotherLast(
      new Map([
        ["a", [0, 10]],
        ["b", [5, 20]],
        ["c", [30, 40]],
      ]),
    );

    // Assess: c started after a's and b's last
    expect(late).toBe(1);
  });

  it("is due at the next whole minute far enough ahead", () => {
    // Assess
    expect(dueMinuteAfter(Date.UTC(2026, 11, 7, 18, 0, 30), 60_000)).toBe(
      Date.UTC(2026, 11, 7, 18, 2, 0),
    );
  });
});

describe("a quantile", () => {
  it("is the nearest-rank value", () => {
    // Assess
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(quantile([5, 1, 3, 2, 4], 1)).toBe(5);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe("a copy's timeline", () => {
  it("is read from its execution's history", () => {
    // Prepare
    const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, second));
    const events = [
      {
        type: "TaskStateEntered",
        timestamp: at(0),
        stateEnteredEventDetails: { name: "Validate" },
      },
      {
        type: "TaskStateEntered",
        timestamp: at(1),
        stateEnteredEventDetails: { name: "AcquireSlot" },
      },
      {
        type: "TaskStateExited",
        timestamp: at(2),
        stateExitedEventDetails: {
          name: "AcquireSlot",
          output: '{"slot":{"acquired":false,"position":3,"queuedAt":"2026-12-03T10:00:40.000Z"}}',
        },
      },
      {
        type: "TaskStateExited",
        timestamp: at(8),
        stateExitedEventDetails: {
          name: "WaitForSlot",
          output: '{"slot":{"acquired":true,"grantedAt":"2026-12-03T10:02:40.000Z"}}',
        },
      },
      {
        type: "TaskStateEntered",
        timestamp: at(9),
        stateEnteredEventDetails: { name: "StartCopy" },
      },
      {
        type: "TaskStateEntered",
        timestamp: at(10),
        stateEnteredEventDetails: { name: "PollCopy" },
      },
      {
        type: "TaskStateEntered",
        timestamp: at(12),
        stateEnteredEventDetails: { name: "PollCopy" },
      },
      {
        type: "TaskStateEntered",
        timestamp: at(13),
        stateEnteredEventDetails: { name: "FinalizeCopy" },
      },
      {
        type: "TaskStateExited",
        timestamp: at(14),
        stateExitedEventDetails: { name: "FinalizeCopy" },
      },
    ];

    // Act
    const timeline = copyTimeline("job-1", events);

    // Assess
    expect(timeline).toEqual({
      jobId: "job-1",
      region: undefined,
      askedAt: at(2).getTime(),
      queuedAt: Date.parse("2026-12-03T10:00:40.000Z"),
      grantedAt: Date.parse("2026-12-03T10:02:40.000Z"),
      slotAt: at(8).getTime(),
      startedAt: at(9).getTime(),
      releasedAt: at(13).getTime(),
      completionRecordedAt: at(13).getTime(),
      polls: 2,
    });
  });

  it("gives the slot back when the copy's event ended its wait, if that came before FinalizeCopy", () => {
    // Prepare
    const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, second));
    const events = [
      {
        type: "TaskStateEntered",
        timestamp: at(1),
        stateEnteredEventDetails: { name: "StartCopy" },
      },
      { type: "TaskStateExited", timestamp: at(5), stateExitedEventDetails: { name: "AwaitCopy" } },
      { type: "TaskStateExited", timestamp: at(9), stateExitedEventDetails: { name: "AwaitCopy" } },
      {
        type: "TaskStateEntered",
        timestamp: at(12),
        stateEnteredEventDetails: { name: "FinalizeCopy" },
      },
    ];

    // Act
    const timeline = copyTimeline("job-1", events);

    // Assess: the last wait's end
    expect(timeline.releasedAt).toBe(at(9).getTime());
    expect(timeline.completionRecordedAt).toBe(at(12).getTime());
  });

  it("keeps the slot a copy the cloud refused went on to use, and the one it gave back", () => {
    // Prepare
    const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, second));
    const answer = (second: number, name: string, slot: object) => ({
      type: "TaskStateExited",
      timestamp: at(second),
      stateExitedEventDetails: { name, output: JSON.stringify({ slot }) },
    });
    const entered = (second: number, name: string) => ({
      type: "TaskStateEntered",
      timestamp: at(second),
      stateEnteredEventDetails: { name },
    });
    const events = [
      answer(1, "AcquireSlot", { acquired: true, grantedAt: "2026-12-03T10:00:01.000Z" }),
      entered(2, "StartCopy"),
      {
        type: "TaskStateExited",
        timestamp: at(3),
        stateExitedEventDetails: {
          name: "StartCopy",
          output: JSON.stringify({ capacity: { Error: "CopyCapacityExceeded", Cause: "full" } }),
        },
      },
      entered(4, "AcquireSlot"),
      answer(5, "AcquireSlot", { acquired: false, queuedAt: "2026-12-03T10:00:00.500Z" }),
      answer(9, "WaitForSlot", { acquired: true, grantedAt: "2026-12-03T10:00:09.000Z" }),
      entered(10, "StartCopy"),
    ];

    // Act
    const timeline = copyTimeline("job-1", events);

    // Assess
    expect(timeline).toMatchObject({
      askedAt: at(1).getTime(),
      refusedGrants: [Date.parse("2026-12-03T10:00:01.000Z")],
      grantedAt: Date.parse("2026-12-03T10:00:09.000Z"),
      slotAt: at(9).getTime(),
      startedAt: at(10).getTime(),
    });
  });

  it("is read, for one destination of several, from the states that work for it", () => {
    // Prepare
    const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, second));
    const entered = (second: number, name: string, region: string) => ({
      type: "TaskStateEntered",
      timestamp: at(second),
      stateEnteredEventDetails: {
        name,
        input: JSON.stringify({ jobId: "job-1", destinationRegion: region }),
      },
    });
    const events = [
      entered(1, "StartCopy", "ap-mumbai"),
      entered(2, "StartCopy", "ap-beijing"),
      entered(3, "PollCopy", "ap-beijing"),
      entered(4, "FinalizeCopy", "ap-beijing"),
      entered(5, "FinalizeCopy", "ap-mumbai"),
    ];

    // Act
    const beijing = copyTimeline("job-1", events, "ap-beijing");

    // Assess
    expect(beijing).toMatchObject({
      region: "ap-beijing",
      startedAt: at(2).getTime(),
      polls: 1,
      releasedAt: at(4).getTime(),
    });
  });
});
