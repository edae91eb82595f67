// What an approved account does to let snaprelay in: create one role, trusting snaprelay's account
// with the external id made for it at the approval (unique per account, as AWS asks of a service
// that assumes roles in its customers' accounts), from the CloudFormation template below. The
// template is declared here once; docs/deploy/tenant-access-role.yml is its generic form (a unit
// test holds the two together).
import { randomBytes } from "node:crypto";
import type { Config } from "./config.js";
import { DomainError } from "./errors.js";
import type { AccountGrant } from "./ports.js";

/** What snaprelay's tenancy reads of the configuration. */
export type TenancySettings = Pick<
  Config,
  | "serviceAccountId"
  | "partition"
  | "accountRoleName"
  | "allowlistedAccounts"
  | "accountRoleExternalId"
>;

/** Where the generic template lives in snaprelay's repository. */
export const ROLE_TEMPLATE_PATH = "docs/deploy/tenant-access-role.yml";

/**
 * How long after a failed try snaprelay tries a pending account's role again at its requests:
 * a role not made yet costs one AssumeRole this often, not one per request. POST /account/connect
 * tries at once.
 */
export const CONNECT_RETRY_SECONDS = 30;

/** The way a tenant asks snaprelay to try its role now. */
export const CONNECT_ROUTE = "POST /account/connect";

/** 128 random bits in hex behind a prefix: within STS's characters, and guessed by nobody. */
export const newExternalId = (): string => `snaprelay-${randomBytes(16).toString("hex")}`;

export const roleArnOf = (
  accountId: string,
  settings: Pick<TenancySettings, "partition" | "accountRoleName">,
): string => `arn:${settings.partition}:iam::${accountId}:role/${settings.accountRoleName}`;

/** The values one account's template is filled with. */
export interface RoleTemplateValues {
  serviceAccountId: string;
  externalId: string;
  roleName: string;
}

const DEFAULT_ROLE_NAME = "snaprelay-access";

/**
 * The CloudFormation template of the role: the trust policy names snaprelay's account and asks for
 * the external id; the permissions read and copy snapshots, tag copies as they are made, and delete
 * only snapshots snaprelay made. Given `values`, its parameters default to them, so it deploys with
 * no parameter at all; without, it is the generic template every deployment's docs carry.
 */
export const roleTemplate = (values?: RoleTemplateValues): string => {
  const byDefault = (value: string | undefined) =>
    value === undefined ? "" : `\n    Default: "${value}"`;
  return `AWSTemplateFormatVersion: "2010-09-09"
Description: >-
  The role snaprelay assumes in this account to copy its EBS snapshots across regions. It trusts
  snaprelay's account only, and only with the external id snaprelay made for this account when it
  approved it. Copies of encrypted snapshots also need the KMS rights the EBS encryption guide
  lists on the keys involved. Deploy with \`aws cloudformation deploy --template-file <this file>
  --stack-name snaprelay-access --capabilities CAPABILITY_NAMED_IAM --parameter-overrides
  ServiceAccountId=<id> ExternalId=<id>\`, then call POST /account/connect.

Parameters:
  ServiceAccountId:
    Type: String
    AllowedPattern: "^\\\\d{12}$"
    Description: The account snaprelay is deployed in (the only one the role trusts)${byDefault(values?.serviceAccountId)}
  ExternalId:
    Type: String
    AllowedPattern: "^[\\\\w+=,.@:/-]{2,1224}$"
    Description: The external id snaprelay made for this account (its approval shows it)${byDefault(values?.externalId)}
  RoleName:
    Type: String
    AllowedPattern: "^[\\\\w+=,.@-]{1,64}$"
    Description: The role name snaprelay assumes (its ACCOUNT_ROLE_NAME)
    Default: "${values?.roleName ?? DEFAULT_ROLE_NAME}"

Resources:
  SnaprelayAccessRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: { Ref: RoleName }
      Description: Lets snaprelay read, copy and clean up this account's EBS snapshots
      MaxSessionDuration: 3600
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: { "Fn::Sub": "arn:\${AWS::Partition}:iam::\${ServiceAccountId}:root" } }
            Action: sts:AssumeRole
            Condition:
              StringEquals: { "sts:ExternalId": { Ref: ExternalId } }
      Policies:
        - PolicyName: snaprelay-snapshots
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [ec2:DescribeSnapshots, ec2:DescribeVolumes, ec2:CopySnapshot]
                Resource: "*"
              # Only as a copy is made: the copy's tags, never another snapshot's.
              - Effect: Allow
                Action: ec2:CreateTags
                Resource: { "Fn::Sub": "arn:\${AWS::Partition}:ec2:*::snapshot/*" }
                Condition:
                  StringEquals: { "ec2:CreateAction": CopySnapshot }
              # Only snapshots snaprelay made: each carries its job's id from its creation.
              - Effect: Allow
                Action: ec2:DeleteSnapshot
                Resource: { "Fn::Sub": "arn:\${AWS::Partition}:ec2:*::snapshot/*" }
                Condition:
                  StringLike: { "aws:ResourceTag/snaprelay:job-id": "*" }

Outputs:
  RoleArn:
    Value: { "Fn::GetAtt": [SnaprelayAccessRole, Arn] }
`;
};

/** What an approved account is told to do: the role to create, and how. */
export interface Onboarding {
  roleArn: string;
  /** The account the role trusts: snaprelay's own. */
  trustedAccountId: string;
  /** The external id the role's trust policy must ask for. */
  externalId: string;
  /** The role's CloudFormation template (YAML), its parameters filled for this account. */
  roleTemplate: string;
  /** Deploys the template saved as snaprelay-access-role.yml. */
  deployCommand: string;
  /** Then: snaprelay tries the role at once. */
  connect: string;
}

export const onboardingOf = (
  grant: Pick<AccountGrant, "accountId" | "externalId">,
  settings: TenancySettings,
): Onboarding | null => {
  // A grant of an older build asks the deployment's external id, which is not this account's to see.
  if (grant.externalId === undefined) return null;
  const values = {
    serviceAccountId: settings.serviceAccountId,
    externalId: grant.externalId,
    roleName: settings.accountRoleName,
  };
  return {
    roleArn: roleArnOf(grant.accountId, settings),
    trustedAccountId: settings.serviceAccountId,
    externalId: grant.externalId,
    roleTemplate: roleTemplate(values),
    deployCommand: [
      "aws cloudformation deploy --stack-name snaprelay-access",
      "--template-file snaprelay-access-role.yml --capabilities CAPABILITY_NAMED_IAM",
      `--parameter-overrides ServiceAccountId=${values.serviceAccountId}`,
      `ExternalId=${values.externalId} RoleName=${values.roleName}`,
    ].join(" "),
    connect: CONNECT_ROUTE,
  };
};

/** The role an account must create, said in full: a refusal names everything needed to fix it. */
const roleToCreate = (grant: AccountGrant, settings: TenancySettings): string =>
  `Create the role ${roleArnOf(grant.accountId, settings)} in account ${grant.accountId}, trusting account ${settings.serviceAccountId} with the external id ${grant.externalId ?? "the deployment's (ask snaprelay's operator)"}: its CloudFormation template and the command that deploys it are in GET /access-requests/${grant.requestId} (onboarding.roleTemplate, onboarding.deployCommand), the generic template in snaprelay's ${ROLE_TEMPLATE_PATH}.`;

/** A pending account refused: why the role did not work, what to create, and when it is tried. */
export const notConnected = (
  grant: AccountGrant,
  settings: TenancySettings,
  nextTryAt: Date,
): DomainError => {
  const why = grant.connectFailure
    ? `snaprelay's last try of its role, at ${grant.connectFailure.at}, failed: ${grant.connectFailure.reason.replace(/[.\s]+$/, "")}.`
    : "snaprelay has not assumed its role yet.";
  return new DomainError(
    "AccountNotConnected",
    `Account ${grant.accountId} is approved but not connected: ${why} ${roleToCreate(grant, settings)} Then call ${CONNECT_ROUTE}, or send the request again: snaprelay tries the role at the account's first request from ${nextTryAt.toISOString()} on (at most every ${CONNECT_RETRY_SECONDS} seconds).`,
  );
};

/** A connected account whose role no longer lets snaprelay in. */
export const roleRefused = (
  grant: AccountGrant,
  settings: TenancySettings,
  reason: string,
): DomainError =>
  new DomainError(
    "AccountAccessDenied",
    `snaprelay cannot assume the role of account ${grant.accountId} now: ${reason.replace(/[.\s]+$/, "")}. ${roleToCreate(grant, settings)}`,
  );
