// Each account's limits: the account reads its own (and what it uses of them); an admin reads and
// sets any account's. A limit set for an account holds from its next request on.
import { z } from "zod";
import {
  type AccountLimits,
  effectiveLimits,
  LIMIT_NAMES,
  type LimitOverrides,
} from "../../core/limits.js";
import { PRINTABLE, PRINTABLE_MESSAGE, parseWith } from "../../core/request.js";
import type { ApiDeps } from "../../wiring.js";
import { json } from "../http.js";
import {
  type ApiEvent,
  assertAdmin,
  type Caller,
  jsonBody,
  pathParameter,
} from "../request-context.js";

const SET_LIMITS = "set an account's limits";

/** Every limit a whole number of at least 1, within what one deployment can bear. */
const LimitValue = (max: number) => z.number().int().min(1).max(max);

export const LimitsSchema = z.strictObject({
  requestsPerSecond: LimitValue(100_000).optional(),
  jobsInFlight: LimitValue(1_000_000).optional(),
  policies: LimitValue(100_000).optional(),
  volumesPerRun: LimitValue(100_000).optional(),
  minScheduleMinutes: LimitValue(525_600).optional(),
}) satisfies z.ZodType<Partial<AccountLimits>>;

export const SetLimitsBodySchema = z.strictObject({
  /** The limits set for the account; a limit left out follows the deployment's default. */
  limits: LimitsSchema,
  note: z.string().trim().min(1).max(500).regex(PRINTABLE, PRINTABLE_MESSAGE).optional(),
});

const limitsView = (accountId: string, deps: ApiDeps, overrides: LimitOverrides | undefined) => ({
  accountId,
  limits: effectiveLimits(deps.config.accountLimits, overrides),
  defaults: deps.config.accountLimits,
  overrides: overrides ?? null,
});

/** GET /limits: the caller's own limits, and how much of the counted ones it uses now. */
export const getOwnLimits = async (_event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const overrides = await deps.accountLimits.overrides(caller.accountId);
  const view = limitsView(caller.accountId, deps, overrides);
  const [jobsInFlight, policies] = await Promise.all([
    deps.accountLimits.jobsInFlight(caller.accountId, view.limits.jobsInFlight),
    deps.accountLimits.policyCount(caller.accountId, view.limits.policies),
  ]);
  return json(200, { ...view, usage: { jobsInFlight, policies } });
};

export const getAccountLimits = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  assertAdmin(caller, "read another account's limits");
  const accountId = pathParameter(event, "accountId");
  return json(200, limitsView(accountId, deps, await deps.accountLimits.overrides(accountId)));
};

export const setAccountLimits = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  assertAdmin(caller, SET_LIMITS);
  const accountId = pathParameter(event, "accountId");
  const body = parseWith(SetLimitsBodySchema, jsonBody(event), "body");
  const limits = Object.fromEntries(
    LIMIT_NAMES.flatMap((name) =>
      body.limits[name] === undefined ? [] : [[name, body.limits[name]]],
    ),
  ) as Partial<AccountLimits>;
  const overrides: LimitOverrides = {
    accountId,
    limits,
    by: caller.accountId,
    at: deps.clock.now().toISOString(),
    ...(body.note ? { note: body.note } : {}),
  };
  await deps.accountLimits.setOverrides(overrides);
  return json(200, limitsView(accountId, deps, overrides));
};
