// Schedules in EventBridge's syntax: rates on a grid from the policy's creation, cron expressions
// in UTC or a given time zone, and clear refusals of what EventBridge would refuse.
import { describe, expect, it } from "vitest";
import { InvalidSchedule, parseSchedule } from "../../functions/core/policies/schedule.js";

const ANCHOR = new Date("2026-12-01T00:00:00.000Z");
const next = (expression: string, after: string, timeZone?: string) =>
  parseSchedule(expression, ANCHOR, timeZone).nextAfter(new Date(after))?.toISOString();

describe("a rate schedule", () => {
  it("runs one period after its anchor first", () => {
    expect(next("rate(6 hours)", "2026-12-01T00:00:00.000Z")).toBe("2026-12-01T06:00:00.000Z");
  });

  it("stays on its grid when asked late", () => {
    expect(next("rate(6 hours)", "2026-12-01T13:59:00.000Z")).toBe("2026-12-01T18:00:00.000Z");
  });

  it("gives the next grid point when asked exactly on one", () => {
    expect(next("rate(1 day)", "2026-12-03T00:00:00.000Z")).toBe("2026-12-04T00:00:00.000Z");
  });

  it("reads minutes", () => {
    expect(next("rate(15 minutes)", "2026-12-01T00:20:00.000Z")).toBe("2026-12-01T00:30:00.000Z");
  });

  it.each([
    ["rate(1 hours)", "singular for 1"],
    ["rate(2 hour)", "singular for 1"],
    ["rate(0 minutes)", "at least 1"],
    ["rate(1.5 hours)", "at least 1"],
    ["rate(1 week)", "allowed: rate"],
  ])("refuses %s, saying why", (expression, why) => {
    expect(() => parseSchedule(expression, ANCHOR)).toThrow(InvalidSchedule);
    expect(() => parseSchedule(expression, ANCHOR)).toThrow(why);
  });
});

describe("a cron schedule", () => {
  it("runs at 03:00 UTC every day", () => {
    expect(next("cron(0 3 * * ? *)", "2026-12-03T20:00:00.000Z")).toBe("2026-12-04T03:00:00.000Z");
  });

  it("counts weekdays as EventBridge does, 1 = SUN (2 is Monday)", () => {
    // 2026-12-03 is a Thursday: the next Monday is the 7th.
    expect(next("cron(0 10 ? * 2 *)", "2026-12-03T20:00:00.000Z")).toBe("2026-12-07T10:00:00.000Z");
  });

  it("reads names, steps, L and #", () => {
    expect(next("cron(0/15 * ? * MON-FRI *)", "2026-12-05T20:00:00.000Z")).toBe(
      "2026-12-07T00:00:00.000Z",
    );
    expect(next("cron(0 3 L * ? *)", "2026-12-03T20:00:00.000Z")).toBe("2026-12-31T03:00:00.000Z");
    expect(next("cron(0 3 ? * 6#3 *)", "2026-12-03T20:00:00.000Z")).toBe(
      "2026-12-18T03:00:00.000Z",
    );
  });

  it("runs in the time zone it is given", () => {
    // 10:00 in New York in December is 15:00 UTC.
    expect(next("cron(0 10 ? * 2 *)", "2026-12-03T20:00:00.000Z", "America/New_York")).toBe(
      "2026-12-07T15:00:00.000Z",
    );
  });

  it("has no next run when its years are past", () => {
    expect(next("cron(0 3 * * ? 2020)", "2026-12-03T20:00:00.000Z")).toBeUndefined();
  });

  it.each([
    ["cron(0 3 * * * *)", "? in exactly one"],
    ["cron(0 3 ? * ? *)", "? in exactly one"],
    ["cron(0 3 * * ?)", "6 fields"],
    ["cron(61 3 * * ? *)", "minute"],
    ["cron(0 3 * 13 ? *)", "month"],
    ["every day at 3", "allowed: rate"],
  ])("refuses %s, saying why", (expression, why) => {
    expect(() => parseSchedule(expression, ANCHOR)).toThrow(InvalidSchedule);
    expect(() => parseSchedule(expression, ANCHOR)).toThrow(why);
  });

  it("refuses a time zone that does not exist", () => {
    expect(() => parseSchedule("cron(0 3 * * ? *)", ANCHOR, "Mars/Base")).toThrow("time zone");
  });
});
