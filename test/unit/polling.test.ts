// When to look at a copy again: from its speed so far, within [min, max], with some jitter.
import { describe, expect, it } from "vitest";
import { nextPollDelaySeconds, type PollPlan } from "../../functions/core/polling.js";

const plan = (fields: Partial<PollPlan> = {}): PollPlan => ({
  progress: 50,
  elapsedSeconds: 100,
  minSeconds: 15,
  maxSeconds: 600,
  random: 0,
  ...fields,
});

describe("the next poll delay", () => {
  it("waits half the estimated remaining time: 50% after 100 s looks again in 50 s", () => {
    // Act
    const delay = nextPollDelaySeconds(plan());

    // Assess
    expect(delay).toBe(50);
  });

  it("waits longer for a slower copy: 10% after 100 s looks again in 450 s", () => {
    // Act
    const delay = nextPollDelaySeconds(plan({ progress: 10 }));

    // Assess
    expect(delay).toBe(450);
  });

  it("waits the minimum before the copy shows any progress", () => {
    // Act
    const delay = nextPollDelaySeconds(plan({ progress: 0, elapsedSeconds: 300 }));

    // Assess
    expect(delay).toBe(15);
  });

  it("waits the minimum when the copy has only just started", () => {
    // Act
    const delay = nextPollDelaySeconds(plan({ progress: 30, elapsedSeconds: 0 }));

    // Assess
    expect(delay).toBe(15);
  });

  it("never waits less than the minimum for a copy that is nearly done", () => {
    // Act
    const delay = nextPollDelaySeconds(plan({ progress: 99, elapsedSeconds: 10 }));

    // Assess
    expect(delay).toBe(15);
  });

  it("never waits more than the maximum for a very slow copy", () => {
    // Act
    const delay = nextPollDelaySeconds(plan({ progress: 1, elapsedSeconds: 1000 }));

    // Assess
    expect(delay).toBe(600);
  });

  it("takes up to 20% off, so many copies do not poll in step", () => {
    // Act
    const delays = [0.5, 0.999].map((random) => nextPollDelaySeconds(plan({ random })));

    // Assess
    expect(delays).toEqual([45, 40]);
  });

  it("does not let the jitter take the wait below the minimum", () => {
    // Act
    const delay = nextPollDelaySeconds(plan({ progress: 0, random: 0.999 }));

    // Assess
    expect(delay).toBe(15);
  });

  it("always gives a whole number of seconds within [min, max]", () => {
    // Prepare
    const plans = [0, 1, 7, 33, 50, 99, 100].flatMap((progress) =>
      [0, 1, 59, 3600, 86_400].flatMap((elapsedSeconds) =>
        [0, 0.37, 0.999].map((random) => plan({ progress, elapsedSeconds, random })),
      ),
    );

    // Act
    const delays = plans.map(nextPollDelaySeconds);

    // Assess
    for (const delay of delays) {
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(15);
      expect(delay).toBeLessThanOrEqual(600);
    }
  });
});
