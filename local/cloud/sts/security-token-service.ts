// The local STS's calls: AssumeRole, granted only for a role the registry holds (and with its
// external id), issuing temporary keys that act in the role's account until they expire; it
// remembers them (in memory: they last an hour or so, the cloud as long as the stack) so that the
// signatures made with them can be checked.
import { createHash, randomBytes, randomInt } from "node:crypto";
import { WireError } from "../../wire-error.js";
import type { KnownKey, Principal } from "../auth/sigv4.js";
import type { StsStats } from "../stats.js";
import { EXTERNAL_ID, type RoleRegistry } from "./role-registry.js";
import { accessDenied, validationError } from "./sts-error.js";

/** AssumeRole's parameters as they came: the service checks them all. */
export interface AssumeRoleParams {
  roleArn?: string;
  roleSessionName?: string;
  externalId?: string;
  durationSeconds?: string;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface AssumedRoleUser {
  /** arn:aws:sts::<account>:assumed-role/<role>/<session> */
  arn: string;
  /** <role id>:<session> */
  assumedRoleId: string;
}

// The role's name is the ARN's last segment: a role may have a path (role/dr/snaprelay).
const ROLE_ARN = /^arn:(aws[-a-z]*):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const DURATION = { default: 3600, min: 900, max: 43200 };
// A role's session may assume another role (role chaining) for an hour at most, as in AWS.
const CHAINED_MAX_SECONDS = 3600;
// An expired key is still known for a day, so that its use is answered ExpiredToken, not as unknown.
const FORGET_AFTER_EXPIRY_MS = 24 * 3600 * 1000;
const KEPT_SESSION_NAMES = 1000;
const KEY_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export class SecurityTokenService {
  /** The temporary keys issued, by access key id. */
  private readonly sessions = new Map<string, KnownKey>();
  private readonly counts: StsStats = {
    assumeRoleCalls: 0,
    assumeRoleCallsByAccount: {},
    sessionNamesByAccount: {},
  };

  constructor(
    private readonly roles: RoleRegistry,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A temporary key this STS issued, expired or not (the signature check tells them apart). */
  findKey(accessKeyId: string): KnownKey | undefined {
    return this.sessions.get(accessKeyId);
  }

  assumeRole(
    caller: Principal,
    params: AssumeRoleParams,
  ): { credentials: IssuedCredentials; user: AssumedRoleUser } {
    this.counts.assumeRoleCalls++;
    const { partition, accountId, roleName } = roleAskedFor(params.roleArn);
    const byAccount = this.counts.assumeRoleCallsByAccount;
    byAccount[accountId] = (byAccount[accountId] ?? 0) + 1;
    const { roleSessionName, externalId, durationSeconds } = sessionAskedFor(params);
    if (isAssumedRole(caller) && durationSeconds > CHAINED_MAX_SECONDS) {
      throw new WireError(
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      );
    }

    const role = this.roles.find(accountId, roleName);
    // A role without an external id refuses one too: the caller has mistaken the role.
    if (!role || role.externalId !== externalId) {
      throw accessDenied(
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${params.roleArn}`,
      );
    }
    const user: AssumedRoleUser = {
      arn: `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${roleSessionName}`,
      assumedRoleId: `${roleIdOf(accountId, roleName)}:${roleSessionName}`,
    };
    const credentials: IssuedCredentials = {
      accessKeyId: this.newAccessKeyId(accountId),
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: randomBytes(96).toString("base64"),
      expiration: new Date(this.now().getTime() + durationSeconds * 1000),
    };
    const names = this.counts.sessionNamesByAccount[accountId] ?? [];
    this.counts.sessionNamesByAccount[accountId] = names;
    names.push(roleSessionName);
    if (names.length > KEPT_SESSION_NAMES) names.shift();
    this.forgetLongExpired();
    this.sessions.set(credentials.accessKeyId, {
      ...credentials,
      principal: { accountId, arn: user.arn, userId: user.assumedRoleId },
    });
    return { credentials, user };
  }

  stats(): StsStats {
    return {
      assumeRoleCalls: this.counts.assumeRoleCalls,
      assumeRoleCallsByAccount: { ...this.counts.assumeRoleCallsByAccount },
      sessionNamesByAccount: Object.fromEntries(
        Object.entries(this.counts.sessionNamesByAccount).map(([id, names]) => [id, [...names]]),
      ),
    };
  }

  private forgetLongExpired(): void {
    const forgetBefore = this.now().getTime() - FORGET_AFTER_EXPIRY_MS;
    for (const [accessKeyId, key] of this.sessions) {
      if ((key.expiration?.getTime() ?? Number.POSITIVE_INFINITY) < forgetBefore) {
        this.sessions.delete(accessKeyId);
      }
    }
  }

  /** ASIA, the account (readable from the key, as with the local keys), 4 random characters. */
  private newAccessKeyId(accountId: string): string {
    for (;;) {
      let suffix = "";
      for (let i = 0; i < 4; i++) suffix += KEY_CHARACTERS.charAt(randomInt(KEY_CHARACTERS.length));
      const accessKeyId = `ASIA${accountId}${suffix}`;
      if (!this.sessions.has(accessKeyId)) return accessKeyId;
    }
  }
}

function isAssumedRole(principal: Principal): boolean {
  return /^arn:[^:]+:sts::\d{12}:assumed-role\//.test(principal.arn);
}

function roleAskedFor(roleArn: string | undefined) {
  if (roleArn === undefined) throw validationError("roleArn", roleArn, "not be null");
  const [, partition = "aws", accountId, roleName] = ROLE_ARN.exec(roleArn) ?? [];
  if (!accountId || !roleName) {
    throw validationError(
      "roleArn",
      roleArn,
      "be an IAM role ARN: arn:aws:iam::<12-digit account id>:role/<name>",
    );
  }
  return { partition, accountId, roleName };
}

function sessionAskedFor({ roleSessionName, externalId, durationSeconds }: AssumeRoleParams) {
  if (roleSessionName === undefined || !SESSION_NAME.test(roleSessionName)) {
    throw validationError(
      "roleSessionName",
      roleSessionName,
      "satisfy regular expression pattern: [\\w+=,.@-]{2,64}",
    );
  }
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    throw validationError(
      "externalId",
      externalId,
      "satisfy regular expression pattern: [\\w+=,.@:/-]{2,1224}",
    );
  }
  return { roleSessionName, externalId, durationSeconds: durationOf(durationSeconds) };
}

function durationOf(text: string | undefined): number {
  if (text === undefined) return DURATION.default;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < DURATION.min) {
    throw validationError(
      "durationSeconds",
      text,
      `have value greater than or equal to ${DURATION.min}`,
    );
  }
  if (value > DURATION.max) {
    throw validationError(
      "durationSeconds",
      text,
      `have value less than or equal to ${DURATION.max}`,
    );
  }
  return value;
}

/** A role's id is fixed for the role, as IAM's is: AROA and 17 characters. */
function roleIdOf(accountId: string, roleName: string): string {
  const digest = createHash("sha256").update(`${accountId}/${roleName}`).digest("hex");
  return `AROA${digest.slice(0, 17).toUpperCase()}`;
}
