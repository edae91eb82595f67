// One run of a DR policy: select the volumes, find each one's newest completed snapshot, and start
// one ordinary job per volume for the destinations that need it. A volume's copies to a destination
// run one at a time, oldest first (so every copy after the first is incremental): while the
// policy's previous job for it runs, the volume waits for the next run. Job ids follow from the run
// and the volume, so a run taken up again after a crash finds the jobs it made and never makes two.

import { createHash } from "node:crypto";
import type { Allowlist } from "../access.js";
import { actingFor } from "../acting-for.js";
import {
  TAG_JOB_ID,
  TAG_POLICY_ID,
  TAG_SOURCE_SNAPSHOT,
  TAG_SOURCE_TIME,
  TAG_VOLUME_ID,
} from "../copy-tags.js";
import { newJob } from "../create-replication.js";
import { errorMessage, isDomainError } from "../errors.js";
import { inBatches } from "../in-batches.js";
import { isFinishedJob, type ReplicationJob } from "../job.js";
import type { LimitsOf } from "../limits.js";
import type {
  Clock,
  JobStore,
  PolicyStore,
  SnapshotProvider,
  SnapshotView,
  Workflow,
} from "../ports.js";
import { type PolicyEvents, silentEvents } from "./events.js";
import type { DrPolicy } from "./policy.js";
import type { PolicyRun, RunFailure, RunJob, RunSkip, VolumeTarget } from "./records.js";
import { RUN_VIEW_VOLUMES, runVolumeOf, targetKey } from "./records.js";
import { breachTime, recordRecoveryPoint } from "./recovery-point.js";

export interface PolicyDeps {
  policies: PolicyStore;
  jobs: JobStore;
  snapshots: SnapshotProvider;
  workflow: Pick<Workflow, "start">;
  clock: Clock;
  /** The policy's account's limits (the volumes one run copies). */
  limits: LimitsOf;
  /** Who may replicate now: a run of an account off it (revoked, say) is refused and recorded. */
  allowlist?: Allowlist;
}

/** Jobs made at once: a run of hundreds of volumes goes in batches of this many. */
export const JOB_BATCH = 10;
/** A run left STARTING (its maker died or ran out of time) is taken up again after this long. */
export const RESUME_AFTER_MS = 2 * 60_000;
/** A run that keeps failing for reasons that may pass is given up after this long. */
export const GIVE_UP_AFTER_MS = 30 * 60_000;
/** How long a run waits for one execution to start; the sweeper starts any that did not. */
const START_WAIT_MS = 5_000;

const MAX_JOB_NAME = 60;

/** The id of the job a run makes for a volume: the same on every attempt of the run. */
export const policyJobId = (policyId: string, runId: string, volumeId: string): string => {
  const hex = createHash("sha256").update(`${policyId}|${runId}|${volumeId}`).digest("hex");
  return `job-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

export const newRun = (
  policy: DrPolicy,
  trigger: PolicyRun["trigger"],
  scheduledFor: string,
  now: Date,
): PolicyRun => ({
  policyId: policy.policyId,
  runId: trigger === "schedule" ? scheduledFor : `manual-${now.toISOString()}`,
  accountId: policy.accountId,
  trigger,
  scheduledFor,
  startedAt: now.toISOString(),
  status: "STARTING",
  finishedAt: null,
  resumeAt: new Date(now.getTime() + RESUME_AFTER_MS).toISOString(),
  selectedVolumes: 0,
  jobs: [],
  skipped: [],
  failures: [],
  error: null,
});

interface VolumePlan {
  volumeId: string;
  snapshot: SnapshotView;
  destinationRegions: string[];
  /** The job each destination's target named when planned: the volume is taken only from it. */
  seenJobs: Record<string, string | null>;
}

interface RunPlan {
  selected: number;
  plans: VolumePlan[];
  skipped: RunSkip[];
  /** Completed copies made outside the policy (the API, another policy): recovery points too. */
  adopted: { volumeId: string; snapshot: SnapshotView; copy: SnapshotView }[];
  /** Targets of volumes or regions the policy no longer selects: their RPO checks retire. */
  stale: VolumeTarget[];
}

/** The unfinished jobs among `jobIds`, by id. */
const unfinishedJobs = async (
  jobIds: readonly string[],
  jobs: JobStore,
): Promise<Map<string, ReplicationJob>> => {
  const found = await inBatches([...new Set(jobIds)], JOB_BATCH, (jobId) => jobs.get(jobId));
  return new Map(
    found
      .filter((job): job is ReplicationJob => job !== undefined && !isFinishedJob(job.status))
      .map((job) => [job.jobId, job]),
  );
};

const planRun = async (policy: DrPolicy, run: PolicyRun, deps: PolicyDeps): Promise<RunPlan> => {
  const { accountId, sourceRegion, policyId } = policy;
  const volumeIds = await deps.snapshots.findVolumes(accountId, sourceRegion, policy.selector);
  const newest = await deps.snapshots.newestSnapshots(accountId, sourceRegion, volumeIds);
  const targets = new Map(
    (await deps.policies.targets(policyId)).map((target) => [
      targetKey(target.volumeId, target.destinationRegion),
      target,
    ]),
  );
  const running = await unfinishedJobs(
    [...targets.values()].flatMap((target) => target.activeJobId ?? []),
    deps.jobs,
  );
  const sourceIds = [...newest.values()].map((snapshot) => snapshot.snapshotId);
  // Copies already made (or being made) of these snapshots, in each destination.
  const copied = new Map<string, Map<string, SnapshotView>>();
  for (const region of policy.destinationRegions) {
    const copies =
      sourceIds.length === 0
        ? []
        : await deps.snapshots.findTagged(accountId, region, { [TAG_SOURCE_SNAPSHOT]: sourceIds });
    copied.set(
      region,
      new Map(
        copies
          .filter((copy) => copy.state !== "error")
          .map((copy) => [copy.tags[TAG_SOURCE_SNAPSHOT] ?? "", copy]),
      ),
    );
  }
  // Jobs outside the policy (from the API) copying the same snapshots.
  const otherJobs = new Map(
    await inBatches(sourceIds, JOB_BATCH, async (snapshotId) => [
      snapshotId,
      await deps.jobs.activeJobsFor(accountId, sourceRegion, snapshotId),
    ]),
  );

  const selected = new Set(volumeIds);
  const plan: RunPlan = {
    selected: volumeIds.length,
    plans: [],
    skipped: [],
    adopted: [],
    stale: [...targets.values()].filter(
      (target) =>
        target.breachAt !== null &&
        (!selected.has(target.volumeId) ||
          !policy.destinationRegions.includes(target.destinationRegion)),
    ),
  };
  for (const volumeId of [...volumeIds].sort()) {
    const snapshot = newest.get(volumeId);
    if (!snapshot) {
      plan.skipped.push({
        volumeId,
        snapshotId: null,
        reason: `${volumeId} has no completed snapshot in ${sourceRegion}`,
      });
      continue;
    }
    const ownJobId = policyJobId(policyId, run.runId, volumeId);
    const destinations: string[] = [];
    const reasons: string[] = [];
    const seenJobs: Record<string, string | null> = {};
    for (const region of policy.destinationRegions) {
      seenJobs[region] = targets.get(targetKey(volumeId, region))?.activeJobId ?? null;
      // This run's own job (made by an earlier attempt, or by another taking it up at the same
      // time), finished or not: it stays this run's job. An attempt cut short may have made the
      // job, even seen its copy finish, before recording it on the volume's target.
      const existingCopy = copied.get(region)?.get(snapshot.snapshotId);
      const isOwn =
        seenJobs[region] === ownJobId ||
        existingCopy?.tags[TAG_JOB_ID] === ownJobId ||
        (otherJobs.get(snapshot.snapshotId) ?? []).some((job) => job.jobId === ownJobId);
      if (isOwn) {
        destinations.push(region);
        continue;
      }
      const active = running.get(seenJobs[region] ?? "");
      if (active) {
        reasons.push(
          `${region}: the copy of ${active.snapshotId} (job ${active.jobId}) is still running; the next run copies the newest snapshot after it`,
        );
      } else if (copied.get(region)?.has(snapshot.snapshotId)) {
        reasons.push(`${region}: ${snapshot.snapshotId} already has a copy there`);
        const copy = copied.get(region)?.get(snapshot.snapshotId);
        if (copy?.state === "completed") plan.adopted.push({ volumeId, snapshot, copy });
      } else if (
        (otherJobs.get(snapshot.snapshotId) ?? []).some((job) =>
          job.copies.some((copy) => copy.destinationRegion === region),
        )
      ) {
        reasons.push(`${region}: another job is copying ${snapshot.snapshotId} there`);
      } else {
        destinations.push(region);
      }
    }
    if (reasons.length > 0) {
      plan.skipped.push({ volumeId, snapshotId: snapshot.snapshotId, reason: reasons.join("; ") });
    }
    if (destinations.length > 0) {
      plan.plans.push({ volumeId, snapshot, destinationRegions: destinations, seenJobs });
    }
  }
  const { volumesPerRun } = await deps.limits(accountId);
  if (plan.plans.length > volumesPerRun) {
    // The volumes this run already gave a job keep it; then those whose recovery point is oldest
    // (never copied first): the volumes left out now are the first copied next run.
    const oldestPoint = (volume: VolumePlan) =>
      volume.destinationRegions
        .map(
          (region) =>
            targets.get(targetKey(volume.volumeId, region))?.recoveryPoint?.sourceTime ?? "",
        )
        .sort()[0] ?? "";
    const ownJob = (volume: VolumePlan) =>
      Object.values(volume.seenJobs).includes(policyJobId(policyId, run.runId, volume.volumeId));
    const ranked = [...plan.plans].sort(
      (a, b) =>
        Number(ownJob(b)) - Number(ownJob(a)) ||
        oldestPoint(a).localeCompare(oldestPoint(b)) ||
        a.volumeId.localeCompare(b.volumeId),
    );
    plan.plans = ranked.slice(0, volumesPerRun);
    for (const left of ranked.slice(volumesPerRun)) {
      plan.skipped.push({
        volumeId: left.volumeId,
        snapshotId: left.snapshot.snapshotId,
        reason: `the run copies at most ${volumesPerRun} volumes (this account's limit); the volumes with the oldest recovery points went first, and this one goes first next run`,
      });
    }
  }
  return plan;
};

/** Every volume of one outcome the run has recorded so far, page by page. */
const recordedVolumes = async (
  policyId: string,
  runId: string,
  outcome: "job",
  policies: PolicyStore,
): Promise<RunJob[]> => {
  const found: RunJob[] = [];
  let nextToken: string | undefined;
  do {
    const page = await policies.runVolumes(policyId, runId, { limit: 500, outcome, nextToken });
    for (const volume of page.volumes) {
      if (volume.outcome === "job") {
        const { outcome: _, ...job } = volume;
        found.push(job);
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
};

const jobName = (policy: DrPolicy, volumeId: string): string =>
  [...`DR copy of ${volumeId} by ${policy.name}`].slice(0, MAX_JOB_NAME).join("");

/**
 * Makes (or finds) the volume's job and starts its execution; a reason instead when another run
 * (a run now beside a scheduled one) gave the volume a job in every destination meanwhile.
 */
const startVolumeJob = async (
  policy: DrPolicy,
  run: PolicyRun,
  plan: VolumePlan,
  deps: PolicyDeps,
): Promise<RunJob | RunSkip> => {
  const jobId = policyJobId(policy.policyId, run.runId, plan.volumeId);
  const now = deps.clock.now();
  // The targets name the job before it exists: a run that dies here is taken up again, and the
  // next run waits for this job instead of starting a second copy of the volume. Each target is
  // taken only from the job the plan saw, so two runs never both copy a volume to one region.
  const destinationRegions: string[] = [];
  for (const region of plan.destinationRegions) {
    const taken = await deps.policies.assignJob(
      { policyId: policy.policyId, volumeId: plan.volumeId, destinationRegion: region },
      jobId,
      now.toISOString(),
      breachTime(now.toISOString(), policy.rpoMinutes),
      plan.seenJobs[region] ?? null,
    );
    if (taken) destinationRegions.push(region);
  }
  if (destinationRegions.length === 0) {
    return {
      volumeId: plan.volumeId,
      snapshotId: plan.snapshot.snapshotId,
      reason: `another run of the policy gave ${plan.volumeId} a job in ${plan.destinationRegions.join(", ")} meanwhile`,
    };
  }
  const fresh = newJob(
    policy.accountId,
    {
      snapshotId: plan.snapshot.snapshotId,
      sourceRegion: policy.sourceRegion,
      destinationRegions,
      name: jobName(policy, plan.volumeId),
      tags: {
        [TAG_POLICY_ID]: policy.policyId,
        [TAG_VOLUME_ID]: plan.volumeId,
        [TAG_SOURCE_TIME]: plan.snapshot.startTime,
      },
    },
    jobId,
    now,
    { type: "schedule", policyId: policy.policyId, runId: run.runId },
  );
  let job: ReplicationJob;
  try {
    job = (await deps.jobs.create(fresh)).job;
  } catch (error) {
    // Made by an earlier attempt of this run.
    const existing = await deps.jobs.get(jobId);
    if (!existing) throw error;
    job = existing;
  }
  if (job.executionArn === null) {
    try {
      const { executionArn } = await deps.workflow.start(
        jobId,
        { jobId },
        { signal: AbortSignal.timeout(START_WAIT_MS) },
      );
      await deps.jobs.apply(jobId, { executionArn }, deps.clock.now().toISOString());
    } catch {
      // The job is stored, so it runs: the sweeper starts it (see sweep-jobs.ts).
    }
  }
  return {
    volumeId: plan.volumeId,
    snapshotId: job.snapshotId,
    jobId,
    destinationRegions: job.copies.map((copy) => copy.destinationRegion),
  };
};

/**
 * Carries out a run (or takes up one left STARTING): every selected volume ends with a job, a
 * reason it needs none, or a recorded failure, and the run is saved STARTED. With `deadline`
 * (epoch ms) passed half-way, it saves what it did and stays STARTING for the next tick.
 */
export const executeRun = (
  policy: DrPolicy,
  run: PolicyRun,
  deps: PolicyDeps,
  deadline = Number.POSITIVE_INFINITY,
  events: PolicyEvents = silentEvents,
): Promise<PolicyRun> =>
  // The tenant's CloudTrail names the policy its reads were made for.
  actingFor(policy.policyId, () => carryOut(policy, run, deps, deadline, events));

const carryOut = async (
  policy: DrPolicy,
  run: PolicyRun,
  deps: PolicyDeps,
  deadline: number,
  events: PolicyEvents,
): Promise<PolicyRun> => {
  if (run.status !== "STARTING") return run;
  const refusal = await deps.allowlist?.refusal(policy.accountId);
  if (refusal) {
    const refused: PolicyRun = {
      ...run,
      status: "FAILED",
      finishedAt: deps.clock.now().toISOString(),
      resumeAt: null,
      error: { code: refusal.code, message: `The run started nothing: ${refusal.message}` },
    };
    await deps.policies.saveRun(refused);
    return refused;
  }
  let plan: RunPlan;
  try {
    plan = await planRun(policy, run, deps);
  } catch (error) {
    const now = deps.clock.now();
    // EC2 throttling passes: the run is taken up again (by then the account's calls have
    // spread out); a refusal that lasts (no access, say) fails it now, and so does any trouble
    // once the run has tried for GIVE_UP_AFTER_MS.
    const lasting =
      (isDomainError(error) && !isDomainError(error, "CloudThrottled")) ||
      now.getTime() - Date.parse(run.startedAt) > GIVE_UP_AFTER_MS;
    const failed: PolicyRun = {
      ...run,
      error: {
        code: isDomainError(error) ? error.code : "PolicyRunFailed",
        message: `The run could not read the volumes and snapshots of ${policy.sourceRegion}: ${errorMessage(error)}${lasting ? "" : " (it is tried again)"}`,
      },
      ...(lasting
        ? { status: "FAILED", finishedAt: now.toISOString(), resumeAt: null }
        : { resumeAt: new Date(now.getTime() + RESUME_AFTER_MS).toISOString() }),
    };
    await deps.policies.saveRun(failed);
    return failed;
  }

  // Bookkeeping of recovery points: best effort, the next run does it again.
  for (const { volumeId, snapshot, copy } of plan.adopted) {
    await recordRecoveryPoint(
      policy,
      { volumeId, destinationRegion: copy.region },
      {
        sourceSnapshotId: snapshot.snapshotId,
        sourceTime: snapshot.startTime,
        copySnapshotId: copy.snapshotId,
        jobId: copy.tags[TAG_JOB_ID] ?? "",
        copiedAt: copy.startTime,
      },
      deps,
      events,
    ).catch(() => undefined);
  }
  for (const target of plan.stale) {
    await deps.policies.retireBreachCheck(target).catch(() => undefined);
  }

  // Each volume's outcome is recorded as its batch ends: a run cut short keeps what it did, and
  // the attempt that takes it up starts no volume twice.
  const jobs = new Map(
    (await recordedVolumes(policy.policyId, run.runId, "job", deps.policies)).map((job) => [
      job.volumeId,
      job,
    ]),
  );
  const skipped = [...plan.skipped];
  const failures: RunFailure[] = [];
  await deps.policies.recordRunVolumes(policy.policyId, run.runId, skipped.map(runVolumeOf));
  let unfinished = false;
  const toStart = plan.plans.filter((volume) => !jobs.has(volume.volumeId));
  let held = run.resumeAt;
  for (let index = 0; index < toStart.length; index += JOB_BATCH) {
    if (Date.now() > deadline) {
      unfinished = true;
      break;
    }
    // The run stays this attempt's while it works: its time to be taken up again moves on before
    // each batch. An attempt that finds it moved by another (which took the run up) stops and
    // leaves the run to that one.
    const claim = new Date(deps.clock.now().getTime() + RESUME_AFTER_MS).toISOString();
    if (held === null || !(await deps.policies.claimResume({ ...run, resumeAt: held }, claim))) {
      return (await deps.policies.getRun(run.policyId, run.runId)) ?? run;
    }
    held = claim;
    const batch = toStart.slice(index, index + JOB_BATCH);
    const outcomes = await Promise.all(
      batch.map(async (volume): Promise<RunJob | RunSkip | RunFailure> => {
        try {
          return await startVolumeJob(policy, run, volume, deps);
        } catch (error) {
          return {
            volumeId: volume.volumeId,
            code: isDomainError(error) ? error.code : "JobNotCreated",
            message: `No job was made for ${volume.volumeId} (${volume.snapshot.snapshotId}): ${errorMessage(error)}`,
          };
        }
      }),
    );
    for (const outcome of outcomes) {
      if ("jobId" in outcome) jobs.set(outcome.volumeId, outcome);
      else if ("reason" in outcome) skipped.push(outcome);
      else failures.push(outcome);
    }
    await deps.policies.recordRunVolumes(policy.policyId, run.runId, outcomes.map(runVolumeOf));
  }
  const now = deps.clock.now().toISOString();
  const firstOf = <T extends { volumeId: string }>(entries: Iterable<T>): T[] =>
    [...entries].sort((a, b) => a.volumeId.localeCompare(b.volumeId)).slice(0, RUN_VIEW_VOLUMES);
  const done: PolicyRun = {
    ...run,
    selectedVolumes: plan.selected,
    counts: { jobs: jobs.size, skipped: skipped.length, failures: failures.length },
    jobs: firstOf(jobs.values()),
    skipped: firstOf(skipped),
    failures: firstOf(failures),
    error: null,
    ...(unfinished
      ? { resumeAt: now }
      : {
          status: jobs.size === 0 && failures.length > 0 ? "FAILED" : "STARTED",
          finishedAt: now,
          resumeAt: null,
        }),
  };
  await deps.policies.saveRun(done);
  return done;
};
