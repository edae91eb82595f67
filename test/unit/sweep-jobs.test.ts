// The sweeper: every accepted job reaches a final state, whatever happened to its start or its
// execution. Each look is safe to repeat, and the accounts share each sweep: one account's backlog
// keeps no other account's job waiting.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { acquireSlot, awaitSlot } from "../../functions/core/copy-queue.js";
import {
  MAX_ADOPTIONS,
  type SweepDeps,
  settleHolders,
  sweepJobs,
} from "../../functions/core/sweep-jobs.js";
import {
  BUSY,
  busyNeighbour,
  oneJobInEachOf,
  QUIET,
  sweepDepsOver,
} from "../support/sweep-scenarios.js";
import {
  ACCOUNT,
  aJob,
  aRunningJob,
  executionArnOf,
  type Fakes,
  RecordingWorkflow,
  stepFakes,
  stored,
  T0,
} from "./fakes.js";

const SWEEP = { startGraceSeconds: 30, checkSeconds: 900, giveUpSeconds: 3600, batchSize: 100 };

let fakes: Fakes;
let workflow: RecordingWorkflow;
let deps: SweepDeps;

beforeEach(() => {
  fakes = stepFakes();
  workflow = new RecordingWorkflow();
  deps = { ...fakes.deps, workflow, sweep: SWEEP };
});

describe("a job whose execution never started", () => {
  it("is left alone while the API may still be starting it", async () => {
    // Prepare
    fakes.jobs.seed(aJob());
    fakes.clock.advance(10);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    expect(report.looked).toBe(0);
    expect(workflow.started).toEqual([]);
  });

  it("is started once it is past the grace, and its execution recorded", async () => {
    // Prepare
    fakes.jobs.seed(aJob());
    fakes.clock.advance(31);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    expect(report.actions.started).toEqual(["job-1"]);
    expect(workflow.started).toEqual([{ jobId: "job-1", input: { jobId: "job-1" } }]);
    expect((await stored(fakes.jobs)).executionArn).toBe(executionArnOf("job-1"));
  });

  it("is not looked at again until its next check is due", async () => {
    // Prepare
    fakes.jobs.seed(aJob());
    fakes.clock.advance(31);
    await sweepJobs(deps);
    fakes.clock.advance(60);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    expect(report.looked).toBe(0);
    expect(workflow.started).toHaveLength(1);
  });

  it("is tried again at a later sweep when the start fails, and the failure is reported", async () => {
    // Prepare
    fakes.jobs.seed(aJob());
    fakes.clock.advance(31);
    workflow.failWith = new Error("ThrottlingException: Rate exceeded");

    // Act
    const first = await sweepJobs(deps);
    workflow.failWith = undefined;
    fakes.clock.advance(61);
    const second = await sweepJobs(deps);

    // Assess
    expect(first.problems).toEqual([
      { jobId: "job-1", message: "ThrottlingException: Rate exceeded" },
    ]);
    expect((await stored(fakes.jobs)).status).toBe("PENDING");
    expect(second.actions.started).toEqual(["job-1"]);
  });

  it("is failed with WorkflowUnavailable, naming the last error, once it cannot be started for too long", async () => {
    // Prepare
    fakes.jobs.seed(aJob());
    workflow.failWith = new Error("StateMachineDoesNotExist");
    fakes.clock.advance(3601);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(report.actions.failed).toEqual(["job-1"]);
    expect(job.status).toBe("FAILED");
    expect(job.error).toEqual({
      code: "WorkflowUnavailable",
      message: expect.stringMatching(
        /could not be started for 60 minutes \(last error: StateMachineDoesNotExist\); nothing was copied/,
      ),
    });
    expect(job.copies.map((copy) => copy.status)).toEqual(["FAILED", "FAILED"]);
  });
});

describe("a job whose execution started", () => {
  it("is checked again later while its execution runs", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());
    workflow.executions.set(executionArnOf("job-1"), { status: "RUNNING" });
    fakes.clock.advance(31);

    // Act
    const first = await sweepJobs(deps);
    fakes.clock.advance(60);
    const soon = await sweepJobs(deps);
    fakes.clock.advance(900);
    const later = await sweepJobs(deps);

    // Assess
    expect(first.actions.running).toEqual(["job-1"]);
    expect(soon.looked).toBe(0);
    expect(later.actions.running).toEqual(["job-1"]);
    expect((await stored(fakes.jobs)).status).toBe("RUNNING");
  });

  it("is taken over by a new execution when its execution ended first", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());
    workflow.executions.set(executionArnOf("job-1"), {
      status: "ABORTED",
      error: "Operator",
      cause: "stopped from the console",
    });
    fakes.clock.advance(31);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(report.actions.adopted).toEqual(["job-1"]);
    expect(workflow.started).toEqual([
      { jobId: "job-1", input: { jobId: "job-1", adopts: executionArnOf("job-1") } },
    ]);
    expect(job.executionArn).toBe(executionArnOf("job-1-adopted-1"));
    expect(job.status).toBe("RUNNING");
    expect(job.copies[0]?.status).toBe("QUEUED");
  });

  it("is left alone, not taken over, when its execution succeeds between the job's read and the look at it", async () => {
    // Prepare: the job reads RUNNING; as the sweep describes its execution, the execution has
    // just finished it
    fakes.jobs.seed(aRunningJob());
    workflow.executions.set(executionArnOf("job-1"), { status: "SUCCEEDED" });
    const describe = workflow.describe.bind(workflow);
    vi.spyOn(workflow, "describe").mockImplementation(async (arn) => {
      fakes.jobs.seed({ ...aRunningJob(), status: "COMPLETED" });
      return describe(arn);
    });
    fakes.clock.advance(31);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    expect(report.actions).toEqual({ finished: ["job-1"] });
    expect(workflow.started).toEqual([]);
    expect((await stored(fakes.jobs)).executionArn).toBe(executionArnOf("job-1"));
  });

  it("keeps a copy under way, and its slot, when a new execution takes it over", async () => {
    // Prepare: the copy holds ap-mumbai's slot and is 40% made when its execution fails
    fakes.jobs.seed(
      aRunningJob({ status: "COPYING", destinationSnapshotId: "snap-copy", progress: 40 }),
    );
    await fakes.slots.take(
      { accountId: ACCOUNT, region: "ap-mumbai" },
      "job-1",
      20,
      T0.toISOString(),
    );
    const deleted = vi.spyOn(fakes.snapshots, "delete");
    workflow.executions.set(executionArnOf("job-1"), {
      status: "FAILED",
      error: "States.Runtime",
      cause: "The execution reached the maximum number of history events (25000).",
    });
    fakes.clock.advance(31);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(report.actions.adopted).toEqual(["job-1"]);
    expect(deleted).not.toHaveBeenCalled();
    expect(job.copies[0]).toMatchObject({ status: "COPYING", destinationSnapshotId: "snap-copy" });
    expect(await fakes.slots.heldSince({ accountId: ACCOUNT, region: "ap-mumbai" }, "job-1")).toBe(
      T0.toISOString(),
    );
  });

  it("is taken over again, under the next name, when the execution that took it over ends too", async () => {
    // Prepare
    fakes.jobs.seed({ ...aRunningJob(), executionArn: executionArnOf("job-1-adopted-2") });
    workflow.executions.set(executionArnOf("job-1-adopted-2"), { status: "TIMED_OUT" });
    fakes.clock.advance(31);

    // Act
    await sweepJobs(deps);

    // Assess
    expect((await stored(fakes.jobs)).executionArn).toBe(executionArnOf("job-1-adopted-3"));
  });

  it(`is failed with ExecutionEnded after ${MAX_ADOPTIONS} executions took it over, its copy under way left to finish`, async () => {
    // Prepare
    const last = executionArnOf(`job-1-adopted-${MAX_ADOPTIONS}`);
    fakes.jobs.seed({
      ...aRunningJob({ status: "COPYING", destinationSnapshotId: "snap-copy" }),
      executionArn: last,
    });
    const deleted = vi.spyOn(fakes.snapshots, "delete");
    workflow.executions.set(last, { status: "ABORTED", error: "Operator", cause: "stopped again" });
    fakes.clock.advance(31);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    const job = await stored(fakes.jobs);
    expect(report.actions.failed).toEqual(["job-1"]);
    expect(workflow.started).toEqual([]);
    expect(job.status).toBe("FAILED");
    expect(job.error?.code).toBe("ExecutionEnded");
    expect(job.error?.message).toContain(
      `ended (aborted with Operator: stopped again) before the job finished, as had the ${MAX_ADOPTIONS} executions before it`,
    );
    expect(deleted).not.toHaveBeenCalled();
    expect(job.copies[0]?.error?.message).toContain(
      "The copy snap-copy was still under way in ap-mumbai and was left to finish",
    );
  });

  it("is started again when its execution has vanished", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());
    fakes.clock.advance(31);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    expect(report.actions.restarted).toEqual(["job-1"]);
    expect(workflow.started).toEqual([{ jobId: "job-1", input: { jobId: "job-1" } }]);
  });
});

describe("a sweep", () => {
  it("never looks at a finished job", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ status: "COMPLETED", createdAt: T0.toISOString() }));
    fakes.clock.advance(3601);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    expect(report.looked).toBe(0);
    expect(workflow.started).toEqual([]);
  });

  it("looks at no more jobs than its batch, the longest due first", async () => {
    // Prepare
    for (let index = 0; index < 5; index++) {
      fakes.jobs.seed(
        aJob({
          jobId: `job-${index}`,
          createdAt: new Date(T0.getTime() + index * 1000).toISOString(),
        }),
      );
    }
    fakes.clock.advance(60);

    // Act
    const report = await sweepJobs({ ...deps, sweep: { ...SWEEP, batchSize: 2 } });

    // Assess
    expect(report.looked).toBe(2);
    expect(report.actions.started).toEqual(["job-0", "job-1"]);
  });
});

describe("a job that keeps failing a look", () => {
  it("is looked at again only after a check period, not at every sweep", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());
    fakes.clock.advance(31);
    workflow.describe = async () => {
      throw new Error("ThrottlingException");
    };

    // Act
    const first = await sweepJobs(deps);
    fakes.clock.advance(60);
    const minuteLater = await sweepJobs(deps);

    // Assess
    expect(first.problems).toHaveLength(1);
    expect(minuteLater.looked).toBe(0);
  });
});

describe("a slot held by a job whose execution ended", () => {
  /**
   * One slot in ap-mumbai: job-1 (its execution `holderExecution`) holds it, job-2 waits with
   * token-2 and its execution runs. Answers the sweep's deps with that one slot.
   */
  const oneSlotHeldAndAwaited = async (holderExecution = executionArnOf("job-1")) => {
    const one = { ...fakes.deps.settings, copySlots: { default: 1, byRegion: {} } };
    const withOneSlot = { ...deps, settings: one };
    fakes.jobs.seed({ ...aRunningJob(), executionArn: holderExecution });
    fakes.jobs.seed({ ...aRunningJob(), jobId: "job-2", executionArn: executionArnOf("job-2") });
    await acquireSlot("job-1", "ap-mumbai", withOneSlot);
    await acquireSlot("job-2", "ap-mumbai", withOneSlot);
    await awaitSlot("job-2", "ap-mumbai", "token-2", withOneSlot);
    workflow.executions.set(executionArnOf("job-2"), { status: "RUNNING" });
    return withOneSlot;
  };

  it("stays with its job, taken over by a new execution at the next sweep, when copies wait for it", async () => {
    // Prepare: one slot in ap-mumbai; job-1 holds it, job-2 waits; job-1's execution was stopped
    const withOneSlot = await oneSlotHeldAndAwaited();
    workflow.executions.set(executionArnOf("job-1"), { status: "ABORTED" });

    // Act
    const report = await settleHolders(withOneSlot);

    // Assess
    expect(report.actions.adopted).toEqual(["job-1"]);
    expect((await stored(fakes.jobs, "job-1")).executionArn).toBe(
      executionArnOf("job-1-adopted-1"),
    );
    expect(workflow.woken).toEqual([]);
  });

  it("is not taken over when its job's execution finished the job as the sweep looked", async () => {
    // Prepare: job-1 holds the only slot, job-2 waits; job-1's execution succeeds between the
    // sweep's read of the holders and its look at the execution
    const withOneSlot = await oneSlotHeldAndAwaited();
    workflow.executions.set(executionArnOf("job-1"), { status: "SUCCEEDED" });
    const describe = workflow.describe.bind(workflow);
    vi.spyOn(workflow, "describe").mockImplementation(async (arn) => {
      fakes.jobs.seed({ ...aRunningJob(), status: "COMPLETED" });
      return describe(arn);
    });

    // Act
    const report = await settleHolders(withOneSlot);

    // Assess
    expect(report.actions).toEqual({ finished: ["job-1"] });
    expect(workflow.started).toEqual([]);
  });

  it("is handed on when its job is given up after its executions kept ending", async () => {
    // Prepare
    const last = executionArnOf(`job-1-adopted-${MAX_ADOPTIONS}`);
    const withOneSlot = await oneSlotHeldAndAwaited(last);
    workflow.executions.set(last, { status: "ABORTED" });

    // Act
    const report = await settleHolders(withOneSlot);

    // Assess
    expect(report.actions.failed).toEqual(["job-1"]);
    expect(workflow.woken.map((wake) => wake.token)).toEqual(["token-2"]);
  });

  it("is left alone while nobody waits for it", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());
    await acquireSlot("job-1", "ap-mumbai", deps);
    workflow.executions.set(executionArnOf("job-1"), { status: "ABORTED" });

    // Act
    const report = await settleHolders(deps);

    // Assess
    expect(report.looked).toBe(0);
    expect((await stored(fakes.jobs)).status).toBe("RUNNING");
  });
});

describe("accounts sharing a sweep", () => {
  it("starts an account's job in one sweep of 200, though another account has 500 jobs due before it", async () => {
    // Prepare
    const shared = sweepDepsOver(fakes, fakes.jobs);
    const quietJobId = await busyNeighbour(shared, fakes);

    // Act
    const report = await sweepJobs(shared);

    // Assess
    expect(report.actions.started).toEqual([quietJobId]);
    expect(report.lookedByAccount).toEqual({ [BUSY]: 199, [QUIET]: 1 });
    expect((await stored(fakes.jobs, quietJobId)).executionArn).toBe(executionArnOf(quietJobId));
  });

  it("serves every one of 300 accounts with a job due within two sweeps of 200", async () => {
    // Prepare
    const shared = sweepDepsOver(fakes, fakes.jobs);
    const jobIds = await oneJobInEachOf(shared, fakes, 300);

    // Act
    const first = await sweepJobs(shared);
    fakes.clock.advance(60);
    const second = await sweepJobs(shared);

    // Assess
    const started = [...(first.actions.started ?? []), ...(second.actions.started ?? [])];
    expect(first.looked).toBe(200);
    expect(second.looked).toBe(100);
    expect(new Set(started)).toEqual(new Set(jobIds));
  });

  it("gives every account its first job before any account its second", async () => {
    // Prepare: two jobs in each of two accounts
    const created = (jobId: string, accountId: string) =>
      fakes.jobs.seed(aJob({ jobId, accountId, createdAt: T0.toISOString() }));
    created("a-1", ACCOUNT);
    created("a-2", ACCOUNT);
    created("b-1", "999900001111");
    created("b-2", "999900001111");
    fakes.clock.advance(60);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    const accountOf = (jobId: string) => jobId.slice(0, 1);
    const order = (report.actions.started ?? []).map(accountOf);
    expect(new Set(order.slice(0, 2))).toEqual(new Set(["a", "b"]));
    expect(new Set(order.slice(2))).toEqual(new Set(["a", "b"]));
  });

  it("reports an account whose queue cannot be read, and sweeps the other accounts", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ jobId: "job-1", accountId: ACCOUNT }));
    fakes.jobs.seed(aJob({ jobId: "job-2", accountId: "999900001111" }));
    const read = fakes.jobs.dueForSweep.bind(fakes.jobs);
    fakes.jobs.dueForSweep = async (accountId, dueBy, limit) => {
      if (accountId === ACCOUNT) throw new Error("ProvisionedThroughputExceededException");
      return read(accountId, dueBy, limit);
    };
    fakes.clock.advance(60);

    // Act
    const report = await sweepJobs(deps);

    // Assess
    expect(report.problems).toEqual([
      { accountId: ACCOUNT, message: "ProvisionedThroughputExceededException" },
    ]);
    expect(report.actions.started).toEqual(["job-2"]);
  });
});

describe("slots held in many accounts", () => {
  it("checks each account's holders within the budget, however many holders one account has", async () => {
    // Prepare: BUSY holds 5 slots in ap-mumbai and QUIET 1, copies wait in both; QUIET's holder
    // was stopped
    const now = T0.toISOString();
    const holder = async (jobId: string, accountId: string) => {
      fakes.jobs.seed({ ...aRunningJob(), jobId, accountId, executionArn: executionArnOf(jobId) });
      workflow.executions.set(executionArnOf(jobId), { status: "RUNNING" });
      await fakes.slots.take({ accountId, region: "ap-mumbai" }, jobId, 20, now);
    };
    for (let index = 0; index < 5; index++) await holder(`busy-${index}`, BUSY);
    await holder("quiet-1", QUIET);
    workflow.executions.set(executionArnOf("quiet-1"), { status: "ABORTED" });
    await fakes.slots.enqueue({ accountId: BUSY, region: "ap-mumbai" }, "busy-waiting", now);
    await fakes.slots.enqueue({ accountId: QUIET, region: "ap-mumbai" }, "quiet-waiting", now);

    // Act
    const report = await settleHolders(deps, 2);

    // Assess
    expect(report.lookedByAccount).toEqual({ [BUSY]: 1, [QUIET]: 1 });
    expect(report.actions.adopted).toEqual(["quiet-1"]);
  });
});
