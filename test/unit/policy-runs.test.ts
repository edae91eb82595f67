// DR policies at work, on in-memory ports: a run copies the newest completed snapshot of each
// selected volume once, the scheduler claims each due run once, retention keeps what its rule says
// and never what is not its own, and the recovery point is reported when it breaches and recovers.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { copyTags } from "../../functions/core/copy-tags.js";
import { DomainError } from "../../functions/core/errors.js";
import type { ReplicationJob } from "../../functions/core/job.js";
import type { AccountLimits } from "../../functions/core/limits.js";
import type { PolicyEvents } from "../../functions/core/policies/events.js";
import {
  checkPolicyRequest,
  type DrPolicy,
  newPolicy,
} from "../../functions/core/policies/policy.js";
import { recordPolicyCopy } from "../../functions/core/policies/policy-copies.js";
import { applyRetention } from "../../functions/core/policies/retention.js";
import {
  executeRun,
  newRun,
  type PolicyDeps,
  policyJobId,
  RESUME_AFTER_MS,
} from "../../functions/core/policies/run-policy.js";
import {
  carryOutDispatched,
  type RunDispatcher,
  type RunRef,
  tick,
} from "../../functions/core/policies/scheduler.js";
import { ACCOUNT, aJob, type Fakes, seedPolicy, stepFakes } from "./fakes.js";
import { TEST_LIMITS } from "./limit-fakes.js";
import { InMemoryPolicyStore } from "./policy-fakes.js";

const SOURCE = "ap-shanghai";
const DR = "ap-mumbai";
const HOUR = 3_600_000;

let fakes: Fakes;
let policies: InMemoryPolicyStore;
let deps: PolicyDeps;
let limits: AccountLimits;
let snapshotCount = 0;
let copyCount = 0;
const breaches: unknown[] = [];
const recoveries: unknown[] = [];
const events: PolicyEvents = {
  breached: (event) => breaches.push(event),
  recovered: (event) => recoveries.push(event),
};

beforeEach(() => {
  fakes = stepFakes();
  policies = new InMemoryPolicyStore();
  deps = {
    policies,
    jobs: fakes.jobs,
    snapshots: fakes.snapshots,
    workflow: fakes.workflow,
    clock: fakes.clock,
    limits: async () => limits,
  };
  limits = { ...TEST_LIMITS };
  snapshotCount = 0;
  copyCount = 0;
  breaches.length = 0;
  recoveries.length = 0;
});

/** A snapshot of the volume in the source region, taken `hoursAgo` before the clock's now. */
const snapshotOf = (
  volumeId: string,
  hoursAgo = 0,
  state: "completed" | "pending" = "completed",
) => {
  snapshotCount += 1;
  const snapshotId = `snap-src${String(snapshotCount).padStart(5, "0")}`;
  fakes.snapshots.add(SOURCE, snapshotId, {
    volumeId,
    state,
    startTime: new Date(fakes.clock.now().getTime() - hoursAgo * HOUR).toISOString(),
  });
  return snapshotId;
};

const aPolicy = async (fields: Record<string, unknown> = {}): Promise<DrPolicy> => {
  const request = checkPolicyRequest(
    {
      name: "orders-db-dr",
      sourceRegion: SOURCE,
      selector: { tags: { dr: "true" } },
      destinationRegions: [DR],
      schedule: "rate(1 hour)",
      retention: { count: 3 },
      rpoMinutes: 60,
      ...fields,
    },
    seedPolicy(),
    fakes.clock.now(),
  );
  const policy = newPolicy(ACCOUNT, request, "pol-1", fakes.clock.now());
  await policies.create(policy);
  return policy;
};

const runNow = async (policy: DrPolicy) => {
  const run = newRun(policy, "manual", fakes.clock.now().toISOString(), fakes.clock.now());
  await policies.addRun(run);
  return executeRun(policy, run, deps);
};

/** The job ends as the state machine would end it: its copies made in the destination. */
const complete = async (jobId: string): Promise<ReplicationJob> => {
  const job = await fakes.jobs.get(jobId);
  if (!job) throw new Error(`no job ${jobId}`);
  const copies = job.copies.map((copy) => {
    copyCount += 1;
    const copyId = `snap-dr${String(copyCount).padStart(5, "0")}`;
    fakes.snapshots.add(copy.destinationRegion, copyId, {
      volumeId: "vol-ffffffff",
      startTime: fakes.clock.now().toISOString(),
      tags: copyTags(job),
    });
    return {
      ...copy,
      status: "COMPLETED" as const,
      destinationSnapshotId: copyId,
      completedAt: fakes.clock.now().toISOString(),
    };
  });
  // As StartCopy records each copy it makes.
  for (const copy of copies) {
    await recordPolicyCopy(
      job,
      copy.destinationRegion,
      copy.destinationSnapshotId,
      fakes.clock.now().toISOString(),
      policies,
    );
  }
  const done = { ...job, status: "COMPLETED" as const, copies };
  fakes.jobs.seed(done);
  return done;
};

const copiesInDr = () =>
  fakes.snapshots
    .findTagged(ACCOUNT, DR, { "snaprelay:policy-id": ["pol-1"] })
    .then((found) => found.map((copy) => copy.snapshotId).sort());

describe("a policy's run", () => {
  beforeEach(() => {
    fakes.snapshots.addVolume(SOURCE, "vol-0aaa0001", { dr: "true" });
    fakes.snapshots.addVolume(SOURCE, "vol-0bbb0002", { dr: "true" });
    fakes.snapshots.addVolume(SOURCE, "vol-0ccc0003", { dr: "false" });
  });

  it("copies the newest completed snapshot of each selected volume, and only those", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 3);
    const newestA = snapshotOf("vol-0aaa0001", 1);
    snapshotOf("vol-0aaa0001", 0, "pending");
    const newestB = snapshotOf("vol-0bbb0002", 2);
    snapshotOf("vol-0ccc0003", 1);

    // Act
    const run = await runNow(policy);

    // Assess
    expect(run.status).toBe("STARTED");
    expect(run.jobs.map((job) => [job.volumeId, job.snapshotId])).toEqual([
      ["vol-0aaa0001", newestA],
      ["vol-0bbb0002", newestB],
    ]);
    expect(fakes.workflow.started.map((start) => start.jobId).sort()).toEqual(
      run.jobs.map((job) => job.jobId).sort(),
    );
  });

  it("copies at most the account's volumes per run, the oldest recovery points first, the rest next run", async () => {
    // Prepare: two selected volumes and one volume a run.
    limits.volumesPerRun = 1;
    const policy = await aPolicy({ selector: { tags: { dr: "true" } } });
    snapshotOf("vol-0aaa0001", 2);
    snapshotOf("vol-0bbb0002", 2);
    const first = await runNow(policy);
    const firstJob = first.jobs[0]?.jobId ?? "";
    await complete(firstJob);
    await applyRetention(firstJob, deps, events);
    fakes.clock.advance(3600);
    snapshotOf("vol-0aaa0001", 0);
    snapshotOf("vol-0bbb0002", 0);

    // Act
    const second = await runNow(policy);

    // Assess
    expect(first.jobs.map((job) => job.volumeId)).toEqual(["vol-0aaa0001"]);
    expect(first.skipped).toEqual([
      expect.objectContaining({
        volumeId: "vol-0bbb0002",
        reason: expect.stringContaining("at most 1 volumes (this account's limit)"),
      }),
    ]);
    expect(second.jobs.map((job) => job.volumeId)).toEqual(["vol-0bbb0002"]);
    expect(second.skipped.map((skip) => skip.volumeId)).toEqual(["vol-0aaa0001"]);
  });

  it("makes ordinary jobs that say which policy, volume and source time they copy", async () => {
    // Prepare
    const policy = await aPolicy();
    const snapshotId = snapshotOf("vol-0aaa0001", 1);

    // Act
    const run = await runNow(policy);

    // Assess
    const job = await fakes.jobs.get(run.jobs[0]?.jobId ?? "");
    expect(job).toMatchObject({
      status: "PENDING",
      snapshotId,
      sourceRegion: SOURCE,
      trigger: { type: "schedule", policyId: "pol-1", runId: run.runId },
      tags: { "snaprelay:policy-id": "pol-1", "snaprelay:volume-id": "vol-0aaa0001" },
    });
    expect(job?.name.length).toBeLessThanOrEqual(60);
  });

  it("selects listed volumes and tagged volumes alike", async () => {
    // Prepare
    const policy = await aPolicy({
      selector: { volumeIds: ["vol-0ccc0003", "vol-0fff9999"], tags: { dr: "true" } },
    });
    for (const volume of ["vol-0aaa0001", "vol-0bbb0002", "vol-0ccc0003"]) snapshotOf(volume, 1);

    // Act
    const run = await runNow(policy);

    // Assess
    expect(run.selectedVolumes).toBe(3);
    expect(run.jobs.map((job) => job.volumeId)).toEqual([
      "vol-0aaa0001",
      "vol-0bbb0002",
      "vol-0ccc0003",
    ]);
  });

  it("records a volume with no completed snapshot as skipped, with the reason", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 1);
    snapshotOf("vol-0bbb0002", 0, "pending");

    // Act
    const run = await runNow(policy);

    // Assess
    expect(run.skipped).toEqual([
      {
        volumeId: "vol-0bbb0002",
        snapshotId: null,
        reason: "vol-0bbb0002 has no completed snapshot in ap-shanghai",
      },
    ]);
  });

  it("starts nothing for a snapshot that already has a copy in the destination", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 1);
    const first = await runNow(policy);
    await complete(first.jobs[0]?.jobId ?? "");
    fakes.clock.advance(60);

    // Act
    const second = await runNow(policy);

    // Assess
    expect(second.jobs.filter((job) => job.volumeId === "vol-0aaa0001")).toEqual([]);
    expect(second.skipped.find((skip) => skip.volumeId === "vol-0aaa0001")?.reason).toContain(
      "already has a copy there",
    );
  });

  it("waits for a volume's running copy before copying its newer snapshot", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 2);
    const first = await runNow(policy);
    snapshotOf("vol-0aaa0001", 0);
    fakes.clock.advance(60);

    // Act
    const second = await runNow(policy);

    // Assess: one copy at a time, so that each later copy is incremental.
    expect(second.jobs.filter((job) => job.volumeId === "vol-0aaa0001")).toEqual([]);
    expect(second.skipped.find((skip) => skip.volumeId === "vol-0aaa0001")?.reason).toContain(
      `job ${first.jobs[0]?.jobId}) is still running`,
    );
  });

  it("copies the newer snapshot once the earlier copy is done", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 2);
    const first = await runNow(policy);
    const newer = snapshotOf("vol-0aaa0001", 0);
    await complete(first.jobs[0]?.jobId ?? "");
    fakes.clock.advance(60);

    // Act
    const second = await runNow(policy);

    // Assess
    expect(second.jobs.find((job) => job.volumeId === "vol-0aaa0001")?.snapshotId).toBe(newer);
  });

  it("makes no second job when a run is taken up again", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 1);
    snapshotOf("vol-0bbb0002", 1);
    const run = newRun(policy, "schedule", policy.nextRunAt ?? "", fakes.clock.now());
    await policies.addRun(run);
    await executeRun(policy, run, deps);

    // Act: the same run again, as if its first attempt had died before saving.
    const again = await executeRun(policy, run, deps);

    // Assess
    expect(fakes.jobs.all()).toHaveLength(2);
    expect(again.jobs.map((job) => job.jobId)).toEqual([
      policyJobId("pol-1", run.runId, "vol-0aaa0001"),
      policyJobId("pol-1", run.runId, "vol-0bbb0002"),
    ]);
  });

  it("keeps a run of any size: counts every volume, lists the first 100 of each outcome, records each", async () => {
    // Prepare: 130 volumes to copy and 120 with no completed snapshot.
    limits = { ...limits, volumesPerRun: 1_000 };
    const policy = await aPolicy();
    const volume = (n: number) => `vol-${String(n).padStart(8, "0")}`;
    for (let n = 0; n < 250; n++) {
      fakes.snapshots.addVolume(SOURCE, volume(n), { dr: "true" });
      snapshotOf(volume(n), 1, n < 130 ? "completed" : "pending");
    }

    // Act
    const run = await runNow(policy);

    // Assess: the run's own item stays small; every volume is there to page through.
    expect(run.selectedVolumes).toBe(252);
    expect(run.counts).toEqual({ jobs: 130, skipped: 122, failures: 0 });
    expect(run.jobs).toHaveLength(100);
    expect(run.jobs[0]?.volumeId).toBe(volume(0));
    expect(run.skipped).toHaveLength(100);
    const stored = await policies.getRun(policy.policyId, run.runId);
    expect(JSON.stringify(stored).length).toBeLessThan(60_000);
    const jobs = await policies.runVolumes(policy.policyId, run.runId, {
      limit: 500,
      outcome: "job",
    });
    expect(jobs.volumes.map((entry) => entry.volumeId)).toEqual(
      Array.from({ length: 130 }, (_, n) => volume(n)),
    );
    const skipped = await policies.runVolumes(policy.policyId, run.runId, {
      limit: 500,
      outcome: "skipped",
    });
    expect(skipped.volumes).toHaveLength(122);
  });

  it("leaves a run to the attempt that took it up meanwhile, and saves nothing over it", async () => {
    // Prepare: a run held by this attempt, then taken up by another (a tick that thought it dead).
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 1);
    const run = newRun(policy, "manual", fakes.clock.now().toISOString(), fakes.clock.now());
    await policies.addRun(run);
    const later = new Date(Date.parse(run.resumeAt ?? "") + 1_000).toISOString();
    expect(await policies.claimResume(run, later)).toBe(true);

    // Act
    const outcome = await executeRun(policy, run, deps);

    // Assess: no job made by the attempt that lost the run; the run as the other left it.
    expect(fakes.jobs.all()).toEqual([]);
    expect(outcome).toMatchObject({ status: "STARTING", resumeAt: later });
  });

  it("takes up a run cut short where it stopped: no volume's job is made twice", async () => {
    // Prepare: 30 volumes, and a deadline that passes once the first batch of jobs is made.
    const policy = await aPolicy();
    for (let n = 0; n < 30; n++) {
      const volumeId = `vol-${String(n).padStart(8, "0")}`;
      fakes.snapshots.addVolume(SOURCE, volumeId, { dr: "true" });
      snapshotOf(volumeId, 1);
    }
    const run = newRun(policy, "schedule", policy.nextRunAt ?? "", fakes.clock.now());
    await policies.addRun(run);
    const assigned: string[] = [];
    const assignJob = policies.assignJob.bind(policies);
    vi.spyOn(policies, "assignJob").mockImplementation(async (target, ...rest) => {
      assigned.push(target.volumeId);
      return assignJob(target, ...rest);
    });
    let late = false;
    let firstAttempt = true;
    const deadline = Date.now() + 60_000;
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, "now").mockImplementation(() => (late ? deadline + 1 : realNow()));
    vi.spyOn(fakes.workflow, "start").mockImplementation(async (jobId) => {
      late = firstAttempt;
      return { executionArn: `arn:aws:states:::execution:replication:${jobId}` };
    });

    // Act: the first attempt stops after one batch; the next takes it up.
    const cut = await executeRun(policy, run, deps, deadline);
    late = false;
    firstAttempt = false;
    const resumed = await executeRun(policy, cut, deps, deadline);

    // Assess
    vi.restoreAllMocks();
    expect(cut.status).toBe("STARTING");
    expect(cut.counts?.jobs).toBe(10);
    expect(resumed.status).toBe("STARTED");
    expect(resumed.counts?.jobs).toBe(30);
    expect(assigned).toHaveLength(30);
    expect(new Set(assigned).size).toBe(30);
    expect(fakes.jobs.all()).toHaveLength(30);
  });

  it("copies a volume once when a run now and a scheduled run plan it together", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 1);
    const manual = newRun(policy, "manual", fakes.clock.now().toISOString(), fakes.clock.now());
    const scheduled = newRun(policy, "schedule", policy.nextRunAt ?? "", fakes.clock.now());
    await policies.addRun(manual);
    await policies.addRun(scheduled);

    // Act
    const [one, two] = await Promise.all([
      executeRun(policy, manual, deps),
      executeRun(policy, scheduled, deps),
    ]);

    // Assess
    const jobs = [...one.jobs, ...two.jobs].filter((job) => job.volumeId === "vol-0aaa0001");
    expect(jobs).toHaveLength(1);
    expect(
      fakes.jobs.all().filter((job) => job.tags["snaprelay:volume-id"] === "vol-0aaa0001"),
    ).toHaveLength(1);
    const skips = [...one.skipped, ...two.skipped].filter(
      (skip) => skip.volumeId === "vol-0aaa0001",
    );
    expect(skips[0]?.reason).toContain("another run of the policy gave vol-0aaa0001 a job");
  });

  it("still lists a job that completed before its run was taken up again", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 1);
    const run = newRun(policy, "manual", fakes.clock.now().toISOString(), fakes.clock.now());
    await policies.addRun(run);
    const first = await executeRun(policy, run, deps);
    await complete(first.jobs[0]?.jobId ?? "");

    // Act
    const again = await executeRun(policy, run, deps);

    // Assess
    expect(again.jobs.map((job) => job.jobId)).toEqual(first.jobs.map((job) => job.jobId));
    expect(again.skipped.map((skip) => skip.volumeId)).not.toContain("vol-0aaa0001");
  });

  it("still lists its job whose copy finished before the job was recorded on the volume", async () => {
    // Prepare: an attempt cut short made the job, which completed, but never recorded it
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 1);
    const run = newRun(policy, "manual", fakes.clock.now().toISOString(), fakes.clock.now());
    await policies.addRun(run);
    const first = await executeRun(policy, run, deps);
    await complete(first.jobs[0]?.jobId ?? "");
    policies.targetsById.clear();

    // Act
    const again = await executeRun(policy, run, deps);

    // Assess
    expect(again.jobs.map((job) => job.jobId)).toEqual(first.jobs.map((job) => job.jobId));
    expect(again.skipped.map((skip) => skip.volumeId)).not.toContain("vol-0aaa0001");
  });

  it("takes a copy made outside the policy as the volume's recovery point", async () => {
    // Prepare: the newest snapshot was already copied to the DR region by a job from the API.
    const policy = await aPolicy();
    const newest = snapshotOf("vol-0aaa0001", 1);
    fakes.snapshots.add(DR, "snap-byhand01", {
      volumeId: "vol-ffffffff",
      tags: { "snaprelay:source-snapshot-id": newest, "snaprelay:job-id": "job-api" },
    });

    // Act
    const run = await runNow(policy);

    // Assess
    expect(run.jobs.map((job) => job.volumeId)).not.toContain("vol-0aaa0001");
    const [target] = await policies.targets("pol-1");
    expect(target?.recoveryPoint).toMatchObject({
      sourceSnapshotId: newest,
      copySnapshotId: "snap-byhand01",
      jobId: "job-api",
    });
  });

  it("stops checking the RPO of a volume the policy no longer selects", async () => {
    // Prepare
    const policy = await aPolicy({ rpoMinutes: 60 });
    snapshotOf("vol-0aaa0001", 1);
    await runNow(policy);
    fakes.snapshots.addVolume(SOURCE, "vol-0aaa0001", { dr: "false" });
    fakes.clock.advance(60);

    // Act
    await runNow(policy);
    const summary = await tick(new Date(fakes.clock.now().getTime() + 10 * HOUR), deps, events, {
      deadline: Number.POSITIVE_INFINITY,
      batchSize: 25,
    });

    // Assess
    expect(summary.breaches).toBe(0);
  });

  it("fails the run with the reason when the account cannot be reached", async () => {
    // Prepare
    const policy = await aPolicy();
    fakes.snapshots.refusedAccounts.add(ACCOUNT);

    // Act
    const run = await runNow(policy);

    // Assess
    expect(run).toMatchObject({ status: "FAILED", error: { code: "AccountAccessDenied" } });
    expect(fakes.jobs.all()).toEqual([]);
  });

  it("is taken up again later, not failed, when EC2 throttles its reads", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 1);
    vi.spyOn(fakes.snapshots, "newestSnapshots").mockRejectedValueOnce(
      new DomainError("CloudThrottled", "EC2 throttled the request."),
    );

    // Act
    const throttled = await runNow(policy);
    fakes.clock.advance(RESUME_AFTER_MS / 1000);
    const resumed = await tick(fakes.clock.now(), deps, events, {
      deadline: Number.POSITIVE_INFINITY,
      batchSize: 25,
    });

    // Assess
    expect(throttled).toMatchObject({ status: "STARTING", error: { code: "CloudThrottled" } });
    expect(resumed.runs).toEqual([expect.objectContaining({ status: "STARTED", jobs: 1 })]);
  });

  it("stops at its deadline and stays STARTING, to be taken up again", async () => {
    // Prepare
    const policy = await aPolicy();
    snapshotOf("vol-0aaa0001", 1);
    const run = newRun(policy, "manual", fakes.clock.now().toISOString(), fakes.clock.now());
    await policies.addRun(run);

    // Act
    const stopped = await executeRun(policy, run, deps, Date.now() - 1);

    // Assess
    expect(stopped.status).toBe("STARTING");
    expect(await policies.runsToResume(fakes.clock.now().toISOString(), 10)).toHaveLength(1);
  });
});

/** A policy of `accountId` copying its volumes tagged dr=true every hour, due an hour from now. */
const declarePolicy = (accountId: string, policyId: string): DrPolicy =>
  newPolicy(
    accountId,
    checkPolicyRequest(
      {
        name: policyId,
        sourceRegion: SOURCE,
        selector: { tags: { dr: "true" } },
        destinationRegions: [DR],
        schedule: "rate(1 hour)",
        retention: { count: 3 },
        rpoMinutes: 120,
      },
      seedPolicy(),
      fakes.clock.now(),
    ),
    policyId,
    fakes.clock.now(),
  );

describe("the scheduler's tick", () => {
  const options = { deadline: Number.POSITIVE_INFINITY, batchSize: 25 };

  beforeEach(() => {
    fakes.snapshots.addVolume(SOURCE, "vol-0aaa0001", { dr: "true" });
    snapshotOf("vol-0aaa0001", 0);
  });

  it("runs nothing before a policy is due", async () => {
    // Prepare
    const policy = await aPolicy();

    // Act
    const summary = await tick(
      new Date(Date.parse(policy.nextRunAt ?? "") - 1000),
      deps,
      events,
      options,
    );

    // Assess
    expect(summary.runs).toEqual([]);
    expect(fakes.jobs.all()).toEqual([]);
  });

  it("runs a due policy and moves its next run on", async () => {
    // Prepare
    const policy = await aPolicy();
    const due = new Date(policy.nextRunAt ?? "");

    // Act
    const summary = await tick(due, deps, events, options);

    // Assess
    expect(summary.runs).toMatchObject([{ policyId: "pol-1", status: "STARTED", jobs: 1 }]);
    expect((await policies.get("pol-1"))?.nextRunAt).toBe(
      new Date(due.getTime() + HOUR).toISOString(),
    );
  });

  it("starts nothing new on a second tick for the same moment", async () => {
    // Prepare
    const policy = await aPolicy();
    const due = new Date(policy.nextRunAt ?? "");
    await tick(due, deps, events, options);

    // Act
    const second = await tick(due, deps, events, options);

    // Assess
    expect(second.runs).toEqual([]);
    expect(fakes.jobs.all()).toHaveLength(1);
  });

  it("gives another account's due policy its run before one account's backlog: account B runs second of 51", async () => {
    // Prepare: account A with 500 jobs in flight and 50 policies due, account B with one.
    const B = "444455556666";
    for (let index = 0; index < 500; index++) {
      fakes.jobs.seed(aJob({ jobId: `job-a-${index}`, status: "RUNNING" }));
    }
    for (let index = 0; index < 50; index++) {
      await policies.create(declarePolicy(ACCOUNT, `pol-a-${String(index).padStart(2, "0")}`));
    }
    fakes.snapshots.addVolume(SOURCE, "vol-0bbb0b0b", { dr: "true" }, B);
    fakes.snapshots.add(SOURCE, "snap-0bbb0b0b", { volumeId: "vol-0bbb0b0b" }, B);
    const policyOfB = declarePolicy(B, "pol-b");
    await policies.create(policyOfB);

    // Act
    const summary = await tick(new Date(policyOfB.nextRunAt ?? ""), deps, events, options);

    // Assess
    expect(summary.runs).toHaveLength(51);
    expect(summary.runs.findIndex((run) => run.policyId === "pol-b")).toBeLessThanOrEqual(1);
    expect(summary.runs.find((run) => run.policyId === "pol-b")).toMatchObject({
      status: "STARTED",
      jobs: 1,
    });
  });

  it("carries out the due policies of many accounts at once, each account's first run started before any second", async () => {
    // Prepare: 8 accounts with 3 due policies each; EC2 answers each run's read after 20 ms
    const accounts = Array.from(
      { length: 8 },
      (_, index) => `5555000000${String(index).padStart(2, "0")}`,
    );
    for (const accountId of accounts) {
      fakes.snapshots.addVolume(
        SOURCE,
        `vol-0${accountId.slice(-2)}0000a`,
        { dr: "true" },
        accountId,
      );
      for (let index = 0; index < 3; index++) {
        await policies.create(declarePolicy(accountId, `pol-${accountId}-${index}`));
      }
    }
    const started: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const read = fakes.snapshots.findVolumes.bind(fakes.snapshots);
    vi.spyOn(fakes.snapshots, "findVolumes").mockImplementation(async (...args) => {
      started.push(args[0]);
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return read(...args);
    });
    const due = new Date(fakes.clock.now().getTime() + 2 * HOUR);

    // Act
    const summary = await tick(due, deps, events, {
      deadline: Number.POSITIVE_INFINITY,
      batchSize: 25,
      width: 8,
    });

    // Assess
    expect(summary.runs.filter((run) => run.policyId.startsWith("pol-5555"))).toHaveLength(24);
    expect(mostInFlight).toBe(8);
    expect(new Set(started.slice(0, 8))).toEqual(new Set(accounts));
  });

  it("runs a policy once when two ticks for the same moment race", async () => {
    // Prepare
    const policy = await aPolicy();
    const due = new Date(policy.nextRunAt ?? "");

    // Act
    const [one, two] = await Promise.all([
      tick(due, deps, events, options),
      tick(due, deps, events, options),
    ]);

    // Assess
    expect(one.runs.length + two.runs.length).toBe(1);
    expect(fakes.jobs.all()).toHaveLength(1);
    expect(fakes.workflow.started).toHaveLength(1);
  });

  it("runs once after missed runs, not once per missed run", async () => {
    // Prepare
    const policy = await aPolicy();
    const late = new Date(Date.parse(policy.nextRunAt ?? "") + 5 * HOUR + 60_000);

    // Act
    const summary = await tick(late, deps, events, options);

    // Assess
    expect(summary.runs).toHaveLength(1);
    expect(Date.parse((await policies.get("pol-1"))?.nextRunAt ?? "")).toBeGreaterThan(
      late.getTime(),
    );
  });

  it("leaves a paused policy alone", async () => {
    // Prepare
    const policy = await aPolicy({ enabled: false });

    // Act
    const summary = await tick(
      new Date(Date.parse(policy.createdAt) + 10 * HOUR),
      deps,
      events,
      options,
    );

    // Assess
    expect(summary.runs).toEqual([]);
  });

  it("takes up a run that was left STARTING", async () => {
    // Prepare
    const policy = await aPolicy();
    const run = newRun(policy, "manual", fakes.clock.now().toISOString(), fakes.clock.now());
    await policies.addRun(run);

    // Act
    const summary = await tick(new Date(run.resumeAt ?? ""), deps, events, options);

    // Assess
    expect(summary.runs).toMatchObject([{ runId: run.runId, status: "STARTED", jobs: 1 }]);
  });
});

describe("the scheduler's tick with workers", () => {
  const options = { deadline: Number.POSITIVE_INFINITY, batchSize: 25 };
  const handed: RunRef[] = [];

  beforeEach(() => {
    handed.length = 0;
    fakes.snapshots.addVolume(SOURCE, "vol-0aaa0001", { dr: "true" });
    snapshotOf("vol-0aaa0001", 0);
  });

  it("hands each claimed run to a worker of its own, which carries it out", async () => {
    // Prepare
    const policy = await aPolicy();
    const dispatcher: RunDispatcher = { dispatch: async (run) => void handed.push(run) };

    // Act
    const summary = await tick(
      new Date(policy.nextRunAt ?? ""),
      { ...deps, dispatcher },
      events,
      options,
    );
    const [ref] = handed;
    const carried = ref
      ? await carryOutDispatched(ref, deps, events, Date.now() + 60_000)
      : undefined;

    // Assess: the tick made no job itself; the worker made the run's one job.
    expect(summary.runs).toMatchObject([
      { policyId: "pol-1", status: "STARTING", dispatched: true },
    ]);
    expect(handed).toEqual([{ policyId: "pol-1", runId: policy.nextRunAt }]);
    expect(carried).toMatchObject({ status: "STARTED", jobs: 1 });
    expect(fakes.jobs.all()).toHaveLength(1);
  });

  it("carries a run out itself when no worker takes it, and says so", async () => {
    // Prepare
    const policy = await aPolicy();
    const dispatcher: RunDispatcher = {
      dispatch: async () => {
        throw new Error("TooManyRequestsException");
      },
    };

    // Act
    const summary = await tick(
      new Date(policy.nextRunAt ?? ""),
      { ...deps, dispatcher },
      events,
      options,
    );

    // Assess
    expect(summary.runs).toMatchObject([{ policyId: "pol-1", status: "STARTED", jobs: 1 }]);
    expect(summary.runs[0]?.dispatched).toBeUndefined();
    expect(summary.problems.join("\n")).toContain("no worker took it (TooManyRequestsException)");
  });

  it("leaves a run alone that a worker is handed twice, or after it was carried out", async () => {
    // Prepare
    const policy = await aPolicy();
    const dispatcher: RunDispatcher = { dispatch: async (run) => void handed.push(run) };
    await tick(new Date(policy.nextRunAt ?? ""), { ...deps, dispatcher }, events, options);
    const [ref] = handed;
    if (!ref) throw new Error("no run handed over");

    // Act
    const both = await Promise.all([
      carryOutDispatched(ref, deps, events, Date.now() + 60_000),
      carryOutDispatched(ref, deps, events, Date.now() + 60_000),
    ]);
    const after = await carryOutDispatched(ref, deps, events, Date.now() + 60_000);

    // Assess: one job, whoever carried it out.
    expect(both.some((summary) => summary?.status === "STARTED")).toBe(true);
    expect(after).toBeUndefined();
    expect(fakes.jobs.all()).toHaveLength(1);
  });
});

describe("retention after a policy's copy", () => {
  beforeEach(() => {
    fakes.snapshots.addVolume(SOURCE, "vol-0aaa0001", { dr: "true" });
  });

  /** Five runs, each after a new snapshot, each copy completed and retention applied. */
  const fiveRuns = async (policy: DrPolicy) => {
    for (let index = 0; index < 5; index += 1) {
      snapshotOf("vol-0aaa0001", 0);
      const run = await runNow(policy);
      const jobId = run.jobs[0]?.jobId ?? "";
      await complete(jobId);
      await applyRetention(jobId, deps, events);
      fakes.clock.advance(3600);
    }
  };

  it("keeps exactly the newest N copies", async () => {
    // Prepare
    const policy = await aPolicy({ retention: { count: 3 } });

    // Act
    await fiveRuns(policy);

    // Assess
    expect(await copiesInDr()).toEqual(["snap-dr00003", "snap-dr00004", "snap-dr00005"]);
    const deletions = await policies.recentDeletions("pol-1", 10);
    expect(deletions.map((deletion) => [deletion.snapshotId, deletion.status])).toEqual([
      ["snap-dr00002", "DELETED"],
      ["snap-dr00001", "DELETED"],
    ]);
    expect(deletions[0]?.reason).toBe("retention deletes copies beyond the newest 3");
  });

  it("never deletes a snapshot it did not make, even one a tenant tagged with snaprelay's tags", async () => {
    // Prepare
    const policy = await aPolicy({ retention: { count: 1 } });
    fakes.snapshots.add(DR, "snap-mine0001", {
      startTime: "2020-01-01T00:00:00.000Z",
      tags: {
        "snaprelay:policy-id": "pol-1",
        "snaprelay:volume-id": "vol-0aaa0001",
        "snaprelay:source-time": "2020-01-01T00:00:00.000Z",
        "snaprelay:job-id": "job-forged",
      },
    });

    // Act
    await fiveRuns(policy);

    // Assess
    expect(await fakes.snapshots.describe(ACCOUNT, DR, "snap-mine0001")).toBeDefined();
    expect(await copiesInDr()).toEqual(["snap-dr00005", "snap-mine0001"]);
  });

  it("keeps the genuine newest copy when a tenant rewrites an older copy's source-time tag", async () => {
    // Prepare: one run, its copy re-tagged as if its source were the newest there could be.
    const policy = await aPolicy({ retention: { count: 1 } });
    snapshotOf("vol-0aaa0001", 0);
    const first = await runNow(policy);
    await complete(first.jobs[0]?.jobId ?? "");
    await applyRetention(first.jobs[0]?.jobId ?? "", deps, events);
    fakes.snapshots.update(DR, "snap-dr00001", {
      tags: {
        ...(await fakes.snapshots.describe(ACCOUNT, DR, "snap-dr00001"))?.tags,
        "snaprelay:source-time": "9999-12-31T00:00:00.000Z",
      },
    });
    fakes.clock.advance(3600);
    snapshotOf("vol-0aaa0001", 0);
    const next = await runNow(policy);
    await complete(next.jobs[0]?.jobId ?? "");

    // Act
    const outcome = await applyRetention(next.jobs[0]?.jobId ?? "", deps, events);

    // Assess
    expect(outcome.deleted).toEqual(["snap-dr00001"]);
    expect(await copiesInDr()).toEqual(["snap-dr00002"]);
  });

  it("forgets a copy someone deleted by hand, and keeps pruning the rest", async () => {
    // Prepare: three copies; the newest deleted outside snaprelay a day before the fourth run.
    const policy = await aPolicy({ retention: { count: 2 } });
    for (let index = 0; index < 3; index += 1) {
      snapshotOf("vol-0aaa0001", 0);
      const run = await runNow(policy);
      await complete(run.jobs[0]?.jobId ?? "");
      fakes.clock.advance(3600);
    }
    await fakes.snapshots.delete(ACCOUNT, DR, "snap-dr00003");
    fakes.clock.advance(2 * 86_400);
    snapshotOf("vol-0aaa0001", 0);
    const run = await runNow(policy);
    await complete(run.jobs[0]?.jobId ?? "");

    // Act
    const outcome = await applyRetention(run.jobs[0]?.jobId ?? "", deps, events);

    // Assess
    expect(outcome.deleted).toEqual(["snap-dr00001"]);
    expect(await copiesInDr()).toEqual(["snap-dr00002", "snap-dr00004"]);
    const recorded = await policies.policyCopies({
      policyId: "pol-1",
      volumeId: "vol-0aaa0001",
      destinationRegion: DR,
    });
    expect(recorded.map((copy) => copy.snapshotId)).toEqual(["snap-dr00002", "snap-dr00004"]);
  });

  it("spares a copy that a running job copies from", async () => {
    // Prepare
    const policy = await aPolicy({ retention: { count: 1 } });
    snapshotOf("vol-0aaa0001", 0);
    const run = await runNow(policy);
    const copied = await complete(run.jobs[0]?.jobId ?? "");
    fakes.jobs.seed({
      ...copied,
      jobId: "job-onward",
      status: "RUNNING",
      sourceRegion: DR,
      snapshotId: "snap-dr00001",
      trigger: { type: "api" },
      tags: {},
    });
    fakes.clock.advance(3600);

    // Act
    await fiveRuns(policy);

    // Assess
    expect(await copiesInDr()).toEqual(["snap-dr00001", "snap-dr00006"]);
  });

  it("records a copy the cloud would not delete, and prunes the others", async () => {
    // Prepare
    const policy = await aPolicy({ retention: { count: 1 } });
    for (let index = 0; index < 3; index += 1) {
      snapshotOf("vol-0aaa0001", 0);
      const run = await runNow(policy);
      await complete(run.jobs[0]?.jobId ?? "");
      fakes.clock.advance(3600);
    }
    const last = (await policies.recentRuns("pol-1", 1))[0]?.jobs[0]?.jobId ?? "";
    fakes.snapshots.failNextDeleteWith = new Error("InvalidSnapshot.InUse: in use");

    // Act
    const outcome = await applyRetention(last, deps, events);

    // Assess
    expect(outcome.failed).toHaveLength(1);
    expect(outcome.deleted).toHaveLength(1);
    const failed = (await policies.recentDeletions("pol-1", 10)).find((d) => d.status === "FAILED");
    expect(failed?.error).toContain("in use");
  });

  it("does nothing for a job from the API", async () => {
    // Prepare
    fakes.jobs.seed({ ...(await aJobFromApi()) });

    // Act
    const outcome = await applyRetention("job-api", deps, events);

    // Assess
    expect(outcome).toMatchObject({ policyId: null, recorded: [], deleted: [] });
  });

  const aJobFromApi = async (): Promise<ReplicationJob> => ({
    jobId: "job-api",
    accountId: ACCOUNT,
    status: "COMPLETED",
    snapshotId: "snap-0abc1234",
    sourceRegion: SOURCE,
    name: "Copied",
    tags: {},
    trigger: { type: "api" },
    createdAt: fakes.clock.now().toISOString(),
    updatedAt: fakes.clock.now().toISOString(),
    executionArn: null,
    copies: [],
    error: null,
  });
});

describe("the recovery point", () => {
  const options = { deadline: Number.POSITIVE_INFINITY, batchSize: 25 };

  beforeEach(() => {
    fakes.snapshots.addVolume(SOURCE, "vol-0aaa0001", { dr: "true" });
  });

  it("is reported once when the newest copy's source grows older than the RPO, and again when a new copy brings it back", async () => {
    // Prepare: a copy of a snapshot taken 90 minutes ago, against a 60-minute RPO.
    const policy = await aPolicy({ rpoMinutes: 60, schedule: "rate(1 day)" });
    snapshotOf("vol-0aaa0001", 1.5);
    const first = await runNow(policy);
    await complete(first.jobs[0]?.jobId ?? "");
    await applyRetention(first.jobs[0]?.jobId ?? "", deps, events);

    // Act
    const firstTick = await tick(fakes.clock.now(), deps, events, options);
    const secondTick = await tick(fakes.clock.now(), deps, events, options);

    // Assess
    expect(firstTick.breaches).toBe(1);
    expect(secondTick.breaches).toBe(0);
    expect(breaches).toMatchObject([
      { policyId: "pol-1", volumeId: "vol-0aaa0001", destinationRegion: DR, rpoMinutes: 60 },
    ]);

    // Act: a fresh snapshot is copied.
    fakes.clock.advance(60);
    snapshotOf("vol-0aaa0001", 0);
    const next = await runNow(policy);
    await complete(next.jobs[0]?.jobId ?? "");
    await applyRetention(next.jobs[0]?.jobId ?? "", deps, events);

    // Assess
    expect(recoveries).toMatchObject([{ policyId: "pol-1", volumeId: "vol-0aaa0001" }]);
    const [target] = await policies.targets("pol-1");
    expect(target?.breachedSince).toBeNull();
  });
});
