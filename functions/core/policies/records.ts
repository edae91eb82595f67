// What a policy leaves behind as it works: its runs, the state of each volume in each destination
// (the job copying it now and its recovery point), and the copies its retention deleted.
import type { JobError } from "../job.js";

export type RunStatus = "STARTING" | "STARTED" | "FAILED";

export interface RunJob {
  volumeId: string;
  snapshotId: string;
  jobId: string;
  destinationRegions: string[];
}

export interface RunSkip {
  volumeId: string;
  /** The volume's newest completed snapshot, when it has one. */
  snapshotId: string | null;
  reason: string;
}

export interface RunFailure {
  volumeId: string;
  code: string;
  message: string;
}

/** What a run did with one selected volume: its job, the reason it needed none, or a failure. */
export type RunVolume =
  | ({ outcome: "job" } & RunJob)
  | ({ outcome: "skipped" } & RunSkip)
  | ({ outcome: "failed" } & RunFailure);

export type RunOutcome = RunVolume["outcome"];

/** How many volumes of each outcome a run's own item lists; every one is an item of its own. */
export const RUN_VIEW_VOLUMES = 100;

/**
 * One run of a policy. STARTING until every selected volume has its job (or a stated reason
 * why not); a run that stops half-way stays STARTING and is taken up again by the next tick.
 * A run of any size fits: each volume's outcome is recorded as it happens, as an item of its own
 * (PolicyStore.recordRunVolumes), and the run lists the first RUN_VIEW_VOLUMES of each outcome
 * by volume id, with `counts` for them all.
 */
export interface PolicyRun {
  policyId: string;
  runId: string;
  accountId: string;
  trigger: "schedule" | "manual";
  /** The moment the run stands for: the schedule's time, or when it was asked for. */
  scheduledFor: string;
  startedAt: string;
  status: RunStatus;
  finishedAt: string | null;
  /** When a run still STARTING is taken up again. */
  resumeAt: string | null;
  selectedVolumes: number;
  /** Every volume of each outcome; a run stored before counts existed has none (its lists are whole). */
  counts?: RunCounts;
  jobs: RunJob[];
  skipped: RunSkip[];
  failures: RunFailure[];
  /** Why the whole run failed (no volume could be read, say). */
  error: JobError | null;
}

export interface RunCounts {
  jobs: number;
  skipped: number;
  failures: number;
}

/** A run's counts: its own, or (a run stored before them) its lists' lengths, which were whole. */
export const countsOf = (run: PolicyRun): RunCounts =>
  run.counts ?? {
    jobs: run.jobs.length,
    skipped: run.skipped.length,
    failures: run.failures.length,
  };

/** The outcome of one volume, as recorded apart from the run. */
export const runVolumeOf = (entry: RunJob | RunSkip | RunFailure): RunVolume =>
  "jobId" in entry
    ? { outcome: "job", ...entry }
    : "reason" in entry
      ? { outcome: "skipped", ...entry }
      : { outcome: "failed", ...entry };

/** The newest completed copy of a volume in a destination. */
export interface RecoveryPoint {
  sourceSnapshotId: string;
  /** When the source snapshot was taken: the moment the copy lets you recover to. */
  sourceTime: string;
  copySnapshotId: string | null;
  jobId: string;
  copiedAt: string;
}

/** One volume in one destination region of a policy. */
export interface VolumeTarget {
  policyId: string;
  volumeId: string;
  destinationRegion: string;
  /** The policy's job copying this volume there now (or that did last). */
  activeJobId: string | null;
  recoveryPoint: RecoveryPoint | null;
  /** When the RPO breach was reported; null while within the target. */
  breachedSince: string | null;
  /** When the target breaches its RPO unless a newer copy comes (the scheduler checks then). */
  breachAt: string | null;
  createdAt: string;
}

export type DeletionStatus = "DELETING" | "DELETED" | "FAILED";

/** A copy retention deleted (or is deleting): which, when, and why. */
export interface Deletion {
  policyId: string;
  volumeId: string;
  destinationRegion: string;
  snapshotId: string;
  /** The copy's own time, by which retention ordered it. */
  copyTime: string;
  reason: string;
  /** The job whose completion applied the retention. */
  jobId: string;
  status: DeletionStatus;
  at: string;
  /** Why a FAILED deletion failed (the next retention tries again). */
  error?: string;
}

/**
 * A copy a policy's job made, recorded by snaprelay from its own CopySnapshot call. Retention
 * deletes these and nothing else, ordered by `sourceTime` as recorded here: the tags on a copy
 * are the tenant's to change, so they never decide what is deleted.
 */
export interface PolicyCopy {
  policyId: string;
  volumeId: string;
  destinationRegion: string;
  snapshotId: string;
  /** The snapshot copied, and when it was taken, as snaprelay read it from the source region. */
  sourceSnapshotId: string;
  sourceTime: string;
  jobId: string;
  /** When snaprelay started the copy. */
  startedAt: string;
}

export const targetKey = (volumeId: string, destinationRegion: string) =>
  `${volumeId}#${destinationRegion}`;
