// What snaprelay acts for when it calls a tenant's cloud: a job, a policy's run, an API request.
// It is carried through the async calls of that work (AsyncLocalStorage), so the adapter that
// assumes the tenant's role names it in the role session, and the tenant's CloudTrail shows which
// job or policy made each call (userIdentity.arn: …:assumed-role/<role>/snaprelay-job-…).
import { AsyncLocalStorage } from "node:async_hooks";

const actor = new AsyncLocalStorage<string>();

/** Work done for no job or policy in particular. */
export const SERVICE_SESSION_NAME = "snaprelay";

/** A role session name for `what`: STS takes 2 to 64 of [A-Za-z0-9_+=,.@-]. */
export const roleSessionNameOf = (what: string): string =>
  `${SERVICE_SESSION_NAME}-${what}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);

/** Runs `work` as done for `what` (a job id, a policy id, "api"); the innermost one counts. */
export const actingFor = <T>(what: string, work: () => Promise<T>): Promise<T> =>
  actor.run(roleSessionNameOf(what), work);

/** The role session name of the work in progress. */
export const currentRoleSessionName = (): string => actor.getStore() ?? SERVICE_SESSION_NAME;
