// EC2 clients that act in a given cloud account: the deployment's own account with its own
// credentials, any other through a role it assumed there (STS AssumeRole with an external id).
// One set of temporary credentials per account serves all its regions until shortly before it
// expires, so a busy account costs an AssumeRole an hour, not one a call.
import { EC2Client } from "@aws-sdk/client-ec2";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";

export interface AccountAccessSettings {
  /** The deployment's own account: reached with the functions' own credentials. */
  serviceAccountId: string;
  /** aws, aws-cn, aws-us-gov: the partition of the role ARNs. */
  partition: string;
  /** The role snaprelay assumes in every other account. */
  roleName: string;
  /** The external id that role's trust policy asks for, if it asks for one. */
  externalId: string | undefined;
  /** Wraps each EC2 client made (to trace its calls); none by default. */
  instrument?: <Client extends object>(client: Client) => Client;
}

/** How snaprelay reaches one account, for the messages that explain a refusal. */
export interface AccountRoute {
  accountId: string;
  /** The role assumed there; undefined for the deployment's own account. */
  roleArn: string | undefined;
}

// Temporary credentials are fetched again this long before they expire.
const REFRESH_BEFORE_MS = 5 * 60 * 1000;
const SESSION_SECONDS = 3600;

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

export class AccountAccess {
  private readonly credentials = new Map<string, AwsCredentialIdentityProvider>();
  private readonly clients = new Map<string, EC2Client>();

  constructor(private readonly settings: AccountAccessSettings) {}

  route(accountId: string): AccountRoute {
    const { serviceAccountId, partition, roleName } = this.settings;
    return {
      accountId,
      roleArn:
        accountId === serviceAccountId
          ? undefined
          : `arn:${partition}:iam::${accountId}:role/${roleName}`,
    };
  }

  /** The EC2 client acting in `accountId` in `region`. */
  ec2(accountId: string, region: string): EC2Client {
    const key = `${accountId}/${region}`;
    let client = this.clients.get(key);
    if (!client) {
      const credentials = this.credentialsFor(accountId);
      client = new EC2Client({ region, ...(credentials ? { credentials } : {}) });
      client = this.settings.instrument?.(client) ?? client;
      this.clients.set(key, client);
    }
    return client;
  }

  private credentialsFor(accountId: string): AwsCredentialIdentityProvider | undefined {
    const { roleArn } = this.route(accountId);
    if (roleArn === undefined) return undefined;
    let credentials = this.credentials.get(accountId);
    if (!credentials) {
      credentials = sharedUntilNearExpiry(
        fromTemporaryCredentials({
          params: {
            RoleArn: roleArn,
            RoleSessionName: "snaprelay",
            DurationSeconds: SESSION_SECONDS,
            ...(this.settings.externalId ? { ExternalId: this.settings.externalId } : {}),
          },
        }),
      );
      this.credentials.set(accountId, credentials);
    }
    return credentials;
  }
}
