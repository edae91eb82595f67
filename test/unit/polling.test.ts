// How long a copy's wait for its end may last before a safety poll: just past the copy's expected
// end, from its size before any progress is seen and from its own rate after; within [min, max].
import { describe, expect, it } from "vitest";
import { copyWaitSeconds, remainingSeconds, type WaitPlan } from "../../functions/core/polling.js";

const plan = (fields: Partial<WaitPlan> = {}): WaitPlan => ({
  sizeGiB: null,
  progress: 0,
  elapsedSeconds: 0,
  polls: 0,
  assumedMiBPerSecond: 100,
  minSeconds: 15,
  maxSeconds: 86_400,
  ...fields,
});

describe("the wait for a copy's end", () => {
  it("first lasts the copy's size at the assumed rate, and a fifth more: 100 GiB at 100 MiB/s waits 1229 s", () => {
    // Act
    const wait = copyWaitSeconds(plan({ sizeGiB: 100 }));

    // Assess
    expect(wait).toBe(1229);
  });

  it("first lasts the shortest wait when the size is not known", () => {
    // Act
    const wait = copyWaitSeconds(plan());

    // Assess
    expect(wait).toBe(15);
  });

  it("after a poll, lasts the copy's own remaining time and a fifth more: 50% after 100 s waits 118 s", () => {
    // Act
    const wait = copyWaitSeconds(plan({ sizeGiB: 8, progress: 50, elapsedSeconds: 100, polls: 1 }));

    // Assess: 100 × 49.5 / 50.5 × 1.2
    expect(wait).toBe(118);
  });

  it("below 10% takes the shortest remaining time the whole percent allows, so it never overshoots a steady copy", () => {
    // Act: 0% after 15 s means under 1% done, so at least 99 × 15 s remain
    const remaining = remainingSeconds(0, 15);

    // Assess
    expect(remaining).toBe(1485);
  });

  it("doubles the shortest wait with each poll, so a copy whose progress says little costs few polls", () => {
    // Act
    const waits = [1, 2, 3, 4].map((polls) =>
      copyWaitSeconds(plan({ progress: 99, elapsedSeconds: 100, polls })),
    );

    // Assess
    expect(waits).toEqual([30, 60, 120, 240]);
  });

  it("never waits more than the maximum", () => {
    // Act
    const wait = copyWaitSeconds(plan({ sizeGiB: 16_384, maxSeconds: 3_600 }));

    // Assess
    expect(wait).toBe(3_600);
  });

  it("waits exactly the one length given as both minimum and maximum (a fixed poll)", () => {
    // Act
    const waits = [
      plan({ sizeGiB: 500 }),
      plan({ progress: 3, elapsedSeconds: 900, polls: 7 }),
    ].map((p) => copyWaitSeconds({ ...p, minSeconds: 30, maxSeconds: 30 }));

    // Assess
    expect(waits).toEqual([30, 30]);
  });

  it("always gives a whole number of seconds within [min, max]", () => {
    // Prepare
    const plans = [0, 1, 7, 33, 50, 99, 100].flatMap((progress) =>
      [0, 1, 59, 3600, 86_400].flatMap((elapsedSeconds) =>
        [0, 1, 5, 40].flatMap((polls) =>
          [null, 1, 16_384].map((sizeGiB) => plan({ progress, elapsedSeconds, polls, sizeGiB })),
        ),
      ),
    );

    // Act
    const waits = plans.map(copyWaitSeconds);

    // Assess
    for (const wait of waits) {
      expect(Number.isInteger(wait)).toBe(true);
      expect(wait).toBeGreaterThanOrEqual(15);
      expect(wait).toBeLessThanOrEqual(86_400);
    }
  });
});
