// Step Functions' status-change event for an execution that ended before its job: the job is
// taken over at once, as the sweeper would at its next look; any other event, a repeated one, or
// one about an execution already replaced, changes nothing.
import { beforeEach, describe, expect, it } from "vitest";
import {
  jobIdOf,
  onExecutionEnded,
  readExecutionEnd,
} from "../../functions/core/execution-ended.js";
import type { SweepDeps } from "../../functions/core/sweep-jobs.js";
import {
  aRunningJob,
  executionArnOf,
  type Fakes,
  RecordingWorkflow,
  stepFakes,
  stored,
} from "./fakes.js";

const STATE_MACHINE = executionArnOf("x")
  .replace(":execution:", ":stateMachine:")
  .replace(/:x$/, "");

/** The event as Step Functions sends it to EventBridge (fields this reads, and a few it does not). */
const statusChange = (status: string, executionArn = executionArnOf("job-1")) => ({
  version: "0",
  id: "315c1398-40ff-a850-213b-158f73e60175",
  "detail-type": "Step Functions Execution Status Change",
  source: "aws.states",
  account: "111122223333",
  time: "2026-12-07T10:00:00Z",
  region: "ap-shanghai",
  resources: [executionArn],
  detail: {
    executionArn,
    stateMachineArn: STATE_MACHINE,
    name: executionArn.split(":").at(-1),
    status,
    startDate: 1_796_637_600_000,
    stopDate: 1_796_641_200_000,
    input: '{"jobId":"job-1"}',
    output: null,
    inputDetails: { included: true },
    outputDetails: null,
  },
});

let fakes: Fakes;
let workflow: RecordingWorkflow;
let deps: SweepDeps & { stateMachineArn: string };

beforeEach(() => {
  fakes = stepFakes();
  workflow = new RecordingWorkflow();
  deps = {
    ...fakes.deps,
    workflow,
    sweep: { startGraceSeconds: 30, checkSeconds: 900, giveUpSeconds: 3600, batchSize: 1 },
    stateMachineArn: STATE_MACHINE,
  };
});

describe("reading a status-change event", () => {
  it("reads an execution that ended FAILED, TIMED_OUT or ABORTED", () => {
    // Act
    const ends = ["FAILED", "TIMED_OUT", "ABORTED"].map((status) =>
      readExecutionEnd(statusChange(status)),
    );

    // Assess
    expect(ends.map((end) => end?.status)).toEqual(["FAILED", "TIMED_OUT", "ABORTED"]);
    expect(ends[0]).toEqual({
      executionArn: executionArnOf("job-1"),
      stateMachineArn: STATE_MACHINE,
      name: "job-1",
      status: "FAILED",
    });
  });

  it("reads nothing from a running or succeeded execution, or another kind of event", () => {
    // Act
    const read = [
      readExecutionEnd(statusChange("RUNNING")),
      readExecutionEnd(statusChange("SUCCEEDED")),
      readExecutionEnd({ ...statusChange("FAILED"), source: "aws.ec2" }),
      readExecutionEnd({ source: "aws.states" }),
      readExecutionEnd("not an event"),
    ];

    // Assess
    expect(read).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it("names the job of an execution that took it over", () => {
    expect([jobIdOf("job-1"), jobIdOf("job-1-adopted-3")]).toEqual(["job-1", "job-1"]);
  });
});

describe("an execution that ended before its job", () => {
  it("has its job taken over by a new execution at once", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());
    workflow.executions.set(executionArnOf("job-1"), { status: "ABORTED" });

    // Act
    const outcome = await onExecutionEnded(
      readExecutionEnd(statusChange("ABORTED")) ?? expect.fail("event not read"),
      deps,
    );

    // Assess
    expect(outcome).toBe("adopted");
    expect(workflow.started).toEqual([
      { jobId: "job-1", input: { jobId: "job-1", adopts: executionArnOf("job-1") } },
    ]);
    expect((await stored(fakes.jobs)).executionArn).toBe(executionArnOf("job-1-adopted-1"));
  });

  it("is taken over once, however often its event comes", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());
    workflow.executions.set(executionArnOf("job-1"), { status: "FAILED" });
    const end = readExecutionEnd(statusChange("FAILED")) ?? expect.fail("event not read");

    // Act
    const outcomes = [await onExecutionEnded(end, deps), await onExecutionEnded(end, deps)];

    // Assess
    expect(outcomes).toEqual(["adopted", "superseded"]);
    expect(workflow.started).toHaveLength(1);
  });

  it("leaves a finished job, an unknown one and another state machine's execution alone", async () => {
    // Prepare
    fakes.jobs.seed({ ...aRunningJob(), status: "COMPLETED" });
    const end = readExecutionEnd(statusChange("FAILED")) ?? expect.fail("event not read");

    // Act
    const outcomes = [
      await onExecutionEnded(end, deps),
      await onExecutionEnded({ ...end, name: "job-nobody" }, deps),
      await onExecutionEnded({ ...end, stateMachineArn: `${STATE_MACHINE}-other` }, deps),
    ];

    // Assess
    expect(outcomes).toEqual(["finished", "unknown", "foreign"]);
    expect(workflow.started).toEqual([]);
  });
});
