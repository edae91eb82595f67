// The benchmark's arithmetic, on made-up timelines: order violations, slot use, hand-off times,
// quantiles, and a copy's timeline read from an execution's history.
import { describe, expect, it } from "vitest";
import {
  quantile,
  queueOrderViolations,
  scenarioResult,
  slotHandoffMs,
  slotUtilization,
} from "../bench/metrics.js";
import { type CopyTimeline, copyTimeline } from "../bench/timelines.js";

const copy = (jobId: string, fields: Partial<CopyTimeline>): CopyTimeline => ({
  jobId,
  askedAt: undefined,
  queuedAt: undefined,
  grantedAt: undefined,
  slotAt: undefined,
  startedAt: undefined,
  releasedAt: undefined,
  completionRecordedAt: undefined,
  polls: 0,
  transitions: 0,
  ...fields,
});

describe("queue order violations", () => {
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

  it("is not defined when no copy ever waited", () => {
    // Act
    const utilization = slotUtilization([{ at: 0, pendingCopies: 3, queueLength: 0 }], 20);

    // Assess
    expect(utilization).toBeNull();
  });
});

describe("slot hand-off", () => {
  it("is measured for each waiting copy from the last slot given back before its grant to its start", () => {
    // Act
    const handoffs = slotHandoffMs([
      copy("a", { startedAt: 0, releasedAt: 1_000 }),
      copy("b", { startedAt: 0, releasedAt: 5_000 }),
      copy("c", { askedAt: 100, queuedAt: 90, slotAt: 1_100, startedAt: 1_250 }),
      copy("d", { askedAt: 200, queuedAt: 190, slotAt: 5_300, startedAt: 5_400 }),
    ]);

    // Assess
    expect(handoffs).toEqual([250, 400]);
  });

  it("counts from the copy's end in the cloud when its event gave the slot back before its end was recorded", () => {
    // Prepare: a's copy ended in the cloud at 900; its FinalizeCopy came after c had started
    const ended = (jobId: string, cloudCompletedAt: number) => ({
      jobId,
      status: "COMPLETED",
      errors: [],
      durationMs: 0,
      transferMs: 0,
      cloudCompletedAt,
    });

    // Act
    const result = scenarioResult({
      name: "events",
      clockSpeed: 1,
      slots: 1,
      jobs: [ended("a", 900), ended("c", 3_000)],
      timelines: [
        copy("a", { startedAt: 0, releasedAt: 2_000 }),
        copy("c", { askedAt: 100, queuedAt: 90, slotAt: 1_000, startedAt: 1_100 }),
      ],
      samples: [],
      maxPending: 1,
    });

    // Assess
    expect(result.slotHandoffSeconds).toEqual({ median: 0.2, max: 0.2 });
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
      askedAt: at(2).getTime(),
      queuedAt: Date.parse("2026-12-03T10:00:40.000Z"),
      grantedAt: Date.parse("2026-12-03T10:02:40.000Z"),
      slotAt: at(8).getTime(),
      startedAt: at(9).getTime(),
      releasedAt: at(13).getTime(),
      completionRecordedAt: at(13).getTime(),
      polls: 2,
      transitions: 6,
    });
  });
});
