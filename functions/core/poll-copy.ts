// The PollCopy step: ask the destination region how the copy is doing, record its progress,
// and say when to look again. A copy the cloud failed becomes a named error.
import { DomainError } from "./errors.js";
import { loadCopy } from "./load-job.js";
import { nextPollDelaySeconds } from "./polling.js";
import type { StepDeps } from "./step-deps.js";

export interface CopyProgress {
  state: "pending" | "completed";
  progress: number;
  waitSeconds: number;
}

export const pollCopy = async (
  jobId: string,
  destinationRegion: string,
  deps: StepDeps,
): Promise<CopyProgress> => {
  const { job, copy } = await loadCopy(deps.jobs, jobId, destinationRegion);
  if (copy.status === "COMPLETED") return { state: "completed", progress: 100, waitSeconds: 0 };
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
  if (snapshot.state === "completed") return { state: "completed", progress: 100, waitSeconds: 0 };
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
  return {
    state: "pending",
    progress: snapshot.progress,
    waitSeconds: nextPollDelaySeconds({
      progress: snapshot.progress,
      elapsedSeconds: Math.max(0, (now.getTime() - startedAt) / 1000),
      minSeconds: deps.settings.pollMinSeconds,
      maxSeconds: deps.settings.pollMaxSeconds,
      random: (deps.random ?? Math.random)(),
    }),
  };
};
