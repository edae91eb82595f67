// Which copies retention deletes: only completed copies count, the newest always stays, a copy
// goes only when every rule lets it go, and one a running job uses is spared.
import { describe, expect, it } from "vitest";
import { planRetention } from "../../functions/core/policies/retention-plan.js";

const NOW = new Date("2026-12-10T00:00:00.000Z");
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
/** snap-d1 is one day old, snap-d2 two days, … */
const copies = (...ages: number[]) =>
  ages.map((age) => ({ snapshotId: `snap-d${age}`, time: daysAgo(age) }));
const deleted = (plan: ReturnType<typeof planRetention>) =>
  plan.delete.map((copy) => copy.snapshotId).sort();

describe("retention", () => {
  it("keeps the newest N copies by count", () => {
    const plan = planRetention(copies(5, 1, 3, 2, 4), { count: 3 }, NOW);
    expect(deleted(plan)).toEqual(["snap-d4", "snap-d5"]);
  });

  it("keeps copies younger than D days by age", () => {
    const plan = planRetention(copies(1, 2, 3, 4, 5), { maxAgeDays: 3 }, NOW);
    expect(deleted(plan)).toEqual(["snap-d4", "snap-d5"]);
  });

  it("deletes only what both rules let go when both are given", () => {
    // Beyond the newest 2: d3, d4, d10. Older than 3 days: d4, d10.
    const plan = planRetention(copies(1, 2, 3, 4, 10), { count: 2, maxAgeDays: 3 }, NOW);
    expect(deleted(plan)).toEqual(["snap-d10", "snap-d4"]);
  });

  it("always keeps the newest copy, however old", () => {
    const plan = planRetention(copies(40, 50), { maxAgeDays: 30 }, NOW);
    expect(plan.keep.map((copy) => copy.snapshotId)).toEqual(["snap-d40"]);
    expect(deleted(plan)).toEqual(["snap-d50"]);
  });

  it("spares a copy a running job uses", () => {
    const plan = planRetention(copies(1, 2, 3, 4), { count: 1 }, NOW, new Set(["snap-d3"]));
    expect(deleted(plan)).toEqual(["snap-d2", "snap-d4"]);
    expect(plan.spared.map((copy) => copy.snapshotId)).toEqual(["snap-d3"]);
  });

  it("says why each copy goes", () => {
    const plan = planRetention(copies(1, 2), { count: 1 }, NOW);
    expect(plan.delete[0]?.reason).toBe("retention deletes copies beyond the newest 1");
  });

  it("deletes nothing from an empty destination", () => {
    expect(planRetention([], { count: 1 }, NOW)).toEqual({ keep: [], delete: [], spared: [] });
  });
});
