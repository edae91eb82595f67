// Injected faults for tests of the callers' retry and failure paths: throttled calls and failed
// copies, each with the share set by the knobs in force at the moment of the call.
import type { LocalCloudKnobs } from "./options.js";

export class Faults {
  constructor(
    private readonly knobs: LocalCloudKnobs,
    private readonly random: () => number = Math.random,
  ) {}

  throttlesThisCall(): boolean {
    return this.random() < this.knobs.throttleRate;
  }

  /**
   * How far through the blocks it sends a new copy fails (0..1), or undefined if it is to succeed.
   * Somewhere in the middle, so that callers see some progress before the error.
   */
  copyFailureShare(): number | undefined {
    if (!(this.random() < this.knobs.copyFailureRate)) return undefined;
    return 0.1 + 0.8 * this.random();
  }
}
