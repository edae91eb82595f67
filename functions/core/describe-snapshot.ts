// A snapshot as snaprelay shows it: the cloud's view, plus where it is being copied to (as a
// source) or where it came from (as a copy). A copy has no link to a disk, so no rollback.
import { TAG_JOB_ID, TAG_SOURCE_REGION, TAG_SOURCE_SNAPSHOT } from "./copy-tags.js";
import { DomainError } from "./errors.js";
import { isFinishedCopy } from "./job.js";
import { liveCopies, type SnapshotReadCache } from "./live-progress.js";
import type { Clock, JobStore, SnapshotProvider, SnapshotView } from "./ports.js";
import { assertSupportedRegion, type ReplicationPolicy } from "./rules.js";

/** The volume id EC2 gives every copied snapshot: it belongs to no disk. */
export const COPY_VOLUME_ID = "vol-ffffffff";

export interface SnapshotReport {
  snapshotId: string;
  region: string;
  name: string;
  /** The console's words: copying while a copy fills it, then normal. */
  status: "creating" | "copying" | "normal" | "error";
  state: SnapshotView["state"];
  progress: number;
  volumeId: string;
  volumeSizeGiB: number;
  startTime: string;
  stateMessage: string | null;
  copiedFrom: { region: string; snapshotId: string; jobId: string | null } | null;
  rollbackAvailable: boolean;
  replication: {
    copying: boolean;
    destinations: Array<{
      destinationRegion: string;
      status: string;
      progress: number;
      /** Seconds until the copy is expected to end (copies in flight); null when unknown. */
      etaSeconds: number | null;
      destinationSnapshotId: string | null;
      jobId: string;
    }>;
    jobs: string[];
  };
  tags: Record<string, string>;
}

const statusOf = (snapshot: SnapshotView, isCopy: boolean): SnapshotReport["status"] => {
  if (snapshot.state === "completed") return "normal";
  if (snapshot.state === "error") return "error";
  return isCopy ? "copying" : "creating";
};

export const describeSnapshot = async (
  accountId: string,
  region: string,
  snapshotId: string,
  deps: {
    snapshots: SnapshotProvider;
    jobs: JobStore;
    settings: ReplicationPolicy;
    reads: SnapshotReadCache;
    clock: Clock;
  },
): Promise<SnapshotReport> => {
  assertSupportedRegion(region, "Region", deps.settings);
  const snapshot = await deps.snapshots.describe(accountId, region, snapshotId);
  if (!snapshot) {
    throw new DomainError(
      "SnapshotNotFound",
      `Snapshot ${snapshotId} does not exist in ${region}.`,
    );
  }
  const sourceSnapshot = snapshot.tags[TAG_SOURCE_SNAPSHOT];
  const sourceRegion = snapshot.tags[TAG_SOURCE_REGION];
  const copiedFrom =
    sourceSnapshot && sourceRegion
      ? {
          region: sourceRegion,
          snapshotId: sourceSnapshot,
          jobId: snapshot.tags[TAG_JOB_ID] ?? null,
        }
      : null;
  const isCopy = copiedFrom !== null || snapshot.volumeId === COPY_VOLUME_ID;

  const jobs = await deps.jobs.activeJobsFor(accountId, region, snapshotId);
  const live = await Promise.all(jobs.map((job) => liveCopies(accountId, job.copies, deps)));
  const destinations = jobs.flatMap((job, index) =>
    job.copies
      .filter((copy) => !isFinishedCopy(copy.status))
      .map((copy) => ({
        destinationRegion: copy.destinationRegion,
        status: copy.status,
        progress: live[index]?.[copy.destinationRegion]?.progress ?? copy.progress,
        etaSeconds: live[index]?.[copy.destinationRegion]?.etaSeconds ?? null,
        destinationSnapshotId: copy.destinationSnapshotId,
        jobId: job.jobId,
      })),
  );
  return {
    snapshotId: snapshot.snapshotId,
    region,
    name: snapshot.tags.Name ?? snapshot.description,
    status: statusOf(snapshot, isCopy),
    state: snapshot.state,
    progress: snapshot.progress,
    volumeId: snapshot.volumeId,
    volumeSizeGiB: snapshot.volumeSizeGiB,
    startTime: snapshot.startTime,
    stateMessage: snapshot.stateMessage ?? null,
    copiedFrom,
    rollbackAvailable: !isCopy,
    replication: {
      copying: destinations.length > 0,
      destinations,
      jobs: jobs.map((job) => job.jobId),
    },
    tags: snapshot.tags,
  };
};
