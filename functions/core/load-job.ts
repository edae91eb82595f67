// Reading a job, or a job's copy, that a step was told about; a missing one is a named error.
import { DomainError } from "./errors.js";
import { type CopyRecord, findCopy, type ReplicationJob } from "./job.js";
import type { JobStore } from "./ports.js";

export const loadJob = async (jobs: JobStore, jobId: string): Promise<ReplicationJob> => {
  const job = await jobs.get(jobId);
  if (!job) throw new DomainError("JobNotFound", `Job ${jobId} does not exist.`);
  return job;
};

export const loadCopy = async (
  jobs: JobStore,
  jobId: string,
  destinationRegion: string,
): Promise<{ job: ReplicationJob; copy: CopyRecord }> => {
  const job = await loadJob(jobs, jobId);
  const copy = findCopy(job, destinationRegion);
  if (!copy) {
    throw new DomainError(
      "JobNotFound",
      `Job ${jobId} has no copy to ${destinationRegion}; its destinations are ${job.copies.map((c) => c.destinationRegion).join(", ")}.`,
    );
  }
  return { job, copy };
};
