// The PolicyStore's promises, as one suite run against the in-memory fake and against DynamoDB
// Local, so the fake the domain's tests use cannot drift from the real store.
import { describe, expect, it } from "vitest";
import type { DrPolicy } from "../../functions/core/policies/policy.js";
import type { PolicyRun, RecoveryPoint, RunVolume } from "../../functions/core/policies/records.js";
import type { PolicyStore } from "../../functions/core/ports.js";

const ACCOUNT = "111122223333";
const T0 = Date.UTC(2026, 11, 3, 0, 0, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
let sequence = 0;

const aPolicy = (fields: Partial<DrPolicy> = {}): DrPolicy => {
  sequence += 1;
  return {
    policyId: `pol-${sequence}-${Math.random().toString(36).slice(2, 8)}`,
    accountId: ACCOUNT,
    name: "orders-db-dr",
    sourceRegion: "ap-shanghai",
    selector: { volumeIds: [], tags: { dr: "true" } },
    destinationRegions: ["ap-mumbai"],
    schedule: "rate(1 hour)",
    timeZone: "UTC",
    retention: { count: 3 },
    rpoMinutes: 60,
    enabled: true,
    createdAt: at(0),
    updatedAt: at(0),
    nextRunAt: at(60),
    lastRunAt: null,
    ...fields,
  };
};

const aRun = (policy: DrPolicy, fields: Partial<PolicyRun> = {}): PolicyRun => ({
  policyId: policy.policyId,
  runId: policy.nextRunAt ?? at(0),
  accountId: policy.accountId,
  trigger: "schedule",
  scheduledFor: policy.nextRunAt ?? at(0),
  startedAt: policy.nextRunAt ?? at(0),
  status: "STARTING",
  finishedAt: null,
  resumeAt: at(62),
  selectedVolumes: 0,
  jobs: [],
  skipped: [],
  failures: [],
  error: null,
  ...fields,
});

const aPoint = (sourceMinutes: number, jobId = "job-1"): RecoveryPoint => ({
  sourceSnapshotId: `snap-${sourceMinutes}`,
  sourceTime: at(sourceMinutes),
  copySnapshotId: `snap-copy-${sourceMinutes}`,
  jobId,
  copiedAt: at(sourceMinutes + 5),
});

export const policyStoreContract = (name: string, makeStore: () => Promise<PolicyStore>) => {
  describe(`${name}: policies`, () => {
    it("reads back a policy as it was stored, and refuses the same id twice", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      await store.create(policy);
      expect(await store.get(policy.policyId)).toEqual(policy);
      await expect(store.create(policy)).rejects.toThrow();
    });

    it("replaces only a policy that exists", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      expect(await store.replace(policy)).toBe(false);
      await store.create(policy);
      expect(await store.replace({ ...policy, name: "renamed" })).toBe(true);
      expect((await store.get(policy.policyId))?.name).toBe("renamed");
    });

    it("lists an account's policies page by page, and no other account's", async () => {
      const store = await makeStore();
      const account = `9${String(sequence).padStart(11, "0")}`;
      const mine = [aPolicy({ accountId: account }), aPolicy({ accountId: account })];
      mine.push(aPolicy({ accountId: account }));
      for (const policy of mine) await store.create(policy);
      await store.create(aPolicy({ accountId: "444455556666" }));
      const first = await store.listByAccount(account, 2);
      const second = await store.listByAccount(account, 2, first.nextToken);
      const ids = [...first.policies, ...second.policies].map((policy) => policy.policyId);
      expect(ids.sort()).toEqual(mine.map((policy) => policy.policyId).sort());
      expect(second.nextToken).toBeUndefined();
    });

    it("finds an enabled policy due by its next run, and neither a paused nor a later one", async () => {
      const store = await makeStore();
      const due = aPolicy({ nextRunAt: at(-100_000) });
      const paused = aPolicy({ nextRunAt: null, enabled: false });
      const later = aPolicy({ nextRunAt: at(100_000) });
      for (const policy of [due, paused, later]) await store.create(policy);
      const found = (await store.due(ACCOUNT, at(-50_000), 100)).map((policy) => policy.policyId);
      expect(found).toContain(due.policyId);
      expect(found).not.toContain(paused.policyId);
      expect(found).not.toContain(later.policyId);
    });

    it("lists each account with policies once, and keeps each account's due policies apart", async () => {
      const store = await makeStore();
      const other = String(Math.floor(1e11 + Math.random() * 8.9e11));
      const mine = aPolicy({ nextRunAt: at(-100_000) });
      const theirs = [
        aPolicy({ accountId: other, nextRunAt: at(-100_000) }),
        aPolicy({ accountId: other, nextRunAt: at(-90_000) }),
      ];
      for (const policy of [mine, ...theirs]) await store.create(policy);

      const accounts = await store.policyAccounts();
      const dueOfOther = await store.due(other, at(-50_000), 100);

      expect(accounts.filter((account) => account === other)).toEqual([other]);
      expect(accounts).toContain(ACCOUNT);
      expect(dueOfOther.map((policy) => policy.policyId)).toEqual(
        theirs.map((policy) => policy.policyId),
      );
    });

    it("deletes a policy and its targets", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      await store.create(policy);
      await store.assignJob(
        { policyId: policy.policyId, volumeId: "vol-1", destinationRegion: "ap-mumbai" },
        "job-1",
        at(0),
        at(60),
        null,
      );
      await store.delete(policy.policyId);
      expect(await store.get(policy.policyId)).toBeUndefined();
      expect(await store.targets(policy.policyId)).toEqual([]);
    });
  });

  describe(`${name}: runs`, () => {
    it("claims a due run once, moving the next run on", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      await store.create(policy);
      const claims = await Promise.all([
        store.claimRun(policy, aRun(policy), at(120)),
        store.claimRun(policy, aRun(policy), at(120)),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await store.get(policy.policyId))?.nextRunAt).toBe(at(120));
      expect(await store.claimRun(policy, aRun(policy), at(120))).toBe(false);
    });

    it("claims no run of a policy replaced since it was read", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      await store.create(policy);
      await store.replace({ ...policy, destinationRegions: ["ap-beijing"], updatedAt: at(5) });
      expect(await store.claimRun(policy, aRun(policy), at(120))).toBe(false);
    });

    it("claims no run of a policy paused meanwhile", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      await store.create(policy);
      await store.replace({ ...policy, enabled: false, nextRunAt: null });
      expect(await store.claimRun(policy, aRun(policy), at(120))).toBe(false);
    });

    it("takes up a STARTING run when its time comes, and forgets it once saved STARTED", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      await store.create(policy);
      const run = aRun(policy, { resumeAt: at(-200_000) });
      expect(await store.addRun(run)).toBe(true);
      expect(await store.addRun(run)).toBe(false);
      const resumable = async () =>
        (await store.runsToResume(at(-150_000), 100)).filter((r) => r.policyId === policy.policyId);
      expect(await resumable()).toHaveLength(1);
      const claims = await Promise.all([
        store.claimResume(run, at(-100_000)),
        store.claimResume(run, at(-100_000)),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await resumable()).toEqual([]);
      await store.saveRun({ ...run, status: "STARTED", resumeAt: null, finishedAt: at(1) });
      expect(await resumable()).toEqual([]);
      expect((await store.getRun(policy.policyId, run.runId))?.status).toBe("STARTED");
    });

    it("keeps every volume of a run as its own item, listed page by page and by outcome", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      const runId = at(60);
      const volume = (n: number) => `vol-${String(n).padStart(17, "0")}`;
      const recorded: RunVolume[] = Array.from({ length: 120 }, (_, n): RunVolume => {
        if (n < 60) {
          return {
            outcome: "job",
            volumeId: volume(n),
            snapshotId: `snap-${n}`,
            jobId: `job-${n}`,
            destinationRegions: ["ap-mumbai"],
          };
        }
        if (n < 110) {
          return {
            outcome: "skipped",
            volumeId: volume(n),
            snapshotId: null,
            reason: "no snapshot",
          };
        }
        return { outcome: "failed", volumeId: volume(n), code: "JobNotCreated", message: "busy" };
      });
      await store.recordRunVolumes(policy.policyId, runId, recorded);
      // A volume recorded again (a run taken up again gave it a job) is written over.
      await store.recordRunVolumes(policy.policyId, runId, [
        { ...(recorded[0] as RunVolume & { outcome: "job" }), jobId: "job-again" },
        {
          outcome: "job",
          volumeId: volume(60),
          snapshotId: "snap-60",
          jobId: "job-60",
          destinationRegions: ["ap-mumbai"],
        },
      ]);

      const all: RunVolume[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await store.runVolumes(policy.policyId, runId, { limit: 50, nextToken });
        all.push(...page.volumes);
        nextToken = page.nextToken;
        pages += 1;
      } while (nextToken);
      expect(all).toHaveLength(120);
      expect(pages).toBeGreaterThanOrEqual(3);
      const jobs = await store.runVolumes(policy.policyId, runId, { limit: 500, outcome: "job" });
      expect(jobs.volumes).toHaveLength(61);
      expect(jobs.volumes[0]).toEqual({ ...recorded[0], jobId: "job-again" });
      const failed = await store.runVolumes(policy.policyId, runId, {
        limit: 500,
        outcome: "failed",
      });
      expect(failed.volumes.map((v) => v.volumeId)).toEqual(
        Array.from({ length: 10 }, (_, n) => volume(110 + n)),
      );
      // Another run's volumes are not this run's.
      expect((await store.runVolumes(policy.policyId, at(120), { limit: 10 })).volumes).toEqual([]);
    });

    it("refuses a page token of another run's volumes", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      await store.recordRunVolumes(
        policy.policyId,
        at(60),
        Array.from(
          { length: 3 },
          (_, n): RunVolume => ({
            outcome: "skipped",
            volumeId: `vol-${n}`,
            snapshotId: null,
            reason: "no snapshot",
          }),
        ),
      );
      const { nextToken } = await store.runVolumes(policy.policyId, at(60), { limit: 1 });
      expect(nextToken).toBeDefined();
      await expect(
        store.runVolumes(policy.policyId, at(120), { limit: 1, nextToken }),
      ).rejects.toMatchObject({ code: "InvalidRequest" });
    });

    it("lists a policy's runs newest first", async () => {
      const store = await makeStore();
      const policy = aPolicy();
      for (const minutes of [60, 180, 120]) {
        await store.addRun(aRun(policy, { runId: at(minutes), startedAt: at(minutes) }));
      }
      const runs = await store.recentRuns(policy.policyId, 2);
      expect(runs.map((run) => run.runId)).toEqual([at(180), at(120)]);
    });
  });

  describe(`${name}: targets and recovery points`, () => {
    const target = (policyId: string) => ({
      policyId,
      volumeId: "vol-1",
      destinationRegion: "ap-mumbai",
    });

    it("starts a target's RPO clock on its first job, and keeps it on the next", async () => {
      const store = await makeStore();
      const policyId = aPolicy().policyId;
      await store.assignJob(target(policyId), "job-1", at(0), at(60), null);
      await store.assignJob(target(policyId), "job-2", at(30), at(90), "job-1");
      expect(await store.targets(policyId)).toEqual([
        {
          ...target(policyId),
          activeJobId: "job-2",
          recoveryPoint: null,
          breachedSince: null,
          breachAt: at(60),
          createdAt: at(0),
        },
      ]);
    });

    it("gives a volume a new job only if its job is still the one the caller saw", async () => {
      const store = await makeStore();
      const policyId = aPolicy().policyId;
      await store.assignJob(target(policyId), "job-1", at(0), at(60), null);
      const race = await Promise.all([
        store.assignJob(target(policyId), "job-2", at(1), at(61), "job-1"),
        store.assignJob(target(policyId), "job-3", at(1), at(61), "job-1"),
      ]);
      expect(race.filter(Boolean)).toHaveLength(1);
      const winner = race[0] ? "job-2" : "job-3";
      expect(await store.assignJob(target(policyId), winner, at(2), at(62), "job-1")).toBe(true);
      expect((await store.targets(policyId))[0]?.activeJobId).toBe(winner);
    });

    it("keeps the newer recovery point when an older copy completes late", async () => {
      const store = await makeStore();
      const policyId = aPolicy().policyId;
      await store.assignJob(target(policyId), "job-2", at(0), at(60), null);
      await store.recordCopy(target(policyId), aPoint(20, "job-2"), at(80), at(25));
      await store.recordCopy(target(policyId), aPoint(10, "job-1"), at(70), at(26));
      const [stored] = await store.targets(policyId);
      expect(stored?.recoveryPoint).toEqual(aPoint(20, "job-2"));
      expect(stored?.breachAt).toBe(at(80));
    });

    it("reports a breach once, and clears it when a newer copy comes within the RPO", async () => {
      const store = await makeStore();
      const policyId = aPolicy().policyId;
      await store.assignJob(target(policyId), "job-1", at(-300_000), at(-299_000), null);
      const due = async () =>
        (await store.dueBreaches(at(-200_000), 100)).filter((t) => t.policyId === policyId);
      const [breaching] = await due();
      expect(breaching).toBeDefined();
      if (!breaching) return;
      expect(await store.markBreached(breaching, at(-200_000))).toBe(true);
      expect(await store.markBreached(breaching, at(-200_000))).toBe(false);
      expect(await due()).toEqual([]);

      const before = await store.recordCopy(
        target(policyId),
        aPoint(-250_000),
        at(-100_000),
        at(-200_000),
      );
      expect(before?.breachedSince).toBe(at(-200_000));
      const [recovered] = await store.targets(policyId);
      expect(recovered?.breachedSince).toBeNull();
      expect(recovered?.breachAt).toBe(at(-100_000));
    });

    it("moves a breach check when asked, only from the time it read", async () => {
      const store = await makeStore();
      const policyId = aPolicy().policyId;
      await store.assignJob(target(policyId), "job-1", at(0), at(60), null);
      const [stored] = await store.targets(policyId);
      if (!stored) throw new Error("no target");
      await store.rescheduleBreach(stored, at(120));
      await store.rescheduleBreach(stored, at(500));
      expect((await store.targets(policyId))[0]?.breachAt).toBe(at(120));
    });
  });

  describe(`${name}: deletions`, () => {
    it("keeps one record per deleted copy, its last state, newest first", async () => {
      const store = await makeStore();
      const policyId = aPolicy().policyId;
      const deletion = {
        policyId,
        volumeId: "vol-1",
        destinationRegion: "ap-mumbai",
        snapshotId: "snap-old",
        copyTime: at(0),
        reason: "retention deletes copies beyond the newest 3",
        jobId: "job-9",
        status: "DELETING" as const,
        at: at(10),
      };
      await store.saveDeletion(deletion);
      await store.saveDeletion({ ...deletion, status: "DELETED", at: at(11) });
      await store.saveDeletion({ ...deletion, snapshotId: "snap-older", at: at(5) });
      const deletions = await store.recentDeletions(policyId, 10);
      expect(deletions.map((d) => [d.snapshotId, d.status])).toEqual([
        ["snap-old", "DELETED"],
        ["snap-older", "DELETING"],
      ]);
    });
  });

  describe(`${name}: the copies a policy made`, () => {
    const aCopy = (policyId: string, snapshotId: string, sourceMinutes: number) => ({
      policyId,
      volumeId: "vol-1",
      destinationRegion: "ap-mumbai",
      snapshotId,
      sourceSnapshotId: `snap-src-${sourceMinutes}`,
      sourceTime: at(sourceMinutes),
      jobId: `job-${sourceMinutes}`,
      startedAt: at(sourceMinutes + 1),
    });

    it("lists a volume's copies in one destination, oldest source first, each once", async () => {
      const store = await makeStore();
      const policyId = aPolicy().policyId;
      await store.recordPolicyCopy(aCopy(policyId, "snap-b", 60));
      await store.recordPolicyCopy(aCopy(policyId, "snap-a", 0));
      await store.recordPolicyCopy(aCopy(policyId, "snap-a", 0));
      await store.recordPolicyCopy({ ...aCopy(policyId, "snap-c", 30), volumeId: "vol-2" });
      await store.recordPolicyCopy({
        ...aCopy(policyId, "snap-d", 30),
        destinationRegion: "ap-beijing",
      });

      const copies = await store.policyCopies({
        policyId,
        volumeId: "vol-1",
        destinationRegion: "ap-mumbai",
      });

      expect(copies).toEqual([aCopy(policyId, "snap-a", 0), aCopy(policyId, "snap-b", 60)]);
    });

    it("forgets a copy, and only that one", async () => {
      const store = await makeStore();
      const policyId = aPolicy().policyId;
      await store.recordPolicyCopy(aCopy(policyId, "snap-a", 0));
      await store.recordPolicyCopy(aCopy(policyId, "snap-b", 60));

      await store.forgetPolicyCopy(aCopy(policyId, "snap-a", 0));
      await store.forgetPolicyCopy(aCopy(policyId, "snap-a", 0));

      const copies = await store.policyCopies({
        policyId,
        volumeId: "vol-1",
        destinationRegion: "ap-mumbai",
      });
      expect(copies.map((copy) => copy.snapshotId)).toEqual(["snap-b"]);
    });
  });
};
