// The JobStore's promises about listing and the sweeper's queues, as one suite run against the
// in-memory fake and against DynamoDB Local, so the fake cannot drift from the real store.
import { beforeAll, describe, expect, it } from "vitest";
import { newJob } from "../../functions/core/create-replication.js";
import type { JobStatus, ReplicationJob } from "../../functions/core/job.js";
import { JOB_STATUSES } from "../../functions/core/job.js";
import type { JobListQuery, JobStore } from "../../functions/core/ports.js";

const ACCOUNT = "111122223333";
const NEIGHBOUR = "444455556666";
const THIRD = "777788889999";
const FOURTH = "888899990000";
const SNAPSHOTS = ["snap-0aaa0001", "snap-0bbb0002", "snap-0ccc0003"];
const T0 = Date.UTC(2026, 10, 25, 2, 0, 0);

const jobAt = (
  accountId: string,
  index: number,
  status: JobStatus,
  snapshotId: string,
): ReplicationJob => ({
  ...newJob(
    accountId,
    {
      snapshotId,
      sourceRegion: "ap-shanghai",
      destinationRegions: ["ap-mumbai"],
      name: `Copied ${snapshotId} from ap-shanghai`,
      tags: {},
    },
    `job-${accountId.slice(0, 4)}-${String(index).padStart(4, "0")}`,
    // Some jobs share a creation time: the job id breaks the tie.
    new Date(T0 + Math.floor(index / 2) * 1000),
  ),
  status,
});

/** Every page of a listing, as a caller walks them. */
const walk = async (store: JobStore, query: Omit<JobListQuery, "nextToken">) => {
  const pages: ReplicationJob[][] = [];
  let nextToken: string | undefined;
  do {
    const page = await store.listByAccount(ACCOUNT, {
      ...query,
      ...(nextToken ? { nextToken } : {}),
    });
    pages.push(page.jobs);
    nextToken = page.nextToken;
    if (pages.length > 200) throw new Error("the listing never ends");
  } while (nextToken);
  return pages;
};

const newestFirst = (jobs: ReplicationJob[]) =>
  [...jobs]
    .sort((a, b) => `${b.createdAt}#${b.jobId}`.localeCompare(`${a.createdAt}#${a.jobId}`))
    .map((job) => job.jobId);

export const jobStoreListingContract = (name: string, makeStore: () => Promise<JobStore>) => {
  describe(`${name}: listing an account with 250 jobs`, () => {
    let store: JobStore;
    const mine: ReplicationJob[] = [];

    beforeAll(async () => {
      store = await makeStore();
      for (let index = 0; index < 250; index++) {
        const status = JOB_STATUSES[index % JOB_STATUSES.length] ?? "PENDING";
        const job = jobAt(ACCOUNT, index, status, SNAPSHOTS[index % SNAPSHOTS.length] ?? "");
        mine.push(job);
        await store.create(job);
      }
      for (let index = 0; index < 30; index++) {
        await store.create(jobAt(NEIGHBOUR, index, "COMPLETED", SNAPSHOTS[0] ?? ""));
      }
    }, 120_000);

    it("visits every job exactly once, newest first, a page at a time", async () => {
      // Act
      const pages = await walk(store, { limit: 20 });

      // Assess
      expect(pages.length).toBeGreaterThan(3);
      expect(pages.flat().map((job) => job.jobId)).toEqual(newestFirst(mine));
    });

    it.each(JOB_STATUSES)(
      "visits every %s job exactly once over more than three pages",
      async (status) => {
        // Act
        const pages = await walk(store, { status, limit: 7 });

        // Assess
        expect(pages.length).toBeGreaterThan(3);
        expect(pages.flat().map((job) => job.jobId)).toEqual(
          newestFirst(mine.filter((job) => job.status === status)),
        );
      },
    );

    it.each(SNAPSHOTS)(
      "visits every job of %s exactly once over more than three pages",
      async (snapshotId) => {
        // Act
        const pages = await walk(store, { snapshotId, limit: 20 });

        // Assess
        expect(pages.length).toBeGreaterThan(3);
        expect(pages.flat().map((job) => job.jobId)).toEqual(
          newestFirst(mine.filter((job) => job.snapshotId === snapshotId)),
        );
      },
    );

    it("visits every job of one status and one snapshot exactly once over more than three pages", async () => {
      // Act
      const pages = await walk(store, { status: "FAILED", snapshotId: SNAPSHOTS[1], limit: 2 });

      // Assess
      const expected = newestFirst(
        mine.filter((job) => job.status === "FAILED" && job.snapshotId === SNAPSHOTS[1]),
      );
      expect(pages.length).toBeGreaterThan(3);
      expect(pages.flat().map((job) => job.jobId)).toEqual(expected);
    });

    it("refuses a page token from a listing with other filters", async () => {
      // Prepare
      const first = await store.listByAccount(ACCOUNT, { status: "FAILED", limit: 5 });

      // Act
      const listing = store.listByAccount(ACCOUNT, {
        status: "RUNNING",
        limit: 5,
        ...(first.nextToken ? { nextToken: first.nextToken } : {}),
      });

      // Assess
      expect(first.nextToken).toBeDefined();
      await expect(listing).rejects.toMatchObject({ code: "InvalidRequest" });
    });

    it("follows a job into its new status", async () => {
      // Prepare
      const job = jobAt(ACCOUNT, 900, "PENDING", "snap-0ddd0004");
      await store.create(job);

      // Act
      await store.apply(job.jobId, { status: "VALIDATING" }, new Date().toISOString());
      const pending = await store.listByAccount(ACCOUNT, {
        status: "PENDING",
        snapshotId: "snap-0ddd0004",
        limit: 10,
      });
      const validating = await store.listByAccount(ACCOUNT, {
        status: "VALIDATING",
        snapshotId: "snap-0ddd0004",
        limit: 10,
      });

      // Assess
      expect(pending.jobs).toEqual([]);
      expect(validating.jobs.map((listed) => listed.jobId)).toEqual([job.jobId]);
    });
  });

  describe(`${name}: the sweeper's queue`, () => {
    let store: JobStore;
    const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

    beforeAll(async () => {
      store = await makeStore();
    });

    it("holds an unfinished job from its creation, until it is finished", async () => {
      // Prepare
      const job = jobAt(ACCOUNT, 1, "PENDING", "snap-0eee0005");
      await store.create(job);
      const due = async () =>
        (await store.dueForSweep(ACCOUNT, at(3600), 100)).filter((j) => j.jobId === job.jobId);

      // Act
      const whilePending = await due();
      await store.apply(job.jobId, { status: "FAILED" }, at(10));
      const whenFinished = await due();

      // Assess
      expect(whilePending.map((j) => j.status)).toEqual(["PENDING"]);
      expect(whenFinished).toEqual([]);
    });

    it("gives a job again only once its next look is due", async () => {
      // Prepare
      const job = jobAt(ACCOUNT, 2, "PENDING", "snap-0eee0006");
      await store.create(job);
      await store.apply(job.jobId, { nextSweepAt: at(600) }, at(1));
      const ids = async (dueBy: string) =>
        (await store.dueForSweep(ACCOUNT, dueBy, 100))
          .map((j) => j.jobId)
          .filter((id) => id === job.jobId);

      // Act
      const before = await ids(at(599));
      const after = await ids(at(600));

      // Assess
      expect(before).toEqual([]);
      expect(after).toEqual([job.jobId]);
    });

    it("keeps a job cancelled with work left for the sweeper, until the sweeper is done with it", async () => {
      // Prepare
      const job = jobAt(ACCOUNT, 3, "RUNNING", "snap-0eee0007");
      await store.create(job);
      const due = async () =>
        (await store.dueForSweep(ACCOUNT, at(3600), 100)).filter((j) => j.jobId === job.jobId);

      // Act
      const cancelled = await store.apply(
        job.jobId,
        {
          status: "CANCELLED",
          copies: { "ap-mumbai": { status: "CANCELLED" } },
          cancellation: { by: ACCOUNT, at: at(5) },
          nextSweepAt: at(65),
        },
        at(5),
      );
      const whileCleaning = await due();
      await store.apply(
        job.jobId,
        {
          copies: { "ap-mumbai": { cleanup: { snapshotId: "snap-0fff0001", state: "DELETED" } } },
          sweepDone: true,
        },
        at(70),
      );
      const afterwards = await due();

      // Assess
      expect(cancelled.cancellation).toEqual({ by: ACCOUNT, at: at(5) });
      expect(whileCleaning.map((j) => j.status)).toEqual(["CANCELLED"]);
      expect(afterwards).toEqual([]);
      expect((await store.get(job.jobId))?.copies[0]?.cleanup).toEqual({
        snapshotId: "snap-0fff0001",
        state: "DELETED",
      });
    });
  });

  describe(`${name}: the sweeper's queues, one per account`, () => {
    let store: JobStore;
    const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

    beforeAll(async () => {
      store = await makeStore();
    });

    it("lists each account that has had a job in its queue once, the same way every time", async () => {
      // Prepare
      await store.create(jobAt(ACCOUNT, 10, "PENDING", "snap-0eee0010"));
      await store.create(jobAt(ACCOUNT, 11, "RUNNING", "snap-0eee0011"));
      await store.create(jobAt(NEIGHBOUR, 12, "PENDING", "snap-0eee0012"));

      // Act
      const first = await store.sweepAccounts();
      const second = await store.sweepAccounts();

      // Assess
      expect([...first].sort()).toEqual([ACCOUNT, NEIGHBOUR]);
      expect(second).toEqual(first);
    });

    it("keeps an account listed after its jobs have finished, with nothing due", async () => {
      // Prepare
      const job = jobAt(THIRD, 13, "PENDING", "snap-0eee0013");
      await store.create(job);
      await store.apply(job.jobId, { status: "FAILED" }, at(10));

      // Act
      const accounts = await store.sweepAccounts();
      const due = await store.dueForSweep(THIRD, at(3600), 100);

      // Assess
      expect(accounts).toContain(THIRD);
      expect(due).toEqual([]);
    });

    it("gives an account's due jobs apart from any other account's, earliest first, at most the limit", async () => {
      // Prepare: three jobs of one account due at 30, 10 and 20 s, one of another due at 5 s
      const mine = [14, 15, 16].map((index) =>
        jobAt(FOURTH, index, "RUNNING", `snap-0eee00${index}`),
      );
      const theirs = jobAt(THIRD, 17, "RUNNING", "snap-0eee0017");
      for (const job of [...mine, theirs]) await store.create(job);
      const dueAt = [30, 10, 20];
      for (const [index, job] of mine.entries()) {
        await store.apply(job.jobId, { nextSweepAt: at(3000 + (dueAt[index] ?? 0)) }, at(1));
      }
      await store.apply(theirs.jobId, { nextSweepAt: at(3005) }, at(1));
      const ids = async (accountId: string, dueBy: string, limit: number) =>
        (await store.dueForSweep(accountId, dueBy, limit)).map((job) => job.jobId);

      // Act
      const firstTwo = await ids(FOURTH, at(4000), 2);
      const dueBy25 = await ids(FOURTH, at(3025), 10);
      const neighbours = await ids(THIRD, at(4000), 10);

      // Assess
      expect(firstTwo).toEqual([mine[1]?.jobId, mine[2]?.jobId]);
      expect(dueBy25).toEqual([mine[1]?.jobId, mine[2]?.jobId]);
      expect(neighbours).toEqual([theirs.jobId]);
    });
  });
};
