// How long a copy's wait for its end may last before a safety poll: just past the copy's expected
// end, from its size before any progress is seen and from its own rate after; within [min, max].
// A copy whose event is lost is found done within max(60 s, 5% of its length), in a few polls.
import { describe, expect, it } from "vitest";
import { copyWaitSeconds, type WaitPlan } from "../../functions/core/polling.js";

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

/**
 * A steady copy of `lengthSeconds` whose event is lost, first expected to last `expectedSeconds`:
 * when the safety poll that finds it done comes, and how many polls it took.
 */
const lostEvent = (lengthSeconds: number, expectedSeconds: number, zeroForSeconds = 0) => {
  const assumedMiBPerSecond = 100;
  const sizeGiB = (expectedSeconds * assumedMiBPerSecond) / 1024;
  let now = copyWaitSeconds(plan({ sizeGiB, assumedMiBPerSecond }));
  let polls = 1;
  while (now < lengthSeconds && polls < 50) {
    // A copy that shows 0% for its first `zeroForSeconds`, then its share done.
    const progress = now < zeroForSeconds ? 0 : Math.floor((100 * now) / lengthSeconds);
    now += copyWaitSeconds(plan({ sizeGiB, progress, elapsedSeconds: now, polls }));
    polls++;
  }
  return { lateSeconds: now - lengthSeconds, polls };
};

describe("the wait for a copy's end", () => {
  it("first lasts the copy's size at the assumed rate, and a twentieth more: 100 GiB at 100 MiB/s waits 1075 s", () => {
    // Act
    const wait = copyWaitSeconds(plan({ sizeGiB: 100 }));

    // Assess
    expect(wait).toBe(1075);
  });

  it("first lasts the shortest wait when the size is not known", () => {
    // Act
    const wait = copyWaitSeconds(plan());

    // Assess
    expect(wait).toBe(15);
  });

  it("after a poll that places the end, lasts until a twentieth past its earliest: 50% after 100 s waits 106 s", () => {
    // Act
    const wait = copyWaitSeconds(plan({ sizeGiB: 8, progress: 50, elapsedSeconds: 100, polls: 1 }));

    // Assess: 100 s × 100 / 51 × 1.05 − 100 s
    expect(wait).toBe(106);
  });

  it("after a poll too early to place the end, looks again at about half way: 10% after 100 s waits 355 s", () => {
    // Act
    const wait = copyWaitSeconds(plan({ sizeGiB: 8, progress: 10, elapsedSeconds: 100, polls: 1 }));

    // Assess: 100 s × 100 / 11 ÷ 2 − 100 s
    expect(wait).toBe(355);
  });

  it("doubles the shortest wait after the second poll, so a copy stuck near its end costs few polls", () => {
    // Act
    const waits = [1, 2, 3, 4, 5].map((polls) =>
      copyWaitSeconds(plan({ progress: 99, elapsedSeconds: 100, polls })),
    );

    // Assess
    expect(waits).toEqual([15, 15, 30, 60, 120]);
  });

  it.each([
    [120, 120],
    [120, 60],
    [3_600, 3_600],
    [3_600, 720],
    [86_400, 86_400],
    [86_400, 43_200],
    [86_400, 8_640],
  ])(
    "finds a %i s copy whose event was lost (expected to last %i s) done within max(60 s, 5%% of its length), in at most 6 polls",
    (length, expected) => {
      // Act
      const { lateSeconds, polls } = lostEvent(length, expected);

      // Assess
      expect(lateSeconds).toBeGreaterThanOrEqual(0);
      expect(lateSeconds).toBeLessThanOrEqual(Math.max(60, 0.05 * length));
      expect(polls).toBeLessThanOrEqual(6);
    },
  );

  it.each([
    [60, 30],
    [300, 60],
    [3_600, 120],
  ])(
    "finds a %i s copy whose event was lost and whose progress read 0%% for %i s done within max(60 s, 5%% of its length)",
    (length, zeroFor) => {
      // Act: first expected to last 10 s (a small volume at the assumed rate)
      const { lateSeconds, polls } = lostEvent(length, 10, zeroFor);

      // Assess
      expect(lateSeconds).toBeGreaterThanOrEqual(0);
      expect(lateSeconds).toBeLessThanOrEqual(Math.max(60, 0.05 * length));
      expect(polls).toBeLessThanOrEqual(6);
    },
  );

  it("looks again at four times a copy's age while its progress reads 0%, not fifty", () => {
    // Act
    const wait = copyWaitSeconds(plan({ sizeGiB: 1, progress: 0, elapsedSeconds: 25, polls: 1 }));

    // Assess: 25 s × 4 − 25 s
    expect(wait).toBe(75);
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
