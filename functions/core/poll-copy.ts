// The PollCopy step, the safety net under the copy's event: when a copy's wait for its end ran
// out, ask the destination region how the copy is doing, record its progress, and say how long
// the next wait may last. A copy the cloud failed becomes a named error.
import { DomainError } from "./errors.js";
import type { CopyRecord } from "./job.js";
import { loadCopy } from "./load-job.js";
import { copyWaitSeconds } from "./polling.js";
import type { StepDeps } from "./step-deps.js";

export interface CopyProgress {
  state: "pending" | "completed";
  progress: number;
  /** How long the next wait for the copy's end may last before the next safety poll. */
  waitSeconds: number;
  /** Safety polls made of this copy so far. */
  polls: number;
}

export const COPY_COMPLETED: CopyProgress = {
  state: "completed",
  progress: 100,
  waitSeconds: 0,
  polls: 0,
};

/** The next wait for a copy's end, from what is known of it now. */
export const nextWait = (
  copy: Pick<CopyRecord, "sizeGiB">,
  progress: number,
  elapsedSeconds: number,
  polls: number,
  deps: Pick<StepDeps, "settings">,
): number =>
  copyWaitSeconds({
    sizeGiB: copy.sizeGiB ?? null,
    progress,
    elapsedSeconds,
    polls,
    assumedMiBPerSecond: deps.settings.assumedCopyMiBPerSecond,
    minSeconds: deps.settings.pollMinSeconds,
    maxSeconds: deps.settings.pollMaxSeconds,
  });

export const pollCopy = async (
  jobId: string,
  destinationRegion: string,
  deps: StepDeps,
  pollsBefore = 0,
): Promise<CopyProgress> => {
  const polls = pollsBefore + 1;
  const { job, copy } = await loadCopy(deps.jobs, jobId, destinationRegion);
  if (copy.status === "COMPLETED") return { ...COPY_COMPLETED, polls };
  if (!copy.destinationSnapshotId || copy.status !== "COPYING") {
    throw new DomainError(
      "IllegalTransition",
      `The copy of job ${jobId} to ${destinationRegion} is ${copy.status}; only a started copy can be polled.`,
    );
  }

  const snapshot = await deps.snapshots.describe(
    job.accountId,
    destinationRegion,
    copy.destinationSnapshotId,
  );
  if (!snapshot) {
    throw new DomainError(
      "CopyFailed",
      `Copy ${copy.destinationSnapshotId} no longer exists in ${destinationRegion}; it was deleted while copying.`,
    );
  }
  if (snapshot.state === "error") {
    throw new DomainError(
      "CopyFailed",
      `Copy ${snapshot.snapshotId} in ${destinationRegion} failed: ${snapshot.stateMessage ?? "the cloud gave no reason"}.`,
    );
  }

  const now = deps.clock.now();
  if (snapshot.state === "completed") return { ...COPY_COMPLETED, polls };
  const startedAt = Date.parse(copy.startedAt ?? snapshot.startTime);
  if (snapshot.progress !== copy.progress) {
    await deps.jobs.apply(
      jobId,
      {
        copies: {
          [destinationRegion]: { progress: snapshot.progress, progressAt: now.toISOString() },
        },
      },
      now.toISOString(),
    );
  } else {
    const stillSince = Date.parse(copy.progressAt ?? copy.startedAt ?? snapshot.startTime);
    const stillSeconds = (now.getTime() - stillSince) / 1000;
    if (stillSeconds > deps.settings.copyStallSeconds) {
      throw new DomainError(
        "CopyStalled",
        `Copy ${snapshot.snapshotId} in ${destinationRegion} has stayed at ${snapshot.progress}% for ${Math.round(stillSeconds)} s, longer than the ${deps.settings.copyStallSeconds} s allowed (COPY_STALL_SECONDS); it was given up.`,
      );
    }
  }
  const elapsedSeconds = Math.max(0, (now.getTime() - startedAt) / 1000);
  return {
    state: "pending",
    progress: snapshot.progress,
    waitSeconds: nextWait(copy, snapshot.progress, elapsedSeconds, polls, deps),
    polls,
  };
};
