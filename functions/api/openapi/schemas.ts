// What the API answers, as zod schemas: the single source of the OpenAPI document's response
// bodies (see document.ts), and the types the presenters are held to at compile time and the
// API's own clients (the CLI, the console) read with. Objects are
// open (a field may be added, never changed in meaning), as the contract says.
import { extendZodWithOpenApi } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { ERROR_CODE_LIST, type ErrorCode } from "../../core/errors.js";
import { HISTORY_TOKEN_MAX_LENGTH } from "../../core/history-token.js";
import { CLEANUP_STATES, COPY_STATUSES, JOB_STATUSES } from "../../core/job.js";
import { MAX_TENANT_CAUSE_LENGTH } from "../../core/tenant-cause.js";

extendZodWithOpenApi(z);

const Time = z.string().openapi({ format: "date-time", example: "2026-11-25T02:00:00.000Z" });
const Region = z.string().openapi({ example: "ap-mumbai" });
const SnapshotId = z.string().openapi({ example: "snap-0123abcd" });
const JobId = z.string().openapi({ example: "job-5f1b2c3d-…" });

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "InvalidRequest" }),
      message: z.string().openapi({
        example: "destinationRegions[0]: must be a region name such as ap-shanghai or us-east-1",
      }),
    }),
  })
  .openapi("Error", { description: "Every refusal: what was wrong and what is allowed." });

/** API Gateway's own refusal of a request with no Authorization header at all. */
export const GatewayRefusalSchema = z
  .object({ message: z.string().openapi({ example: "Unauthorized" }) })
  .openapi("GatewayRefusal");

const JobErrorSchema = z
  .object({ code: z.string(), message: z.string() })
  .nullable()
  .openapi("JobError");

export const CopyBodySchema = z
  .object({
    destinationRegion: Region,
    name: z.string(),
    status: z.enum(COPY_STATUSES),
    queuePosition: z
      .number()
      .int()
      .nullable()
      .optional()
      .openapi({ description: "While QUEUED: copies waiting before this one (single job only)." }),
    progress: z.number().min(0).max(100),
    etaSeconds: z.number().nullable().openapi({ description: "Seconds left; null when unknown." }),
    destinationSnapshotId: SnapshotId.nullable(),
    error: JobErrorSchema,
    startedAt: Time.nullable(),
    completedAt: Time.nullable(),
    progressAt: Time.nullable(),
    cleanup: z
      .object({
        snapshotId: SnapshotId,
        state: z.enum(CLEANUP_STATES).openapi({
          description:
            "DELETED; PENDING while the cloud will not delete it yet (tried again, waiting longer each time); ABANDONED when snaprelay gave up: delete it yourself (message says how).",
        }),
        message: z.string().optional(),
        attempts: z
          .number()
          .int()
          .min(0)
          .optional()
          .openapi({ description: "Deletes tried so far." }),
        nextAttemptAt: Time.optional().openapi({
          description: "While PENDING: when the next delete is tried.",
        }),
      })
      .optional()
      .openapi({ description: "A cancelled copy's partial snapshot, and whether it is deleted." }),
  })
  .openapi("Copy");

export const JobBodySchema = z
  .object({
    jobId: JobId,
    status: z.enum(JOB_STATUSES),
    snapshotId: SnapshotId,
    sourceRegion: Region,
    name: z.string(),
    tags: z.record(z.string(), z.string()),
    trigger: z.union([
      z.object({ type: z.literal("api") }),
      z.object({
        type: z.literal("schedule"),
        policyId: z.string(),
        runId: z.string().optional(),
      }),
    ]),
    createdAt: Time,
    updatedAt: Time,
    executionArn: z.string().nullable(),
    copies: z.array(CopyBodySchema),
    error: JobErrorSchema,
    cancellation: z
      .object({ by: z.string(), at: Time, reason: z.string().optional() })
      .optional()
      .openapi({ description: "Who cancelled the job, when, and why if they said." }),
  })
  .openapi("Job");

export type JobBody = z.infer<typeof JobBodySchema>;
export type CopyBody = z.infer<typeof CopyBodySchema>;

export const JobListSchema = z
  .object({ jobs: z.array(JobBodySchema), nextToken: z.string().optional() })
  .openapi("JobList");

export type JobListBody = z.infer<typeof JobListSchema>;

export const HistorySchema = z
  .object({
    jobId: JobId,
    entries: z
      .array(
        z
          .object({
            state: z.string().openapi({ example: "StartCopy" }),
            event: z.string().openapi({
              example: "Succeeded",
              description:
                "A state's outcome (Succeeded, Failed, Running, Interrupted), or the execution's own event (Started, Succeeded, Failed, Aborted, TimedOut).",
            }),
            enteredAt: Time,
            exitedAt: Time.nullable(),
            durationMs: z.number().nullable(),
            retries: z.number().int(),
            error: z
              .enum(ERROR_CODE_LIST as [ErrorCode, ...ErrorCode[]])
              .nullable()
              .openapi({
                description:
                  "snaprelay's code for the error the state ended with: the step's own code, or for a fault of AWS Lambda or Step Functions ServiceBusy, StepTimedOut or InternalError.",
              }),
            cause: z.string().max(MAX_TENANT_CAUSE_LENGTH).nullable().openapi({
              description:
                "What happened, in snaprelay's words: a snaprelay error's message, or a fixed description of a fault of the platform (its details are in the operator's logs). Never a stack trace, nor an ARN of another account.",
            }),
            destinationRegion: Region.nullable(),
          })
          .openapi("HistoryEntry"),
      )
      .openapi({
        description:
          "Each entry once its state has ended (or, at the end of the history, as Running), so a state entered early may come on a later page; within a page, oldest entered first.",
      }),
    nextToken: z.string().max(HISTORY_TOKEN_MAX_LENGTH).optional(),
  })
  .openapi("History");

export type HistoryBody = z.infer<typeof HistorySchema>;

export const CopySlotsSchema = z
  .object({
    region: Region,
    limit: z.number().int().openapi({
      description:
        "The slots the pool gives now: its configured slots, or fewer while copies in this account and region that are not snaprelay's take places of the cloud's own copy limit.",
    }),
    configuredSlots: z.number().int(),
    limitChange: z
      .object({
        reason: z.enum(["refused", "foreign"]).openapi({
          description:
            "refused: the cloud refused a copy for its copy limit; foreign: the cloud showed copies that are not snaprelay's (or fewer of them).",
        }),
        foreignPending: z.number().int().optional(),
        changedAt: Time,
        checkedAt: Time,
        summary: z.string().openapi({
          example:
            "limit 15 of 20: 5 copies in this account are not snaprelay's (seen 2026-11-25T02:00:00.000Z)",
        }),
      })
      .optional()
      .openapi({
        description: "Why and since when the limit is what it is, once the cloud set it.",
      }),
    inUse: z.number().int(),
    holders: z.array(z.object({ jobId: JobId, since: Time })),
    queueLength: z.number().int(),
  })
  .openapi("CopySlots");

export type CopySlotsBody = z.infer<typeof CopySlotsSchema>;

export const SnapshotSchema = z
  .object({
    snapshotId: SnapshotId,
    region: Region,
    name: z.string(),
    status: z.enum(["creating", "copying", "normal", "error"]),
    state: z.string(),
    progress: z.number(),
    volumeId: z.string(),
    volumeSizeGiB: z.number(),
    startTime: Time,
    stateMessage: z.string().nullable(),
    copiedFrom: z
      .object({ region: Region, snapshotId: SnapshotId, jobId: JobId.nullable() })
      .nullable(),
    rollbackAvailable: z.boolean(),
    replication: z.object({
      copying: z.boolean(),
      destinations: z.array(
        z.object({
          destinationRegion: Region,
          status: z.string(),
          progress: z.number(),
          etaSeconds: z.number().nullable(),
          destinationSnapshotId: SnapshotId.nullable(),
          jobId: JobId,
        }),
      ),
      jobs: z.array(JobId),
    }),
    tags: z.record(z.string(), z.string()),
  })
  .openapi("Snapshot");

export const PolicySchema = z
  .object({
    policyId: z.string().openapi({ example: "pol-3f2e…" }),
    name: z.string(),
    sourceRegion: Region,
    selector: z.object({
      volumeIds: z.array(z.string()),
      tags: z.record(z.string(), z.string()),
    }),
    destinationRegions: z.array(Region),
    schedule: z.string().openapi({ example: "rate(6 hours)" }),
    timeZone: z.string(),
    retention: z.object({
      count: z.number().int().optional(),
      maxAgeDays: z.number().int().optional(),
    }),
    rpoMinutes: z.number().int(),
    enabled: z.boolean(),
    createdAt: Time,
    updatedAt: Time,
    nextRunAt: Time.nullable(),
    lastRunAt: Time.nullable(),
  })
  .openapi("Policy");

export const PolicyWithWarningsSchema = PolicySchema.extend({
  warnings: z.array(z.string()),
}).openapi("PolicyWithWarnings");

export const PolicyListSchema = z
  .object({ policies: z.array(PolicySchema), nextToken: z.string().optional() })
  .openapi("PolicyList");

export type PolicyListBody = z.infer<typeof PolicyListSchema>;

export const PolicyRunSchema = z
  .object({
    policyId: z.string(),
    runId: z.string(),
    trigger: z.enum(["schedule", "manual"]),
    scheduledFor: Time,
    startedAt: Time,
    status: z.enum(["STARTING", "STARTED", "FAILED"]),
    finishedAt: Time.nullable(),
    selectedVolumes: z.number().int(),
    counts: z
      .object({
        jobs: z.number().int(),
        skipped: z.number().int(),
        failures: z.number().int(),
      })
      .openapi({
        description:
          "Every volume of each outcome. The lists below hold the first 100 of each by volume id; GET volumesHref pages through them all.",
      }),
    volumesHref: z
      .string()
      .openapi({ example: "/policies/pol-3f2e…/runs/2026-12-07T10:00:00.000Z/volumes" }),
    jobs: z.array(
      z.object({
        volumeId: z.string(),
        snapshotId: SnapshotId,
        jobId: JobId,
        destinationRegions: z.array(Region),
      }),
    ),
    skipped: z.array(
      z.object({ volumeId: z.string(), snapshotId: SnapshotId.nullable(), reason: z.string() }),
    ),
    failures: z.array(z.object({ volumeId: z.string(), code: z.string(), message: z.string() })),
    error: JobErrorSchema,
  })
  .openapi("PolicyRun");

export type PolicyRunBody = z.infer<typeof PolicyRunSchema>;

export const RunVolumeSchema = z
  .discriminatedUnion("outcome", [
    z.object({
      outcome: z.literal("job"),
      volumeId: z.string(),
      snapshotId: SnapshotId,
      jobId: JobId,
      destinationRegions: z.array(Region),
    }),
    z.object({
      outcome: z.literal("skipped"),
      volumeId: z.string(),
      snapshotId: SnapshotId.nullable(),
      reason: z.string(),
    }),
    z.object({
      outcome: z.literal("failed"),
      volumeId: z.string(),
      code: z.string(),
      message: z.string(),
    }),
  ])
  .openapi("RunVolume");

export const RunVolumeListSchema = z
  .object({ volumes: z.array(RunVolumeSchema), nextToken: z.string().optional() })
  .openapi("RunVolumeList");

export type RunVolumeListBody = z.infer<typeof RunVolumeListSchema>;

export const PolicyDetailSchema = PolicySchema.extend({
  recovery: z.object({
    status: z.enum(["OK", "BREACHED"]),
    targets: z.number().int(),
    breached: z.number().int(),
    evaluatedAt: Time,
  }),
  recoveryPoints: z.array(
    z.object({
      volumeId: z.string(),
      destinationRegion: Region,
      status: z.enum(["OK", "BREACHED"]),
      ageMinutes: z.number().nullable(),
      sourceSnapshotId: SnapshotId.nullable(),
      sourceTime: Time.nullable(),
      copySnapshotId: SnapshotId.nullable(),
      latestJobId: JobId.nullable(),
    }),
  ),
  lastRuns: z.array(PolicyRunSchema),
  recentDeletions: z.array(
    z.object({
      volumeId: z.string(),
      destinationRegion: Region,
      snapshotId: SnapshotId,
      copyTime: Time,
      reason: z.string(),
      jobId: JobId,
      status: z.enum(["DELETING", "DELETED", "FAILED"]),
      at: Time,
      error: z.string().optional(),
    }),
  ),
}).openapi("PolicyDetail");

export type PolicyDetailBody = z.infer<typeof PolicyDetailSchema>;

export const HealthSchema = z
  .object({ status: z.string().openapi({ example: "ok" }) })
  .openapi("Health");

const DecisionSchema = z
  .object({ by: z.string(), at: Time, note: z.string().nullable() })
  .openapi("AccessDecision", { description: "Who decided, when and why." });

/** An approved account's access: pending until snaprelay assumes its role, then connected. */
export const AccountAccessSchema = z
  .object({
    accountId: z.string().openapi({ example: "999988887777" }),
    requestId: z.string().openapi({ description: "The approved request that granted it." }),
    status: z.enum(["PENDING_CONNECTION", "CONNECTED", "REVOKED"]),
    grantedBy: z.string(),
    grantedAt: Time,
    connectedAt: Time.nullable().openapi({
      description: "When snaprelay first assumed the account's role with its external id.",
    }),
    connectFailure: z
      .object({ at: Time, reason: z.string() })
      .nullable()
      .openapi({ description: "The last failed try of the role, while not connected." }),
    revocation: DecisionSchema.nullable(),
  })
  .openapi("AccountAccess");

export const OnboardingSchema = z
  .object({
    roleArn: z.string().openapi({ example: "arn:aws:iam::999988887777:role/snaprelay-access" }),
    trustedAccountId: z
      .string()
      .openapi({ description: "snaprelay's own account: the only one the role trusts." }),
    externalId: z.string().openapi({
      description: "Made for this account at its approval: the role's trust policy asks for it.",
      example: "snaprelay-3f9c0a…",
    }),
    roleTemplate: z.string().openapi({
      description: "The role's CloudFormation template (YAML), filled for this account.",
    }),
    deployCommand: z.string().openapi({
      description: "Deploys the template saved as snaprelay-access-role.yml (AWS CLI v2).",
    }),
    connect: z.string().openapi({ example: "POST /account/connect" }),
  })
  .openapi("Onboarding", { description: "How the approved account lets snaprelay in." });

export const AccessRequestSchema = z
  .object({
    requestId: z.string().openapi({ example: "acc-7d0c…" }),
    accountId: z.string().openapi({ example: "999988887777" }),
    reason: z.string(),
    contact: z.string(),
    status: z.enum(["OPEN", "APPROVED", "REJECTED"]),
    createdAt: Time,
    decision: DecisionSchema.nullable().openapi({
      description: "Who decided, when and why; null while OPEN.",
    }),
    revocation: DecisionSchema.nullable()
      .optional()
      .openapi({ description: "Who revoked the access this request granted, when and why." }),
    access: AccountAccessSchema.nullable()
      .optional()
      .openapi({ description: "The access this request granted (the request's own view)." }),
    onboarding: OnboardingSchema.nullable().optional().openapi({
      description:
        "Approved and not revoked: the role to create, and how (the request's own view).",
    }),
  })
  .openapi("AccessRequest");

export type AccessRequestBody = z.infer<typeof AccessRequestSchema>;

export const AccessRequestListSchema = z
  .object({ requests: z.array(AccessRequestSchema), nextToken: z.string().optional() })
  .openapi("AccessRequestList");

export const AccountConnectionSchema = z
  .object({
    accountId: z.string().openapi({ example: "999988887777" }),
    status: z.literal("CONNECTED"),
    roleArn: z.string(),
    connectedAt: Time,
    seeded: z.boolean().openapi({
      description:
        "Seeded by the deployment (ALLOWLISTED_ACCOUNTS): its role asks the deployment's external id.",
    }),
  })
  .openapi("AccountConnection");

export type AccountConnectionBody = z.infer<typeof AccountConnectionSchema>;

export const AccountRevocationSchema = AccountAccessSchema.extend({
  cancelledJobs: z
    .array(JobId)
    .openapi({ description: 'The account\'s jobs in flight, cancelled as "account revoked".' }),
  jobsStillInFlight: z.boolean().openapi({
    description:
      "Some job in flight was not cancelled within this answer's time: revoke again to cancel it.",
  }),
}).openapi("AccountRevocation");

export type AccountRevocationBody = z.infer<typeof AccountRevocationSchema>;

const Limits = z
  .object({
    requestsPerSecond: z.number().int().openapi({ description: "API requests per second." }),
    jobsInFlight: z.number().int().openapi({ description: "Jobs not yet finished, at once." }),
    policies: z.number().int().openapi({ description: "DR policies kept." }),
    volumesPerRun: z.number().int().openapi({ description: "Volumes one policy run copies." }),
    minScheduleMinutes: z
      .number()
      .int()
      .openapi({ description: "The shortest time between two runs of a policy." }),
  })
  .openapi("Limits");

export const AccountLimitsSchema = z
  .object({
    accountId: z.string().openapi({ example: "123456789012" }),
    limits: Limits.openapi({ description: "The limits that hold for the account now." }),
    defaults: Limits.openapi({ description: "The deployment's defaults." }),
    overrides: z
      .object({
        accountId: z.string(),
        limits: Limits.partial(),
        by: z.string().openapi({ description: "The admin who set them." }),
        at: Time,
        note: z.string().optional(),
      })
      .nullable()
      .openapi({ description: "What an admin set for this account; null when nothing." }),
    usage: z
      .object({ jobsInFlight: z.number().int(), policies: z.number().int() })
      .optional()
      .openapi({ description: "What the account uses now (its own view only)." }),
  })
  .openapi("AccountLimits");

/** Who is signed in (GET /session), and until when what they showed is good. */
export const SessionSchema = z
  .object({
    accountId: z.string().openapi({ example: "111122223333" }),
    principalArn: z
      .string()
      .openapi({ example: "arn:aws:sts::111122223333:assumed-role/OpsAdmin/alice" }),
    admin: z.boolean(),
    via: z.enum(["proof", "session"]),
    expiresAt: z.string().openapi({ example: "2026-12-07T13:00:00.000Z" }),
  })
  .openapi("Session");
export type SessionBody = z.infer<typeof SessionSchema>;

/** POST /sessions: the new session's token, shown once. */
export const NewSessionSchema = SessionSchema.extend({
  sessionToken: z.string().openapi({ example: "srs_Qm9v…" }),
}).openapi("NewSession");

/** GET /auth: how to make a proof of identity. */
export const ProofRecipeSchema = z
  .object({
    scheme: z.literal("SnapRelay-STS"),
    stsEndpoint: z.string().openapi({ example: "https://sts.us-east-1.amazonaws.com" }),
    signingRegion: z.string().openapi({ example: "us-east-1" }),
    audienceHeader: z.literal("x-snaprelay-audience"),
    audience: z.string().openapi({ example: "snaprelay-prod" }),
    maxAgeSeconds: z.number().int(),
  })
  .openapi("ProofRecipe");

export const SignOutSchema = z.object({ signedOut: z.boolean() }).openapi("SignOut");
