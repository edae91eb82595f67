// The DR policy routes: declare, list, read (with each volume's recovery point and the last runs),
// replace, delete, and run now. Policies belong to the caller's account: another account's policy
// is as absent as one that never was.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { DomainError, errorMessage, isDomainError } from "../../core/errors.js";
import { assertPoliciesBelow, assertScheduleNotTooFrequent } from "../../core/limits.js";
import {
  checkPolicyRequest,
  type DrPolicy,
  newPolicy,
  type PolicyRequest,
  replacedPolicy,
} from "../../core/policies/policy.js";
import { countsOf, type PolicyRun } from "../../core/policies/records.js";
import { recoveryPointOf, rescheduleBreachChecks } from "../../core/policies/recovery-point.js";
import { executeRun, newRun } from "../../core/policies/run-policy.js";
import { parseSchedule } from "../../core/policies/schedule.js";
import { parseWith } from "../../core/request.js";
import { loggedPolicyEvents } from "../../policy-events.js";
import type { ApiDeps } from "../../wiring.js";
import { json } from "../http.js";
import {
  type ApiEvent,
  type Caller,
  jsonBody,
  pathParameter,
  type RequestScope,
} from "../request-context.js";

const RECENT_RUNS = 5;
const RECENT_DELETIONS = 20;
/**
 * A run now gives the answer this much room; what it has not done by then, the next tick does.
 * A batch of jobs already begun must end inside it, and on a busy service one can take seconds.
 */
const RUN_ANSWER_MARGIN_MS = 10_000;

const presentPolicy = ({ accountId, ...policy }: DrPolicy) => policy;
const presentRun = (stored: PolicyRun) => {
  const { accountId, resumeAt, ...run } = stored;
  return {
    ...run,
    counts: countsOf(stored),
    volumesHref: `/policies/${run.policyId}/runs/${encodeURIComponent(run.runId)}/volumes`,
  };
};

/** Policy ids are pol- and a UUID; anything else names no policy (and is never a DynamoDB key). */
const POLICY_ID = /^pol-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ownPolicy = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const policyId = pathParameter(event, "policyId");
  const policy = POLICY_ID.test(policyId) ? await deps.policies.get(policyId) : undefined;
  if (!policy || policy.accountId !== caller.accountId) {
    throw new DomainError("PolicyNotFound", `No DR policy ${policyId} in this account.`);
  }
  return policy;
};

/** Warnings about a valid policy: a selector that matches no volume today. */
const warningsFor = async (
  accountId: string,
  request: PolicyRequest,
  deps: ApiDeps,
): Promise<string[]> => {
  let volumes: string[];
  try {
    volumes = await deps.snapshots.findVolumes(accountId, request.sourceRegion, request.selector);
  } catch (error) {
    // A role snaprelay cannot assume makes the policy useless: refused, nothing stored. Anything
    // else (EC2 busy) only leaves the advice out.
    if (isDomainError(error, "AccountAccessDenied")) throw error;
    return [
      `selector: the volumes of ${request.sourceRegion} could not be read just now (${errorMessage(error)}); the policy is kept and each run selects the volumes that match then.`,
    ];
  }
  return volumes.length > 0
    ? []
    : [
        `selector: no volume in ${request.sourceRegion} matches it today; the policy is kept and each run copies the volumes that match then.`,
      ];
};

/** The account's limits on policies: how many it keeps, how often they run. */
const assertWithinPolicyLimits = async (
  accountId: string,
  request: PolicyRequest,
  now: Date,
  deps: ApiDeps,
  creating: boolean,
) => {
  const limits = await deps.limits(accountId);
  assertScheduleNotTooFrequent(parseSchedule(request.schedule, now, request.timeZone), now, limits);
  if (creating) {
    assertPoliciesBelow(
      accountId,
      await deps.accountLimits.policyCount(accountId, limits.policies),
      limits,
    );
  }
};

export const createPolicy = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const now = deps.clock.now();
  const request = checkPolicyRequest(jsonBody(event), deps.settings, now);
  await assertWithinPolicyLimits(caller.accountId, request, now, deps, true);
  const warnings = await warningsFor(caller.accountId, request, deps);
  const policy = newPolicy(caller.accountId, request, `pol-${randomUUID()}`, now);
  await deps.policies.create(policy);
  return json(
    201,
    { ...presentPolicy(policy), warnings },
    { location: `/policies/${policy.policyId}` },
  );
};

export const RunVolumesQuerySchema = z.strictObject({
  outcome: z.enum(["job", "skipped", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  nextToken: z.string().min(1).max(2048).optional(),
});

/** Every volume of one run and what the run did with it, page by page (a run of any size). */
export const listRunVolumes = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const policy = await ownPolicy(event, caller, deps);
  const runId = pathParameter(event, "runId");
  const query = parseWith(RunVolumesQuerySchema, event.queryStringParameters ?? {}, "query");
  const run = await deps.policies.getRun(policy.policyId, runId);
  if (!run) {
    throw new DomainError(
      "RunNotFound",
      `Policy ${policy.policyId} has no run ${runId}; GET /policies/${policy.policyId} lists its last runs.`,
    );
  }
  const page = await deps.policies.runVolumes(policy.policyId, run.runId, query);
  // A run stored before its volumes were items of their own keeps them all in its lists.
  const volumes =
    run.counts === undefined && page.volumes.length === 0 && !query.nextToken
      ? [
          ...run.jobs.map((job) => ({ outcome: "job" as const, ...job })),
          ...run.skipped.map((skip) => ({ outcome: "skipped" as const, ...skip })),
          ...run.failures.map((failure) => ({ outcome: "failed" as const, ...failure })),
        ].filter((volume) => !query.outcome || volume.outcome === query.outcome)
      : page.volumes;
  return json(200, { volumes, ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
};

export const PolicyListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  nextToken: z.string().min(1).max(2048).optional(),
});

export const listPolicies = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const query = parseWith(PolicyListQuerySchema, event.queryStringParameters ?? {}, "query");
  const page = await deps.policies.listByAccount(caller.accountId, query.limit, query.nextToken);
  return json(200, {
    policies: page.policies.map(presentPolicy),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  });
};

export const getPolicy = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const policy = await ownPolicy(event, caller, deps);
  const [targets, runs, deletions] = await Promise.all([
    deps.policies.targets(policy.policyId),
    deps.policies.recentRuns(policy.policyId, RECENT_RUNS),
    deps.policies.recentDeletions(policy.policyId, RECENT_DELETIONS),
  ]);
  const now = deps.clock.now();
  const recoveryPoints = targets
    .filter((target) => policy.destinationRegions.includes(target.destinationRegion))
    .map((target) => recoveryPointOf(target, policy.rpoMinutes, now));
  const breached = recoveryPoints.filter((point) => point.status === "BREACHED").length;
  return json(200, {
    ...presentPolicy(policy),
    recovery: {
      status: breached > 0 ? "BREACHED" : "OK",
      targets: recoveryPoints.length,
      breached,
      evaluatedAt: now.toISOString(),
    },
    recoveryPoints,
    lastRuns: runs.map(presentRun),
    recentDeletions: deletions.map(({ policyId, ...deletion }) => deletion),
  });
};

export const replacePolicy = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const current = await ownPolicy(event, caller, deps);
  const now = deps.clock.now();
  const request = checkPolicyRequest(jsonBody(event), deps.settings, now);
  await assertWithinPolicyLimits(caller.accountId, request, now, deps, false);
  const warnings = await warningsFor(caller.accountId, request, deps);
  const policy = replacedPolicy(current, request, now);
  if (!(await deps.policies.replace(policy))) {
    throw new DomainError("PolicyNotFound", `No DR policy ${policy.policyId} in this account.`);
  }
  if (policy.rpoMinutes !== current.rpoMinutes) {
    await rescheduleBreachChecks(policy, deps.policies);
  }
  return json(200, { ...presentPolicy(policy), warnings });
};

export const deletePolicy = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const policy = await ownPolicy(event, caller, deps);
  await deps.policies.delete(policy.policyId);
  return { statusCode: 204, headers: {}, body: "" };
};

export const runPolicyNow = async (
  event: ApiEvent,
  caller: Caller,
  deps: ApiDeps,
  scope: RequestScope,
) => {
  const policy = await ownPolicy(event, caller, deps);
  const now = deps.clock.now();
  const run = newRun(policy, "manual", now.toISOString(), now);
  await deps.policies.addRun(run);
  // The run's jobs are made now, as far as the request's time allows; a run left STARTING is
  // finished by the scheduler's next tick.
  const done = await executeRun(
    policy,
    run,
    deps,
    scope.answerBy.getTime() - RUN_ANSWER_MARGIN_MS,
    loggedPolicyEvents,
  );
  return json(202, presentRun(done), {
    location: `/policies/${policy.policyId}`,
  });
};
