// An admin takes an approved account's access back. The grant becomes REVOKED (who, when, why) in
// one write, so the account's next request is refused and no new work starts: no job (the API and
// the Validate step refuse it), no policy run (executeRun records it FAILED). Its jobs in flight
// are cancelled with the reason "account revoked", as a tenant's cancel would (their partial
// copies are deleted with the role, while the tenant keeps it), and the answer lists them. Its
// policies stay, idle, for the day it is approved again. A revoke is safe to repeat: a second
// one cancels whatever the first had no time for.
import { decisionNote, serviceAccountRefused } from "./access.js";
import { type CancelDeps, cancelJob } from "./cancel-job.js";
import { DomainError, isDomainError } from "./errors.js";
import { isFinishedJob, JOB_STATUSES, type ReplicationJob } from "./job.js";
import type { TenancySettings } from "./onboarding.js";
import type { AccessStore, AccountGrant } from "./ports.js";

export interface RevokeDeps extends CancelDeps {
  access: AccessStore;
  tenancy: TenancySettings;
}

export interface RevokeOutcome {
  grant: AccountGrant;
  /** The account's jobs in flight this revoke cancelled. */
  cancelledJobs: string[];
  /** Some job in flight was not cancelled (time ran out, or its cancel failed): revoke again. */
  jobsStillInFlight: boolean;
}

/** Jobs listed, then cancelled this many at once. */
const CANCEL_BATCH = 5;
const PAGE = 50;

const UNFINISHED = JOB_STATUSES.filter((status) => !isFinishedJob(status));

/** Cancels the account's unfinished jobs, as many as there is time for before `deadline` (epoch ms). */
const cancelInFlight = async (
  accountId: string,
  reason: string,
  deps: RevokeDeps,
  deadline: number,
): Promise<{ cancelled: string[]; left: boolean }> => {
  const cancelled: string[] = [];
  let left = false;
  const cancel = async (job: ReplicationJob) => {
    try {
      await cancelJob({ jobId: job.jobId, accountId, reason }, deps);
      cancelled.push(job.jobId);
    } catch (error) {
      // A job that ended meanwhile needs nothing; any other failure leaves the job to a revoke again.
      if (!isDomainError(error, "JobFinished")) left = true;
    }
  };
  for (const status of UNFINISHED) {
    let nextToken: string | undefined;
    do {
      const page = await deps.jobs.listByAccount(accountId, {
        status,
        limit: PAGE,
        ...(nextToken ? { nextToken } : {}),
      });
      for (let index = 0; index < page.jobs.length; index += CANCEL_BATCH) {
        if (Date.now() > deadline) return { cancelled, left: true };
        await Promise.all(page.jobs.slice(index, index + CANCEL_BATCH).map(cancel));
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return { cancelled, left };
};

export const revokeAccess = async (
  admin: string,
  accountId: string,
  body: unknown,
  deps: RevokeDeps,
  deadline: number,
): Promise<RevokeOutcome> => {
  const note = decisionNote(body);
  if (accountId === deps.tenancy.serviceAccountId) {
    throw serviceAccountRefused(accountId, "has no tenant access to revoke");
  }
  if (deps.tenancy.allowlistedAccounts.includes(accountId)) {
    throw new DomainError(
      "AccountSeeded",
      `Account ${accountId} is seeded by the deployment's configuration (ALLOWLISTED_ACCOUNTS), not by an approval: remove it from there and deploy. A revoke takes back what an admin approved.`,
    );
  }
  const grant = await deps.access.revoke(accountId, {
    by: admin,
    at: deps.clock.now().toISOString(),
    note,
  });
  const reason = `account revoked by ${grant.revocation?.by ?? admin}${grant.revocation?.note ? `: ${grant.revocation.note}` : ""}`;
  const { cancelled, left } = await cancelInFlight(accountId, reason.slice(0, 200), deps, deadline);
  return { grant, cancelledJobs: cancelled, jobsStillInFlight: left };
};
