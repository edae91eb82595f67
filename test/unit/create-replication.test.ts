// Starting a replication from the API: a refused request leaves nothing behind, an accepted one
// is stored and started once, however often it is replayed.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { seededAllowlist } from "../../functions/core/access.js";
import {
  type CreateReplicationDeps,
  createReplication,
} from "../../functions/core/create-replication.js";
import type { AccountLimits } from "../../functions/core/limits.js";
import {
  ACCOUNT,
  executionArnOf,
  FixedClock,
  InMemoryJobStore,
  RecordingWorkflow,
  seedPolicy,
  T0,
} from "./fakes.js";
import { InMemoryAccountLimits, TEST_LIMITS } from "./limit-fakes.js";
import { InMemoryPolicyStore } from "./policy-fakes.js";

const body = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  snapshotId: "snap-oi5spwt2",
  sourceRegion: "ap-shanghai",
  destinationRegions: ["ap-mumbai", "ap-beijing"],
  ...fields,
});

let jobs: InMemoryJobStore;
let workflow: RecordingWorkflow;
let deps: CreateReplicationDeps;
let limits: AccountLimits;

beforeEach(() => {
  jobs = new InMemoryJobStore();
  workflow = new RecordingWorkflow();
  let next = 0;
  deps = {
    jobs,
    workflow,
    clock: new FixedClock(),
    settings: seedPolicy(),
    allowlist: seededAllowlist([ACCOUNT]),
    limits: async () => limits,
    accountLimits: new InMemoryAccountLimits(jobs, new InMemoryPolicyStore()),
    newJobId: () => `job-${++next}`,
  };
  limits = { ...TEST_LIMITS };
});

describe("creating a replication", () => {
  it("stores a PENDING job with one PENDING copy per destination, in the caller's order", async () => {
    // Act
    const { job, created } = await createReplication({ accountId: ACCOUNT, body: body() }, deps);

    // Assess
    expect(created).toBe(true);
    expect(job).toMatchObject({
      jobId: "job-1",
      accountId: ACCOUNT,
      status: "PENDING",
      snapshotId: "snap-oi5spwt2",
      sourceRegion: "ap-shanghai",
      name: "Copied snap-oi5spwt2 from ap-shanghai",
      tags: {},
      trigger: { type: "api" },
      createdAt: T0.toISOString(),
      error: null,
    });
    expect(job.copies).toEqual([
      expect.objectContaining({ destinationRegion: "ap-mumbai", status: "PENDING", progress: 0 }),
      expect.objectContaining({ destinationRegion: "ap-beijing", status: "PENDING", progress: 0 }),
    ]);
    expect(jobs.all()).toEqual([job]);
  });

  it("starts the job's workflow, named after the job, and records its execution", async () => {
    // Act
    const { job } = await createReplication({ accountId: ACCOUNT, body: body() }, deps);

    // Assess
    expect(workflow.started).toEqual([{ jobId: "job-1", input: { jobId: "job-1" } }]);
    expect(job.executionArn).toBe(executionArnOf("job-1"));
  });

  it("keeps the caller's name and tags", async () => {
    // Act
    const { job } = await createReplication(
      { accountId: ACCOUNT, body: body({ name: "orders-db nightly", tags: { team: "dr" } }) },
      deps,
    );

    // Assess
    expect(job.name).toBe("orders-db nightly");
    expect(job.tags).toEqual({ team: "dr" });
  });

  it("makes a job id of its own when none is handed in", async () => {
    // Prepare
    const { newJobId: _unused, ...withoutIds } = deps;

    // Act
    const { job } = await createReplication({ accountId: ACCOUNT, body: body() }, withoutIds);

    // Assess
    expect(job.jobId).toMatch(/^job-[0-9a-f-]{36}$/);
  });
});

describe("a refused request", () => {
  it.each([
    ["an account that is not allowlisted", "999988887777", body(), "NotAllowlisted"],
    ["a body that is not a request", ACCOUNT, { snapshotId: "snap-oi5spwt2" }, "InvalidRequest"],
    [
      "an unsupported destination",
      ACCOUNT,
      body({ destinationRegions: ["us-east-1"] }),
      "UnsupportedRegion",
    ],
    [
      "the source region as a destination",
      ACCOUNT,
      body({ destinationRegions: ["ap-shanghai"] }),
      "InvalidDestination",
    ],
    ["a name of 61 characters", ACCOUNT, body({ name: "n".repeat(61) }), "NameTooLong"],
  ])("from %s stores nothing and starts nothing", async (_case, accountId, input, code) => {
    // Act
    const creating = createReplication({ accountId, body: input, idempotencyKey: "k-1" }, deps);

    // Assess
    await expect(creating).rejects.toMatchObject({ code });
    expect(jobs.all()).toEqual([]);
    expect(workflow.started).toEqual([]);
  });
});

describe("when the workflow cannot be started now", () => {
  it("keeps the job PENDING, accepted, and says why its start was left to the sweeper", async () => {
    // Prepare
    workflow.failWith = new Error("Step Functions is unreachable");

    // Act
    const result = await createReplication({ accountId: ACCOUNT, body: body() }, deps);

    // Assess
    expect(result.created).toBe(true);
    expect(result.startDeferred).toBe("Step Functions is unreachable");
    expect(result.job).toMatchObject({ status: "PENDING", executionArn: null });
    expect(jobs.all().map((job) => job.jobId)).toEqual([result.job.jobId]);
  });

  it("keeps the job when its workflow started but recording the execution ARN failed", async () => {
    // Prepare
    vi.spyOn(jobs, "apply").mockRejectedValueOnce(new Error("DynamoDB timed out"));

    // Act
    const result = await createReplication(
      { accountId: ACCOUNT, body: body(), idempotencyKey: "k-2" },
      deps,
    );

    // Assess
    expect(result.startDeferred).toBe("DynamoDB timed out");
    expect(workflow.started).toHaveLength(1);
    expect(jobs.all()).toHaveLength(1);
  });

  it("gives up a start that outlasts the caller's time, and still answers with the job", async () => {
    // Prepare: a start that hangs until it is given up
    vi.spyOn(workflow, "start").mockImplementationOnce(
      (_jobId, _input, options) =>
        new Promise((_, reject) =>
          options?.signal?.addEventListener("abort", () => reject(options.signal?.reason)),
        ),
    );
    const answerBy = new Date(Date.now() + 3_200);

    // Act
    const result = await createReplication({ accountId: ACCOUNT, body: body(), answerBy }, deps);

    // Assess
    expect(Date.now()).toBeLessThan(answerBy.getTime());
    expect(result.created).toBe(true);
    expect(result.job.status).toBe("PENDING");
    expect(result.startDeferred).toMatch(/timeout|abort/i);
  });

  it("refuses with ServiceBusy, storing nothing, when too little time is left to take the job", async () => {
    // Prepare
    const answerBy = new Date(Date.now() + 1_000);

    // Act
    const creating = createReplication({ accountId: ACCOUNT, body: body(), answerBy }, deps);

    // Assess
    await expect(creating).rejects.toMatchObject({ code: "ServiceBusy" });
    expect(jobs.all()).toEqual([]);
    expect(workflow.started).toEqual([]);
  });
});

describe("a replayed request", () => {
  it("returns the job it made the first time, and does not start it again", async () => {
    // Prepare
    const first = await createReplication(
      { accountId: ACCOUNT, body: body(), idempotencyKey: "k-1" },
      deps,
    );

    // Act
    const replay = await createReplication(
      { accountId: ACCOUNT, body: body(), idempotencyKey: "k-1" },
      deps,
    );

    // Assess
    expect(replay).toEqual({ job: first.job, created: false });
    expect(workflow.started).toHaveLength(1);
    expect(jobs.all()).toHaveLength(1);
  });

  it("counts the same tags in another order as the same request", async () => {
    // Prepare
    const first = await createReplication(
      { accountId: ACCOUNT, body: body({ tags: { a: "1", b: "2" } }), idempotencyKey: "k-1" },
      deps,
    );

    // Act
    const replay = await createReplication(
      { accountId: ACCOUNT, body: body({ tags: { b: "2", a: "1" } }), idempotencyKey: "k-1" },
      deps,
    );

    // Assess
    expect(replay.job.jobId).toBe(first.job.jobId);
    expect(replay.created).toBe(false);
  });

  it("refuses the same key with a different request, and starts nothing more", async () => {
    // Prepare
    await createReplication({ accountId: ACCOUNT, body: body(), idempotencyKey: "k-1" }, deps);

    // Act
    const reuse = createReplication(
      {
        accountId: ACCOUNT,
        body: body({ destinationRegions: ["ap-chengdu"] }),
        idempotencyKey: "k-1",
      },
      deps,
    );

    // Assess
    await expect(reuse).rejects.toMatchObject({ code: "IdempotencyConflict" });
    expect(workflow.started).toHaveLength(1);
  });

  it("makes a new job for the same request without a key", async () => {
    // Prepare
    await createReplication({ accountId: ACCOUNT, body: body() }, deps);

    // Act
    const second = await createReplication({ accountId: ACCOUNT, body: body() }, deps);

    // Assess
    expect(second.created).toBe(true);
    expect(jobs.all()).toHaveLength(2);
  });

  it("starts a job whose first attempt stored it but could not start it", async () => {
    // Prepare
    workflow.failWith = new Error("Task timed out");
    await createReplication({ accountId: ACCOUNT, body: body(), idempotencyKey: "k-1" }, deps);
    workflow.failWith = undefined;

    // Act
    const replay = await createReplication(
      { accountId: ACCOUNT, body: body(), idempotencyKey: "k-1" },
      deps,
    );

    // Assess
    expect(replay.created).toBe(false);
    expect(replay.job.jobId).toBe("job-1");
    expect(replay.job.executionArn).toBe(executionArnOf("job-1"));
    expect(workflow.started).toEqual([{ jobId: "job-1", input: { jobId: "job-1" } }]);
  });
});

describe("an account at its limit of jobs in flight", () => {
  it("is refused with 429 TooManyJobsInFlight and a Retry-After, and nothing is created", async () => {
    // Prepare
    limits.jobsInFlight = 2;
    await createReplication({ accountId: ACCOUNT, body: body() }, deps);
    await createReplication({ accountId: ACCOUNT, body: body() }, deps);

    // Act
    const creating = createReplication({ accountId: ACCOUNT, body: body() }, deps);

    // Assess
    await expect(creating).rejects.toMatchObject({
      code: "TooManyJobsInFlight",
      retryAfterSeconds: 60,
      message: expect.stringContaining("has 2 jobs in flight, its limit"),
    });
    expect(jobs.all()).toHaveLength(2);
    expect(workflow.started).toHaveLength(2);
  });

  it("may start a job again once one of its jobs has finished", async () => {
    // Prepare
    limits.jobsInFlight = 1;
    const { job } = await createReplication({ accountId: ACCOUNT, body: body() }, deps);
    jobs.seed({ ...job, status: "COMPLETED" });

    // Act
    const { created } = await createReplication({ accountId: ACCOUNT, body: body() }, deps);

    // Assess
    expect(created).toBe(true);
  });
});
