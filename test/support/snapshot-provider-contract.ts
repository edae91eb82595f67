// The SnapshotProvider port's promises that the sweep of second copies (core/second-copies.ts)
// stands on, as one suite run against the in-memory fake and against the local cloud through the
// EC2 adapter: a tag search finds copies still pending, only by every tag asked and only in the
// account asked; a pending copy can be deleted, and deleting it twice is no error. The copy
// slots stand on one more: the copies pending that are not snaprelay's are counted, its own not.
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { TAG_JOB_ID } from "../../functions/core/copy-tags.js";
import type { SnapshotProvider } from "../../functions/core/ports.js";

/** What a case needs besides the provider. */
export interface SnapshotWorld {
  provider: SnapshotProvider;
  /** The account the cases act in. */
  accountId: string;
  /** Another account the provider can act in too. */
  otherAccountId: string;
  /** The region the copies go to (they stay pending there while a case runs). */
  destinationRegion: string;
  /** A completed snapshot of `accountId` to copy, in a region other than the destination. */
  source(accountId: string): Promise<{ region: string; snapshotId: string }>;
}

const TAG_JOB = "contract:job";
const TAG_SOURCE = "contract:source";

export const snapshotProviderContract = (name: string, makeWorld: () => Promise<SnapshotWorld>) => {
  describe(`${name}: snapshots found by their tags`, () => {
    let world: SnapshotWorld;
    let job: string;

    beforeEach(async () => {
      world = await makeWorld();
      // Values of their own for each case: the cloud may be shared.
      job = `job-${randomUUID()}`;
    });

    const copyOf = async (tags: Record<string, string>, accountId = world.accountId) => {
      const { region, snapshotId } = await world.source(accountId);
      return world.provider.startCopy({
        accountId,
        sourceRegion: region,
        sourceSnapshotId: snapshotId,
        destinationRegion: world.destinationRegion,
        description: `a copy for ${job}`,
        tags,
      });
    };

    const tagged = (accountId = world.accountId) =>
      world.provider.findTagged(accountId, world.destinationRegion, {
        [TAG_JOB]: [job],
        [TAG_SOURCE]: ["snap-1"],
      });

    it("lists a copy just started, pending, with its description, start time and tags", async () => {
      // Prepare
      const copyId = await copyOf({ [TAG_JOB]: job, [TAG_SOURCE]: "snap-1", team: "dr" });

      // Act
      const found = await tagged();

      // Assess
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({
        snapshotId: copyId,
        region: world.destinationRegion,
        description: `a copy for ${job}`,
        tags: { [TAG_JOB]: job, [TAG_SOURCE]: "snap-1", team: "dr" },
      });
      expect(found[0]?.state).toBe("pending");
      expect(Number.isNaN(Date.parse(found[0]?.startTime ?? ""))).toBe(false);
    });

    it("leaves out a snapshot that lacks a tag asked for, carries another value, or is another account's", async () => {
      // Prepare
      const wanted = await copyOf({ [TAG_JOB]: job, [TAG_SOURCE]: "snap-1" });
      await copyOf({ [TAG_JOB]: job });
      await copyOf({ [TAG_JOB]: `${job}-other`, [TAG_SOURCE]: "snap-1" });
      await copyOf({ [TAG_JOB]: job, [TAG_SOURCE]: "snap-1" }, world.otherAccountId);

      // Act
      const found = await tagged();

      // Assess
      expect(found.map((view) => view.snapshotId)).toEqual([wanted]);
    });

    it("deletes a copy still pending, and a second delete of it is no error", async () => {
      // Prepare
      const copyId = await copyOf({ [TAG_JOB]: job, [TAG_SOURCE]: "snap-1" });

      // Act
      await world.provider.delete(world.accountId, world.destinationRegion, copyId);
      const again = world.provider.delete(world.accountId, world.destinationRegion, copyId);

      // Assess
      await expect(again).resolves.toBeUndefined();
      expect(await tagged()).toEqual([]);
      expect(
        await world.provider.describe(world.accountId, world.destinationRegion, copyId),
      ).toBeUndefined();
    });

    it("counts the pending copies that are not snaprelay's: not its own, nor another account's", async () => {
      // Prepare
      const count = () =>
        world.provider.countForeignPending(world.accountId, world.destinationRegion);
      const before = await count();

      // Act
      await copyOf({ [TAG_JOB]: job, team: "another tool" });
      await copyOf({ [TAG_JOB_ID]: job, [TAG_SOURCE]: "snap-1" });
      await copyOf({ [TAG_JOB]: job }, world.otherAccountId);
      const after = await count();

      // Assess
      expect(after - before).toBe(1);
    });
  });
};
