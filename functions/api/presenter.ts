// What the API shows of a job: the stored job less what only the service needs.
import type { ReplicationJob } from "../core/job.js";

export const presentJob = ({ accountId, ...job }: ReplicationJob) => job;
