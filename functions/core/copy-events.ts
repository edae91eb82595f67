// A copy's end, told by its own event. EBS sends one "EBS Snapshot Notification" (copySnapshot,
// succeeded or failed) in the destination region when a copy ends; it sends nothing while a copy
// runs. The AwaitCopy task waits for it: its Lambda records the task's token where the event will
// look (by destination region and snapshot id), and the event's function ends the wait with it.
// Either may come first; an event twice or late is harmless (the task no longer waits). Events
// are best effort, so every wait also has a timeout, after which one safety poll looks. An event
// is trusted no further than AWS vouches for it: the bus admits EBS's copy notifications from any
// account (serverless.yml, TenantCopyEvents), so its account must be a tenant now and the copy's
// (both checked before anything is written), and a success must show on the snapshot itself
// before the copy is done.

import { z } from "zod";
import type { Allowlist } from "./access.js";
import { actingFor } from "./acting-for.js";
import { releaseSlot } from "./copy-queue.js";
import { DomainError, errorMessage } from "./errors.js";
import { loadCopy } from "./load-job.js";
import { COPY_COMPLETED } from "./poll-copy.js";
import type { Clock, CopyEnd, Workflow } from "./ports.js";
import { startOnHandOff } from "./start-copy.js";
import type { StepDeps } from "./step-deps.js";

/** A copy's event, as far as snaprelay reads it. */
export interface CopyEvent {
  /** The account the event came from. */
  account: string;
  /** The destination region, where the copy was made and the event was sent. */
  region: string;
  snapshotId: string;
  result: "succeeded" | "failed";
  cause?: string;
  endedAt?: string;
}

/**
 * A snapshot's ARN in an EBS event, in either of the forms EBS has used:
 * `arn:aws:ec2::us-west-2:snapshot/snap-…` and `arn:aws:ec2:us-west-2::snapshot/snap-…`.
 */
const SNAPSHOT_ARN = /^arn:[\w-]+:ec2:([\w-]*):([\w-]*):snapshot\/(snap-[0-9a-z]+)$/i;

export const parseSnapshotArn = (
  arn: string,
): { region: string; snapshotId: string } | undefined => {
  const match = SNAPSHOT_ARN.exec(arn.trim());
  if (!match) return undefined;
  const [, first = "", second = "", snapshotId = ""] = match;
  // Two-field forms: one of the two is the region, the other the (empty) account.
  const region = /^[a-z]{2}(-[a-z]+)+-\d+$/.test(first) ? first : second;
  if (!region) return undefined;
  return { region, snapshotId: snapshotId.toLowerCase() };
};

const EbsCopyEvent = z.object({
  source: z.literal("aws.ec2"),
  "detail-type": z.literal("EBS Snapshot Notification"),
  account: z.string().regex(/^\d{12}$/),
  detail: z.object({
    // EBS has written the event's fields in more than one case over the years.
    event: z.string().refine((name) => name.toLowerCase() === "copysnapshot"),
    result: z
      .string()
      .transform((result) => result.toLowerCase())
      .pipe(z.enum(["succeeded", "failed"])),
    cause: z.string().optional(),
    snapshot_id: z.string(),
    endTime: z.string().optional(),
  }),
});

/** The copy event in an EventBridge event; undefined for any other event. */
export const readCopyEvent = (event: unknown): CopyEvent | undefined => {
  const parsed = EbsCopyEvent.safeParse(event);
  if (!parsed.success) return undefined;
  const { account, detail } = parsed.data;
  const snapshot = parseSnapshotArn(detail.snapshot_id);
  if (!snapshot) return undefined;
  return {
    account,
    ...snapshot,
    result: detail.result,
    ...(detail.cause ? { cause: detail.cause } : {}),
    ...(detail.endTime ? { endedAt: detail.endTime } : {}),
  };
};

/** How long a wait's record outlives its last write: well past any copy's end. */
const KEEP_WAIT_DAYS = 7;
/** The record of an event nobody waits for yet (early, or not snaprelay's copy). */
const KEEP_UNCLAIMED_END_DAYS = 1;
const daysAfter = (date: Date, days: number) => new Date(date.getTime() + days * 86_400_000);

/** Ends the wait that `token` belongs to as `end` says: the copy completed, or failed with its cause. */
const settle = async (
  workflow: Pick<Workflow, "wake" | "fail">,
  token: string,
  where: { region: string; snapshotId: string },
  end: CopyEnd,
): Promise<boolean> => {
  if (end.result === "succeeded") return workflow.wake(token, { ...COPY_COMPLETED });
  return workflow.fail(
    token,
    "CopyFailed",
    `Copy ${where.snapshotId} in ${where.region} failed: ${end.cause || "the cloud gave no reason"}.`,
  );
};

/** Whose copy events are trusted: the accounts the allowlist lets replicate now. */
export interface Tenants {
  isTenant(accountId: string): Promise<boolean>;
}

/**
 * How long the allowlist's answer about an account is kept. A tenant's, a minute: a revoked
 * account's jobs are cancelled with the revoke, so an event of its trusted a little longer finds no
 * wait to end. Any other account's, a few seconds: a flood of events from accounts that are not
 * tenants costs one read per account every few seconds, and an account approved at run time has
 * its events trusted within seconds.
 */
const KEEP_TENANT_MS = 60_000;
const KEEP_STRANGER_MS = 5_000;
/** Past this many accounts remembered, the answers are forgotten (a flood of distinct accounts). */
const MAX_REMEMBERED = 10_000;

/** The allowlist's answers, remembered a short while (per Lambda instance). */
export const rememberedTenants = (allowlist: Allowlist, clock: Clock): Tenants => {
  const answers = new Map<string, { tenant: boolean; until: number }>();
  return {
    async isTenant(accountId) {
      const now = clock.now().getTime();
      const known = answers.get(accountId);
      if (known && known.until > now) return known.tenant;
      const tenant = (await allowlist.refusal(accountId)) === undefined;
      if (answers.size >= MAX_REMEMBERED) answers.clear();
      answers.set(accountId, { tenant, until: now + (tenant ? KEEP_TENANT_MS : KEEP_STRANGER_MS) });
      return tenant;
    },
  };
};

export type CopyEventOutcome =
  /** The event's account is not a tenant now: it is not trusted, and nothing was written. */
  | "notTenant"
  /** The copy's wait was ended by the event. */
  | "ended"
  /** Recorded: the copy's wait, when it comes, ends at once (or the snapshot is not ours). */
  | "recorded"
  /** The wait it met had ended already (a repeated or late event). */
  | "late"
  /** The event's account is not the copy's: it is not trusted, and nothing was written. */
  | "foreign"
  /** A success the snapshot does not show (still pending, or gone): the wait goes on. */
  | "unconfirmed";

/**
 * What the snapshot itself says of an end its event told. A success is believed only when the
 * snapshot reads completed: the copy's wait goes on otherwise, and its safety poll looks again.
 * A failure is the copy's own account telling of its own copy, and ends it as told.
 */
const confirmEnd = async (
  end: CopyEnd,
  where: { region: string; snapshotId: string },
  accountId: string,
  deps: Pick<StepDeps, "snapshots">,
): Promise<CopyEnd | undefined> => {
  if (end.result === "failed") return end;
  const snapshot = await deps.snapshots.describe(accountId, where.region, where.snapshotId);
  if (snapshot?.state === "completed") return end;
  if (snapshot?.state === "error") {
    return { ...end, result: "failed", cause: snapshot.stateMessage ?? end.cause };
  }
  return undefined;
};

/**
 * The function subscribed to copy events: ends the copy's wait, if the event's account is a tenant,
 * a copy of that account waits and the snapshot confirms the end, and gives the copy's slot
 * straight to the next copy in its region's queue: EC2 counts the copy no longer, so neither need
 * snaprelay (the FinalizeCopy step that follows finds it given back). A slot that cannot be handed
 * on now is handed on by that step.
 */
export const onCopyEvent = async (
  event: CopyEvent,
  deps: StepDeps & { now: Date; tenants: Tenants; warn?: (message: string) => void },
): Promise<CopyEventOutcome> => {
  // Any account's EBS events pass the bus: one of an account that is not a tenant is read no
  // further, so it can neither end a wait nor leave an end behind for one.
  if (!(await deps.tenants.isTenant(event.account))) return "notTenant";
  const told: CopyEnd = {
    account: event.account,
    result: event.result,
    ...(event.cause ? { cause: event.cause } : {}),
    ...(event.endedAt ? { endedAt: event.endedAt } : {}),
  };
  const recorded = await deps.copyWaits.end(
    event.region,
    event.snapshotId,
    told,
    daysAfter(deps.now, KEEP_UNCLAIMED_END_DAYS),
  );
  if (recorded.kind === "foreign") return "foreign";
  if (recorded.kind === "unclaimed") return "recorded";
  const { waiter } = recorded;
  const end = await actingFor(waiter.jobId, () => confirmEnd(told, event, waiter.accountId, deps));
  if (!end) {
    deps.warn?.(
      `an event says copy ${event.snapshotId} in ${event.region} (job ${waiter.jobId}) succeeded, but the snapshot is not completed; its wait goes on until its next safety poll`,
    );
    return "unconfirmed";
  }
  // Only a wait that was still live is this copy's: a late event may be an earlier attempt's,
  // whose slot has long gone to the copy that holds it now.
  if (!(await settle(deps.workflow, waiter.token, event, end))) return "late";
  try {
    await releaseSlot(waiter, event.region, deps, {
      copyEnded: true,
      startGranted: startOnHandOff(event.region, deps),
    });
  } catch (error) {
    deps.warn?.(
      `the slot of job ${waiter.jobId} in ${event.region} is left to its FinalizeCopy step: ${errorMessage(error)}`,
    );
  }
  return "ended";
};

/**
 * The AwaitCopy task's Lambda: records the token that ends this copy's wait. A copy whose event
 * came first (or that is already recorded COMPLETED) ends its wait at once.
 */
export const awaitCopy = async (
  jobId: string,
  destinationRegion: string,
  token: string,
  deps: StepDeps,
): Promise<{ waiting: boolean }> => {
  const { job, copy } = await loadCopy(deps.jobs, jobId, destinationRegion);
  if (copy.status === "COMPLETED") {
    await deps.workflow.wake(token, { ...COPY_COMPLETED });
    return { waiting: false };
  }
  if (copy.status !== "COPYING" || !copy.destinationSnapshotId) {
    throw new DomainError(
      "IllegalTransition",
      `The copy of job ${jobId} to ${destinationRegion} is ${copy.status}; only a started copy can be waited for.`,
    );
  }
  const where = { region: destinationRegion, snapshotId: copy.destinationSnapshotId };
  const end = await deps.copyWaits.wait(
    where.region,
    where.snapshotId,
    { jobId, accountId: job.accountId, token },
    daysAfter(deps.clock.now(), KEEP_WAIT_DAYS),
  );
  if (!end || end.account !== job.accountId) return { waiting: true };
  const confirmed = await confirmEnd(end, where, job.accountId, deps);
  if (!confirmed) return { waiting: true };
  await settle(deps.workflow, token, where, confirmed);
  return { waiting: false };
};
