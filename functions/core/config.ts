import type { AccountLimits } from "./limits.js";

// What snaprelay's configuration holds, once checked (functions/config.ts reads it from the
// environment with zod). Each kind of entry point takes the part it needs as a Pick of it.

/** The slot limit of every region, and of the regions set apart. */
export interface CopySlotLimits {
  default: number;
  byRegion: Record<string, number>;
}

export interface Config {
  jobsTable: string;
  stateMachineArn: string;
  supportedRegions: string[];
  allowlistedAccounts: string[];
  /** Origins of the STS endpoints proofs of identity are sent to (caller-proof.ts). */
  authStsEndpoints: string[];
  /** The audience a proof's signature must cover: this deployment's name. */
  authAudience: string;
  /** IAM principal ARNs of the admins. */
  adminPrincipals: string[];
  /** The shortest and the longest wait for a copy's end before a safety poll. */
  pollMinSeconds: number;
  pollMaxSeconds: number;
  /** The copy rate a copy's first wait assumes, before its own rate is seen. */
  assumedCopyMiBPerSecond: number;
  copyStartLeaseSeconds: number;
  snapshotQuotaPerRegion: number;
  copyStallSeconds: number;
  /** A job without an execution is started by the sweeper once it is this old. */
  sweepStartGraceSeconds: number;
  /** How often the sweeper checks that a running job's execution still runs. */
  sweepCheckSeconds: number;
  /** A job whose execution could not be started for this long is failed. */
  sweepGiveUpSeconds: number;
  /** The deployment's own account (the state machine's), reached with the functions' credentials. */
  serviceAccountId: string;
  /** The partition of the deployment (aws, aws-cn, …), for role ARNs. */
  partition: string;
  /** Copies in flight at once per account and destination region. */
  copySlots: CopySlotLimits;
  /** How much faster than real time the functions' clock runs, from `clockOrigin` (epoch ms). */
  clockSpeed: number;
  clockOrigin: number;
  /** The role assumed in each other account, and the external id its trust policy asks for. */
  accountRoleName: string;
  accountRoleExternalId: string | undefined;
  /** Every account's limits unless an admin set its own (see limits.ts). */
  accountLimits: AccountLimits;
  /** The queue of copy events copyEvents failed on, which the sweeper replays (its URL). */
  failedCopyEventsQueueUrl: string | undefined;
  /** The function the DR scheduler hands each claimed run to; undefined: it runs them itself. */
  policyRunFunction: string | undefined;
}
