// A scheduled DR policy: which volumes of a source region keep a recent copy in which regions, on
// what schedule, for how long, and the recovery point it promises. The request is checked with zod
// and the seed's region rules; the schedule is read once here, so a stored policy always has one
// that parses.
import { z } from "zod";
import { DomainError } from "../errors.js";
import { MAX_DESTINATIONS, parseWith, RegionSchema } from "../request.js";
import {
  assertDestinations,
  assertSupportedRegion,
  type ReplicationPolicy as SeedRules,
} from "../rules.js";
import { InvalidSchedule, parseSchedule, type Schedule } from "./schedule.js";

export const MAX_SELECTED_VOLUME_IDS = 1000;
export const MAX_SELECTOR_TAGS = 10;

export const VolumeIdSchema = z
  .string()
  .regex(
    /^vol-[0-9a-z]{4,17}$/,
    "must look like vol-0123abcd (vol- then 4 to 17 lowercase letters or digits)",
  );

const SelectorSchema = z
  .strictObject({
    volumeIds: z
      .array(VolumeIdSchema)
      .max(MAX_SELECTED_VOLUME_IDS, `at most ${MAX_SELECTED_VOLUME_IDS} volume ids`)
      .default([]),
    tags: z
      .record(z.string().min(1).max(128), z.string().max(256))
      .refine(
        (tags) => Object.keys(tags).length <= MAX_SELECTOR_TAGS,
        `at most ${MAX_SELECTOR_TAGS} tags`,
      )
      .default({}),
  })
  .refine(
    (selector) => selector.volumeIds.length > 0 || Object.keys(selector.tags).length > 0,
    "name the volumes: volumeIds, tags (every volume carrying all of them), or both",
  );

const RetentionSchema = z
  .strictObject({
    count: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1 (the newest copy is always kept)")
      .max(1000, "must be at most 1000")
      .optional(),
    maxAgeDays: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(3650, "must be at most 3650")
      .optional(),
  })
  .refine(
    (retention) => retention.count !== undefined || retention.maxAgeDays !== undefined,
    "give count (keep the newest N copies), maxAgeDays (keep copies younger than D days), or both",
  );

export const PolicyRequestSchema = z.strictObject({
  name: z
    .string()
    .min(1, "must not be empty")
    .max(60, "must be at most 60 characters")
    .regex(/^[\w .:/+@-]+$/, "may hold letters, digits, spaces and _ . : / + @ -"),
  sourceRegion: RegionSchema,
  selector: SelectorSchema,
  destinationRegions: z
    .array(RegionSchema)
    .min(1, "at least one destination region is required")
    .max(MAX_DESTINATIONS, `at most ${MAX_DESTINATIONS} regions`),
  schedule: z.string().min(1).max(256),
  timeZone: z.string().min(1).max(64).default("UTC"),
  retention: RetentionSchema,
  rpoMinutes: z
    .number()
    .int("must be a whole number of minutes")
    .min(1, "must be at least 1")
    .max(525_600, "must be at most 525600 (a year)"),
  enabled: z.boolean().default(true),
});

export type PolicyRequest = z.infer<typeof PolicyRequestSchema>;

export interface PolicySelector {
  volumeIds: string[];
  tags: Record<string, string>;
}

export interface Retention {
  count?: number;
  maxAgeDays?: number;
}

export interface DrPolicy {
  policyId: string;
  accountId: string;
  name: string;
  sourceRegion: string;
  selector: PolicySelector;
  destinationRegions: string[];
  schedule: string;
  timeZone: string;
  retention: Retention;
  rpoMinutes: number;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  /** When the scheduler runs it next; null while paused or when the schedule has no more runs. */
  nextRunAt: string | null;
  lastRunAt: string | null;
}

/** The policy's schedule, its rate grid anchored at the policy's creation. */
export const scheduleOf = (policy: Pick<DrPolicy, "schedule" | "timeZone" | "createdAt">) =>
  parseSchedule(policy.schedule, new Date(policy.createdAt), policy.timeZone);

/** The next run after `after`, or null when paused or the schedule has ended. */
export const nextRunOf = (
  policy: Pick<DrPolicy, "schedule" | "timeZone" | "createdAt" | "enabled">,
  after: Date,
  schedule: Schedule = scheduleOf(policy),
): string | null => (policy.enabled ? (schedule.nextAfter(after)?.toISOString() ?? null) : null);

/**
 * Checks a create or replace body: its shape, the seed's region rules, and the schedule. Throws a
 * named error (400) that names the field and what is allowed.
 */
export const checkPolicyRequest = (body: unknown, rules: SeedRules, now: Date): PolicyRequest => {
  const request = parseWith(PolicyRequestSchema, body, "policy");
  assertSupportedRegion(request.sourceRegion, "sourceRegion:", rules);
  assertDestinations(request.sourceRegion, request.destinationRegions);
  for (const region of request.destinationRegions) {
    assertSupportedRegion(region, "destinationRegions:", rules);
  }
  try {
    const schedule = parseSchedule(request.schedule, now, request.timeZone);
    const next = schedule.nextAfter(now);
    if (!next) {
      throw new InvalidSchedule(`${request.schedule} has no run after ${now.toISOString()}`);
    }
    if (next.getUTCFullYear() > 9999) {
      throw new InvalidSchedule(`${request.schedule} runs next after the year 9999`);
    }
  } catch (error) {
    if (!(error instanceof InvalidSchedule)) throw error;
    const field = /time zone/.test(error.message) ? "timeZone" : "schedule";
    throw new DomainError("InvalidRequest", `Invalid policy: ${field}: ${error.message}.`);
  }
  return {
    ...request,
    selector: {
      volumeIds: [...new Set(request.selector.volumeIds)],
      tags: request.selector.tags,
    },
  };
};

export const newPolicy = (
  accountId: string,
  request: PolicyRequest,
  policyId: string,
  now: Date,
): DrPolicy => {
  const createdAt = now.toISOString();
  const policy: DrPolicy = {
    policyId,
    accountId,
    ...request,
    retention: { ...request.retention },
    createdAt,
    updatedAt: createdAt,
    nextRunAt: null,
    lastRunAt: null,
  };
  return { ...policy, nextRunAt: nextRunOf(policy, now) };
};

/** The policy with a replaced body: its id, account, creation and last run stay. */
export const replacedPolicy = (current: DrPolicy, request: PolicyRequest, now: Date): DrPolicy => {
  const policy: DrPolicy = {
    ...current,
    ...request,
    retention: { ...request.retention },
    updatedAt: now.toISOString(),
  };
  return { ...policy, nextRunAt: nextRunOf(policy, now) };
};
