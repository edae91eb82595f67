// Stand-ins for tenancy's edges in unit tests: the roles tenants create (AccountRoles, as STS
// answers for them) and the settings of a deployment in account 000000000000.
import { DomainError } from "../../functions/core/errors.js";
import type { TenancySettings } from "../../functions/core/onboarding.js";
import type { AccountRoles } from "../../functions/core/ports.js";
import { ACCOUNT } from "./fakes.js";

export const SERVICE_ACCOUNT = "000000000000";
export const DEPLOYMENT_EXTERNAL_ID = "deployment-wide-id";

export const tenancySettings = (fields: Partial<TenancySettings> = {}): TenancySettings => ({
  serviceAccountId: SERVICE_ACCOUNT,
  partition: "aws-cn",
  accountRoleName: "snaprelay-access",
  allowlistedAccounts: [ACCOUNT],
  accountRoleExternalId: DEPLOYMENT_EXTERNAL_ID,
  ...fields,
});

/** The roles tenants made, each with the external id its trust policy asks for. */
export class FakeAccountRoles implements AccountRoles {
  private readonly roles = new Map<string, string | undefined>();
  /** Every AssumeRole tried, in order: `account externalId`. */
  readonly tries: string[] = [];

  createRole(accountId: string, externalId: string | undefined): void {
    this.roles.set(accountId, externalId);
  }

  deleteRole(accountId: string): void {
    this.roles.delete(accountId);
  }

  async tryAssume(accountId: string, externalId: string | undefined): Promise<void> {
    this.tries.push(`${accountId} ${externalId ?? "-"}`);
    if (!this.roles.has(accountId) || this.roles.get(accountId) !== externalId) {
      throw new DomainError(
        "AccountAccessDenied",
        `STS refused to let snaprelay assume arn:aws-cn:iam::${accountId}:role/snaprelay-access (AccessDenied)`,
      );
    }
  }

  triesFor(accountId: string): number {
    return this.tries.filter((line) => line.startsWith(`${accountId} `)).length;
  }
}
