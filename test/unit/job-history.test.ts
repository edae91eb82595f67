// A job's history as a person reads it: one entry per state passed through, with its times,
// retries and error, each copy's states named by destination, paged.
import { describe, expect, it } from "vitest";
import { historyPage, readableHistory } from "../../functions/core/job-history.js";
import type { ExecutionEvent } from "../../functions/core/ports.js";

const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, second)).toISOString();
const event = (
  id: number,
  previousEventId: number,
  second: number,
  type: string,
  fields: Partial<ExecutionEvent> = {},
): ExecutionEvent => ({ id, previousEventId, at: at(second), type, ...fields });

/** Validate retried once, then two copies side by side; the execution stopped mid-copy. */
const events: ExecutionEvent[] = [
  event(1, 0, 0, "ExecutionStarted"),
  event(2, 1, 0, "TaskStateEntered", { stateName: "Validate" }),
  event(3, 2, 0, "LambdaFunctionScheduled"),
  event(4, 3, 1, "LambdaFunctionFailed", { error: "CloudThrottled", cause: "slow down" }),
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
  event(17, 14, 9, "LambdaFunctionFailed", { error: "CopyFailed", cause: "the source is gone" }),
  event(18, 16, 9, "TaskStateEntered", { stateName: "AwaitCopy" }),
  event(19, 18, 20, "ExecutionAborted", { error: "Cancelled", cause: "cancelled by 123" }),
];

describe("a job's history", () => {
  const entries = readableHistory(events, ["ap-mumbai", "ap-beijing"]);

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
    expect(entries[6]).toMatchObject({ error: "Cancelled", cause: "cancelled by 123" });
  });

  it("shows a state still running as Running while the execution runs", () => {
    // Act
    const running = readableHistory(events.slice(0, -1), ["ap-mumbai", "ap-beijing"]);

    // Assess
    expect(running.at(-1)).toMatchObject({ state: "AwaitCopy", event: "Running", exitedAt: null });
  });
});

describe("a page of history", () => {
  const entries = readableHistory(events, ["ap-mumbai", "ap-beijing"]);

  it("comes in pages that together hold every entry once", () => {
    // Act
    const first = historyPage(entries, 3);
    const second = historyPage(entries, 3, first.nextToken);
    const third = historyPage(entries, 3, second.nextToken);

    // Assess
    expect([...first.entries, ...second.entries, ...third.entries]).toEqual(entries);
    expect(third.nextToken).toBeUndefined();
  });

  it("refuses a nextToken it did not give, naming it", () => {
    // Assess
    expect(() => historyPage(entries, 3, "not-a-token")).toThrow(
      /nextToken is not one this route gave/,
    );
  });
});
