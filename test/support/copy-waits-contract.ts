// The CopyWaits port's promises, as one suite run against the in-memory fake and against DynamoDB
// Local: a copy's wait and its end meet whichever comes first, by region and snapshot id.
import { beforeEach, describe, expect, it } from "vitest";
import type { CopyWaits } from "../../functions/core/ports.js";

const LATER = new Date(Date.UTC(2026, 11, 10));
const ACCOUNT = "111122223333";
const OTHER_ACCOUNT = "999988887777";

export const copyWaitsContract = (name: string, makeWaits: () => Promise<CopyWaits>) => {
  describe(`${name}: copy waits meeting copy ends`, () => {
    let waits: CopyWaits;
    let snapshotId: string;
    let count = 0;

    beforeEach(async () => {
      waits = await makeWaits();
      count += 1;
      // A snapshot of its own for each test: the store may be shared.
      snapshotId = `snap-${(0xa000 + count).toString(16)}`;
    });

    it("hands the end recorded first to the wait that comes after it", async () => {
      // Prepare
      const waiterSeen = await waits.end(
        "ap-mumbai",
        snapshotId,
        { account: ACCOUNT, result: "failed", cause: "disk gone", endedAt: "2026-12-03T10:00:00Z" },
        LATER,
      );

      // Act
      const end = await waits.wait(
        "ap-mumbai",
        snapshotId,
        { jobId: "job-1", accountId: ACCOUNT, token: "token-1" },
        LATER,
      );

      // Assess
      expect(waiterSeen).toEqual({ kind: "unclaimed" });
      expect(end).toEqual({
        account: ACCOUNT,
        result: "failed",
        cause: "disk gone",
        endedAt: "2026-12-03T10:00:00Z",
      });
    });

    it("hands the wait recorded first to the end that comes after it, with its latest token", async () => {
      // Prepare
      const before = await waits.wait(
        "ap-mumbai",
        snapshotId,
        { jobId: "job-1", accountId: ACCOUNT, token: "token-1" },
        LATER,
      );
      await waits.wait(
        "ap-mumbai",
        snapshotId,
        { jobId: "job-1", accountId: ACCOUNT, token: "token-2" },
        LATER,
      );

      // Act
      const waiter = await waits.end(
        "ap-mumbai",
        snapshotId,
        { account: ACCOUNT, result: "succeeded" },
        LATER,
      );

      // Assess
      expect(before).toBeUndefined();
      expect(waiter).toEqual({
        kind: "waiting",
        waiter: { jobId: "job-1", accountId: ACCOUNT, token: "token-2" },
      });
    });

    it("keeps the same snapshot id in two regions apart", async () => {
      // Prepare
      await waits.end("ap-beijing", snapshotId, { account: ACCOUNT, result: "succeeded" }, LATER);

      // Act
      const end = await waits.wait(
        "ap-mumbai",
        snapshotId,
        { jobId: "job-1", accountId: ACCOUNT, token: "token-1" },
        LATER,
      );

      // Assess
      expect(end).toBeUndefined();
    });

    it("answers a repeated end with the same wait, and changes nothing else", async () => {
      // Prepare
      await waits.wait(
        "ap-mumbai",
        snapshotId,
        { jobId: "job-1", accountId: ACCOUNT, token: "token-1" },
        LATER,
      );
      const end = { account: ACCOUNT, result: "succeeded" as const };

      // Act
      const first = await waits.end("ap-mumbai", snapshotId, end, LATER);
      const second = await waits.end("ap-mumbai", snapshotId, end, LATER);

      // Assess
      expect(second).toEqual(first);
    });

    it("refuses the end of another account's event once the copy's wait is recorded", async () => {
      // Prepare
      await waits.wait(
        "ap-mumbai",
        snapshotId,
        { jobId: "job-1", accountId: ACCOUNT, token: "token-1" },
        LATER,
      );

      // Act
      const foreign = await waits.end(
        "ap-mumbai",
        snapshotId,
        { account: OTHER_ACCOUNT, result: "failed", cause: "forged" },
        LATER,
      );
      const again = await waits.wait(
        "ap-mumbai",
        snapshotId,
        { jobId: "job-1", accountId: ACCOUNT, token: "token-2" },
        LATER,
      );

      // Assess
      expect(foreign).toEqual({ kind: "foreign" });
      expect(again).toBeUndefined();
    });

    it("keeps a genuine end that another account's event follows before the wait", async () => {
      // Prepare
      await waits.end(
        "ap-mumbai",
        snapshotId,
        { account: ACCOUNT, result: "succeeded", endedAt: "2026-12-03T10:00:00Z" },
        LATER,
      );
      await waits.end(
        "ap-mumbai",
        snapshotId,
        { account: OTHER_ACCOUNT, result: "failed", cause: "forged" },
        LATER,
      );

      // Act
      const end = await waits.wait(
        "ap-mumbai",
        snapshotId,
        { jobId: "job-1", accountId: ACCOUNT, token: "token-1" },
        LATER,
      );

      // Assess
      expect(end).toEqual({
        account: ACCOUNT,
        result: "succeeded",
        endedAt: "2026-12-03T10:00:00Z",
      });
    });

    it("never hands another account's end to a wait", async () => {
      // Prepare
      await waits.end(
        "ap-mumbai",
        snapshotId,
        { account: OTHER_ACCOUNT, result: "succeeded" },
        LATER,
      );

      // Act
      const end = await waits.wait(
        "ap-mumbai",
        snapshotId,
        { jobId: "job-1", accountId: ACCOUNT, token: "token-1" },
        LATER,
      );

      // Assess
      expect(end).toBeUndefined();
    });
  });
};
