// The JobStore's promises about listing, the sweeper's queues and the work in flight (the copies
// queued per region, the unfinished jobs of one snapshot), as one suite run against the in-memory
// fake and against DynamoDB Local, so the fake cannot drift from the real store.
import { beforeAll, describe, expect, it } from "vitest";
import { newJob } from "../../functions/core/create-replication.js";
import type { CopyStatus, JobStatus, ReplicationJob } from "../../functions/core/job.js";
import { JOB_STATUSES } from "../../functions/core/job.js";
import type { JobChange, JobListQuery, JobStore } from "../../functions/core/ports.js";

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

let jobsMade = 0;
/**
 * A job of `accountId` copying `snapshotId` to two regions, its copies in `copyStatus`; each one
 * made a second after the one before.
 */
const jobCopying = (
  accountId: string,
  jobId: string,
  status: JobStatus,
  copyStatus: CopyStatus,
  snapshotId = "snap-0aaa1000",
  sourceRegion = "ap-shanghai",
): ReplicationJob => {
  const job = newJob(
    accountId,
    {
      snapshotId,
      sourceRegion,
      destinationRegions: ["ap-mumbai", "ap-beijing"],
      name: `Copied ${snapshotId} from ${sourceRegion}`,
      tags: {},
    },
    jobId,
    new Date(T0 + ++jobsMade * 1000),
  );
  return {
    ...job,
    status,
    copies: job.copies.map((copy) => ({ ...copy, status: copyStatus })),
  };
};

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

  describe(`${name}: the copies queued to a region`, () => {
    let store: JobStore;
    const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
    const queued = (accountId: string, region = "ap-mumbai") =>
      store.countQueuedCopies(accountId, region, "job-not-asking");
    /** Applies `change` twice, as a step retried after its write went through does. */
    const applyTwice = async (jobId: string, change: JobChange) => {
      await store.apply(jobId, change, at(10));
      await store.apply(jobId, change, at(11));
    };

    beforeAll(async () => {
      store = await makeStore();
    });

    it("counts a job's queued copies once, however often its creation is retried", async () => {
      // Prepare
      const account = "100000000001";
      const job = jobCopying(account, "job-q-000001", "RUNNING", "QUEUED");
      const claim = { key: "retried-request", requestHash: "hash-1" };

      // Act
      const first = await store.create(job, claim);
      const replayed = await store.create(job, claim);
      const again = store.create(job);

      // Assess
      await expect(again).rejects.toThrow();
      expect([first.created, replayed.created]).toEqual([true, false]);
      expect(await queued(account, "ap-mumbai")).toBe(1);
      expect(await queued(account, "ap-beijing")).toBe(1);
    });

    it("counts a copy once it is queued, however often the step that queued it is retried", async () => {
      // Prepare
      const account = "100000000002";
      const job = jobCopying(account, "job-q-000002", "PENDING", "PENDING");
      await store.create(job);
      const before = await queued(account);

      // Act
      await store.apply(job.jobId, { status: "VALIDATING" }, at(5));
      await applyTwice(job.jobId, {
        status: "RUNNING",
        copies: { "ap-mumbai": { status: "QUEUED" }, "ap-beijing": { status: "QUEUED" } },
      });

      // Assess
      expect(before).toBe(0);
      expect(await queued(account, "ap-mumbai")).toBe(1);
      expect(await queued(account, "ap-beijing")).toBe(1);
    });

    it("leaves the asking job's own queued copies out of the count", async () => {
      // Prepare
      const account = "100000000003";
      const asking = jobCopying(account, "job-q-000003", "RUNNING", "QUEUED");
      const other = jobCopying(account, "job-q-000004", "RUNNING", "QUEUED");
      await store.create(asking);
      await store.create(other);

      // Act
      const forAsking = await store.countQueuedCopies(account, "ap-mumbai", asking.jobId);
      const forAnyone = await queued(account);

      // Assess
      expect(forAsking).toBe(1);
      expect(forAnyone).toBe(2);
    });

    it("keeps each account's count apart", async () => {
      // Prepare
      await store.create(jobCopying("100000000004", "job-q-000005", "RUNNING", "QUEUED"));

      // Act
      const neighbour = await queued("100000000005");

      // Assess
      expect(await queued("100000000004")).toBe(1);
      expect(neighbour).toBe(0);
    });

    it("takes a copy that starts out of the count, once however often the start is retried", async () => {
      // Prepare: a second job stays queued, so a start counted off twice would show
      const account = "100000000006";
      const starting = jobCopying(account, "job-q-000006", "RUNNING", "QUEUED");
      await store.create(starting);
      await store.create(jobCopying(account, "job-q-000007", "RUNNING", "QUEUED"));

      // Act
      await applyTwice(starting.jobId, {
        copies: { "ap-mumbai": { status: "COPYING", destinationSnapshotId: "snap-0c0b0001" } },
      });

      // Assess
      expect(await queued(account, "ap-mumbai")).toBe(1);
      expect(await queued(account, "ap-beijing")).toBe(2);
    });

    const leaving: Array<[string, string, JobChange]> = [
      [
        "cancelled",
        "100000000101",
        {
          status: "CANCELLED",
          copies: { "ap-mumbai": { status: "CANCELLED" }, "ap-beijing": { status: "CANCELLED" } },
        },
      ],
      ["failed with its copies still queued", "100000000102", { status: "FAILED" }],
      [
        "failed with its copies failed",
        "100000000103",
        {
          status: "FAILED",
          copies: { "ap-mumbai": { status: "FAILED" }, "ap-beijing": { status: "FAILED" } },
        },
      ],
    ];
    it.each(leaving)(
      "takes a %s job's copies out of the count, once however often it is retried",
      async (_, account, change) => {
        // Prepare: a second job stays queued, so copies counted off twice would show
        const leaver = jobCopying(account, `job-q-${account}`, "RUNNING", "QUEUED");
        await store.create(leaver);
        await store.create(jobCopying(account, `job-q-${account}-stays`, "RUNNING", "QUEUED"));

        // Act
        await applyTwice(leaver.jobId, change);

        // Assess
        expect(await queued(account, "ap-mumbai")).toBe(1);
        expect(await queued(account, "ap-beijing")).toBe(1);
      },
    );

    it("takes one failed copy out of the count and leaves its queued sibling in", async () => {
      // Prepare
      const account = "100000000007";
      const job = jobCopying(account, "job-q-000008", "RUNNING", "QUEUED");
      await store.create(job);

      // Act
      await applyTwice(job.jobId, { copies: { "ap-mumbai": { status: "FAILED" } } });

      // Assess
      expect(await queued(account, "ap-mumbai")).toBe(0);
      expect(await queued(account, "ap-beijing")).toBe(1);
    });

    it("never counts a rejected job's copies", async () => {
      // Prepare
      const account = "100000000008";
      const job = jobCopying(account, "job-q-000009", "VALIDATING", "PENDING");
      await store.create(job);
      await store.create(jobCopying(account, "job-q-000010", "RUNNING", "QUEUED"));

      // Act
      await applyTwice(job.jobId, {
        status: "REJECTED",
        error: { code: "QuotaExceeded", message: "full" },
        copies: { "ap-mumbai": { status: "CANCELLED" }, "ap-beijing": { status: "CANCELLED" } },
      });

      // Assess
      expect(await queued(account, "ap-mumbai")).toBe(1);
      expect(await queued(account, "ap-beijing")).toBe(1);
    });

    it("counts nothing for a change it refuses", async () => {
      // Prepare
      const account = "100000000009";
      const job = jobCopying(account, "job-q-000011", "COMPLETED", "COMPLETED");
      await store.create(job);

      // Act
      const attempt = store.apply(
        job.jobId,
        { copies: { "ap-mumbai": { status: "QUEUED" } } },
        at(10),
      );

      // Assess
      await expect(attempt).rejects.toMatchObject({ code: "IllegalTransition" });
      expect(await queued(account)).toBe(0);
    });
  });

  describe(`${name}: the unfinished jobs of one snapshot`, () => {
    let store: JobStore;
    const account = "200000000001";
    const snapshotId = "snap-0aaa2000";

    beforeAll(async () => {
      store = await makeStore();
    });

    it("finds the jobs of one snapshot, oldest first, and none of the account's other jobs", async () => {
      // Prepare
      const older = jobCopying(account, "job-s-000001", "RUNNING", "QUEUED", snapshotId);
      const newer = jobCopying(account, "job-s-000002", "PENDING", "PENDING", snapshotId);
      const others = [
        jobCopying(account, "job-s-000003", "RUNNING", "QUEUED", "snap-0aaa2001"),
        jobCopying(account, "job-s-000004", "COMPLETED", "COMPLETED", snapshotId),
        jobCopying(account, "job-s-000005", "RUNNING", "COPYING", snapshotId, "ap-guangzhou"),
        jobCopying("200000000002", "job-s-000006", "RUNNING", "QUEUED", snapshotId),
      ];
      for (const job of [newer, ...others, older]) await store.create(job);

      // Act
      const found = await store.activeJobsFor(account, "ap-shanghai", snapshotId);

      // Assess
      expect(found.map((job) => job.jobId)).toEqual([older.jobId, newer.jobId]);
      expect(found[0]).toEqual(older);
    });

    it("forgets a job of the snapshot once it finishes", async () => {
      // Prepare
      const job = jobCopying(account, "job-s-000010", "RUNNING", "QUEUED", "snap-0aaa2010");
      await store.create(job);
      const during = await store.activeJobsFor(account, "ap-shanghai", "snap-0aaa2010");

      // Act
      await store.apply(job.jobId, { status: "FAILED" }, new Date(T0 + 60_000).toISOString());
      const after = await store.activeJobsFor(account, "ap-shanghai", "snap-0aaa2010");

      // Assess
      expect(during.map((found) => found.jobId)).toEqual([job.jobId]);
      expect(after).toEqual([]);
    });
  });
};
