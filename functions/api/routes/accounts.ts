// An account's access once approved: the tenant connects it (snaprelay tries its role at once),
// an admin revokes it (its jobs in flight are cancelled, and the answer lists them).
import { connectAccount, type TenancyDeps } from "../../core/access.js";
import type { AccountGrant } from "../../core/ports.js";
import { revokeAccess } from "../../core/revoke-access.js";
import type { ApiDeps } from "../../wiring.js";
import { json } from "../http.js";
import {
  type ApiEvent,
  assertAdmin,
  type Caller,
  jsonBody,
  pathParameter,
  type RequestScope,
} from "../request-context.js";

/** Room left before the answer is due: cancelling stops this long before it. */
const REVOKE_ANSWER_MARGIN_MS = 3_000;

/** The tenancy rules' deps, out of the API's. */
export const tenancyOf = (deps: ApiDeps): TenancyDeps & Pick<ApiDeps, "roles"> => ({
  access: deps.access,
  clock: deps.clock,
  tenancy: deps.config,
  roles: deps.roles,
});

/** A grant as the API shows it: the external id only ever in its onboarding. */
export const presentGrant = (grant: AccountGrant) => ({
  accountId: grant.accountId,
  requestId: grant.requestId,
  status: grant.status,
  grantedBy: grant.grantedBy,
  grantedAt: grant.grantedAt,
  connectedAt: grant.connectedAt,
  connectFailure: grant.connectFailure,
  revocation: grant.revocation,
});

/** POST /account/connect: the caller's account, tried now. */
export const connectOwnAccount = async (_event: ApiEvent, caller: Caller, deps: ApiDeps) =>
  json(200, await connectAccount(caller.accountId, tenancyOf(deps)));

/** POST /admin/accounts/{accountId}/revoke */
export const revokeAccount = async (
  event: ApiEvent,
  caller: Caller,
  deps: ApiDeps,
  scope: RequestScope,
) => {
  assertAdmin(caller, "revoke an account's access");
  const accountId = pathParameter(event, "accountId");
  const outcome = await revokeAccess(
    caller.accountId,
    accountId,
    event.body ? jsonBody(event) : {},
    { ...deps, tenancy: deps.config },
    scope.answerBy.getTime() - REVOKE_ANSWER_MARGIN_MS,
  );
  return json(200, {
    ...presentGrant(outcome.grant),
    cancelledJobs: outcome.cancelledJobs,
    jobsStillInFlight: outcome.jobsStillInFlight,
  });
};
