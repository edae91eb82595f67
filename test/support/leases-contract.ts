// The Leases port's promises, run against the in-memory fake and against DynamoDB Local: one
// holder at a time until its time is up, and the cursor its run left for the next.
import { beforeEach, describe, expect, it } from "vitest";
import type { Leases } from "../../functions/core/ports.js";

const at = (second: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, second));

export const leasesContract = (name: string, makeLeases: () => Promise<Leases>) => {
  describe(`${name}: leases`, () => {
    let leases: Leases;
    let lease: string;
    let count = 0;

    beforeEach(async () => {
      leases = await makeLeases();
      count += 1;
      // A lease of its own for each test: the store may be shared.
      lease = `sweeper-${Date.now()}-${count}`;
    });

    it("is held by one run at a time, until that run's time is up", async () => {
      // Act
      const first = await leases.claim(lease, "run-1", at(0), at(50));
      const overlapping = await leases.claim(lease, "run-2", at(30), at(80));
      const afterItsTime = await leases.claim(lease, "run-3", at(51), at(100));

      // Assess
      expect(first).toEqual({});
      expect(overlapping).toBe(false);
      expect(afterItsTime).toEqual({});
    });

    it("hands the cursor a run finished with to the next run", async () => {
      // Prepare
      await leases.claim(lease, "run-1", at(0), at(50));

      // Act
      await leases.finish(lease, "run-1", "pool-0042");
      const next = await leases.claim(lease, "run-2", at(1), at(51));

      // Assess
      expect(next).toEqual({ cursor: "pool-0042" });
    });

    it("starts from the beginning after a run that went all the way round", async () => {
      // Prepare
      await leases.claim(lease, "run-1", at(0), at(50));
      await leases.finish(lease, "run-1", "pool-0042");
      await leases.claim(lease, "run-2", at(1), at(51));

      // Act
      await leases.finish(lease, "run-2", undefined);
      const next = await leases.claim(lease, "run-3", at(2), at(52));

      // Assess
      expect(next).toEqual({});
    });

    it("keeps the cursor of the run that holds it now when an overdue run finishes late", async () => {
      // Prepare: run-1 overran its time, run-2 took over and finished
      await leases.claim(lease, "run-1", at(0), at(50));
      await leases.claim(lease, "run-2", at(51), at(100));
      await leases.finish(lease, "run-2", "pool-0099");

      // Act
      await leases.finish(lease, "run-1", "pool-0001");
      const next = await leases.claim(lease, "run-3", at(101), at(150));

      // Assess
      expect(next).toEqual({ cursor: "pool-0099" });
    });
  });
};
