// EC2 clients that act in a tenant's cloud account, through the role snaprelay assumed there (STS
// AssumeRole with the account's external id: its own, made at its approval, or the deployment's
// for a seeded account). The role session is named for what snaprelay acts for (a job, a policy:
// core/acting-for.ts), so the tenant's CloudTrail shows it; one set of temporary credentials per
// account and session serves all its regions until shortly before it expires, so a job's steps
// in one function instance cost one AssumeRole, not one a call.
// The deployment's own account is never a tenant: nothing here acts in it. Also the AccountRoles
// port: one AssumeRole that proves a role works (POST /account/connect).
import { EC2Client } from "@aws-sdk/client-ec2";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { serviceAccountRefused } from "../../core/access.js";
import { currentRoleSessionName } from "../../core/acting-for.js";
import { DomainError, errorMessage } from "../../core/errors.js";
import { roleArnOf } from "../../core/onboarding.js";
import type { AccountRoles } from "../../core/ports.js";

export interface AccountAccessSettings {
  /** The deployment's own account: never acted in for a tenant. */
  serviceAccountId: string;
  /** aws, aws-cn, aws-us-gov: the partition of the role ARNs. */
  partition: string;
  /** The role snaprelay assumes in every other account. */
  roleName: string;
  /** The external id that role's trust policy asks for, if it asks for one. */
  externalId: string | undefined;
  /**
   * The external id of one account's role (an approved account's own); none: `externalId` for all.
   * Read when credentials are fetched, and kept EXTERNAL_ID_TTL_MS.
   */
  externalIdOf?: (accountId: string) => Promise<string | undefined>;
  /** Sends the test AssumeRole of `tryAssume`; an STS client of the functions' own by default. */
  sts?: Pick<STSClient, "send">;
  /** Wraps each AWS client made (to trace its calls); none by default. */
  instrument?: <Client extends object>(client: Client) => Client;
}

/** Whether the SDK may send a call again after a failure ("retried", its default) or not. */
export type Attempts = "retried" | "once";

/** How snaprelay reaches one account, for the messages that explain a refusal. */
export interface AccountRoute {
  accountId: string;
  /** The role assumed there; undefined for the deployment's own account. */
  roleArn: string | undefined;
}

/** An account's external id is read again after this long (a revoke and a new approval change it). */
export const EXTERNAL_ID_TTL_MS = 60_000;

// STS's refusal to let snaprelay assume an account's role (not a fault of snaprelay's own).
const ROLE_REFUSALS = new Set(["AccessDenied", "AccessDeniedException"]);

// Temporary credentials are fetched again this long before they expire.
const REFRESH_BEFORE_MS = 5 * 60 * 1000;
const SESSION_SECONDS = 3600;
// Sessions (and their clients) kept per function instance; the oldest is let go beyond this.
const KEPT_SESSIONS = 200;

/** Sets `key` in a map kept to `limit` entries, letting the oldest go (and `drop` it). */
const keepAtMost = <Value>(
  map: Map<string, Value>,
  key: string,
  value: Value,
  limit: number,
  drop?: (value: Value) => void,
) => {
  map.set(key, value);
  for (const [oldest, old] of map) {
    if (map.size <= limit) break;
    map.delete(oldest);
    drop?.(old);
  }
};

/** One credentials fetch at a time, shared by every caller until it nears its expiry or fails. */
export const sharedUntilNearExpiry = (
  provider: AwsCredentialIdentityProvider,
): AwsCredentialIdentityProvider => {
  let current: Promise<AwsCredentialIdentity> | undefined;
  let refreshAt = Number.POSITIVE_INFINITY;
  return () => {
    if (current === undefined || Date.now() >= refreshAt) {
      refreshAt = Number.POSITIVE_INFINITY;
      const fetching = provider().then(
        (identity) => {
          refreshAt = identity.expiration
            ? identity.expiration.getTime() - REFRESH_BEFORE_MS
            : Number.POSITIVE_INFINITY;
          return identity;
        },
        (error: unknown) => {
          // A failed fetch is not kept: the next call tries again.
          if (current === fetching) current = undefined;
          throw error;
        },
      );
      current = fetching;
    }
    return current;
  };
};

export class AccountAccess implements AccountRoles {
  private readonly credentials = new Map<string, AwsCredentialIdentityProvider>();
  private readonly clients = new Map<string, EC2Client>();
  private readonly externalIds = new Map<string, { id: string | undefined; until: number }>();
  private sts: Pick<STSClient, "send"> | undefined;

  constructor(private readonly settings: AccountAccessSettings) {
    this.sts = settings.sts;
  }

  route(accountId: string): AccountRoute {
    const { serviceAccountId, partition, roleName } = this.settings;
    return {
      accountId,
      roleArn:
        accountId === serviceAccountId
          ? undefined
          : roleArnOf(accountId, { partition, accountRoleName: roleName }),
    };
  }

  /**
   * The EC2 client acting in `accountId` in `region`, for the work in progress. `once`: the SDK
   * does not send the call again after a failure or a timeout (a call that is not safe to repeat,
   * such as CopySnapshot, is retried by its step, which first looks for what the first call made).
   */
  ec2(accountId: string, region: string, attempts: Attempts = "retried"): EC2Client {
    const sessionName = currentRoleSessionName();
    const key = `${accountId}/${sessionName}/${region}/${attempts}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new EC2Client({
        region,
        credentials: this.credentialsFor(accountId, sessionName),
        ...(attempts === "once" ? { maxAttempts: 1 } : {}),
      });
      client = this.settings.instrument?.(client) ?? client;
      keepAtMost(this.clients, key, client, KEPT_SESSIONS * 4, (old) => old.destroy());
    }
    return client;
  }

  async tryAssume(accountId: string, externalId: string | undefined): Promise<void> {
    const roleArn = this.roleArnFor(accountId);
    this.sts ??= this.settings.instrument?.(new STSClient({})) ?? new STSClient({});
    try {
      await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: "snaprelay-connect",
          DurationSeconds: 900,
          ...(externalId ? { ExternalId: externalId } : {}),
        }),
      );
    } catch (error) {
      if (!ROLE_REFUSALS.has(error instanceof Error ? error.name : "")) throw error;
      throw new DomainError(
        "AccountAccessDenied",
        `STS refused to let snaprelay assume ${roleArn}${externalId ? ` with the external id ${externalId}` : ""} (${errorMessage(error)})`,
        { cause: error },
      );
    }
  }

  private roleArnFor(accountId: string): string {
    const { roleArn } = this.route(accountId);
    if (roleArn === undefined) {
      throw serviceAccountRefused(accountId, "holds no tenant's snapshots");
    }
    return roleArn;
  }

  private async externalIdFor(accountId: string): Promise<string | undefined> {
    const { externalIdOf, externalId } = this.settings;
    if (!externalIdOf) return externalId;
    const known = this.externalIds.get(accountId);
    if (known && Date.now() < known.until) return known.id;
    const id = await externalIdOf(accountId);
    this.externalIds.set(accountId, { id, until: Date.now() + EXTERNAL_ID_TTL_MS });
    return id;
  }

  private credentialsFor(accountId: string, sessionName: string): AwsCredentialIdentityProvider {
    const key = `${accountId}/${sessionName}`;
    let credentials = this.credentials.get(key);
    if (!credentials) {
      credentials = sharedUntilNearExpiry(async () => {
        // Refused here, at the first call, as every other refusal of an account's role is.
        const roleArn = this.roleArnFor(accountId);
        const externalId = await this.externalIdFor(accountId);
        return fromTemporaryCredentials({
          params: {
            RoleArn: roleArn,
            RoleSessionName: sessionName,
            DurationSeconds: SESSION_SECONDS,
            ...(externalId ? { ExternalId: externalId } : {}),
          },
        })();
      });
      keepAtMost(this.credentials, key, credentials, KEPT_SESSIONS);
    }
    return credentials;
  }
}
