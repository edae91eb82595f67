// The compressed clock of the local stack: it runs `speed` times faster from its origin, and
// is the real clock at speed 1.
import { afterEach, describe, expect, it, vi } from "vitest";
import { acceleratedClock, systemClock } from "../../functions/core/ports.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("an accelerated clock", () => {
  it("moves `speed` seconds for every real second since its origin", () => {
    // Prepare
    vi.useFakeTimers({ now: new Date("2026-12-03T10:00:00Z") });
    const clock = acceleratedClock(Date.parse("2026-12-03T10:00:00Z"), 1000);

    // Act
    vi.advanceTimersByTime(86_400);

    // Assess: 86.4 real seconds are a day
    expect(clock.now().toISOString()).toBe("2026-12-04T10:00:00.000Z");
  });

  it("is the system clock at speed 1", () => {
    // Act
    const clock = acceleratedClock(0, 1);

    // Assess
    expect(clock).toBe(systemClock);
  });
});
