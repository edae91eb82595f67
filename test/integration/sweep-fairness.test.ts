// The sweeper over the DynamoDB job store on DynamoDB Local: each account waits in a queue of its
// own, so one account's backlog keeps no other account's job waiting, and many accounts are all
// served within a few sweeps. The cloud and the workflow are the unit suite's fakes.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DynamoJobStore } from "../../functions/adapters/dynamodb/job-store.js";
import { sweepJobs } from "../../functions/core/sweep-jobs.js";
import { documentClient, newTable } from "../support/services.js";
import {
  BUSY,
  busyNeighbour,
  oneJobInEachOf,
  QUIET,
  sweepDepsOver,
} from "../support/sweep-scenarios.js";
import { executionArnOf, type Fakes, stepFakes, stored } from "../unit/fakes.js";

let table: Awaited<ReturnType<typeof newTable>>;
let jobs: DynamoJobStore;
let fakes: Fakes;

beforeEach(async () => {
  table = await newTable();
  jobs = new DynamoJobStore(documentClient(), table.tableName);
  fakes = stepFakes();
});

afterEach(async () => {
  await table.drop();
});

/** Runs `work`, and says how long it took (ms) beside the test's name in the report. */
const timed = async <T>(
  annotate: (message: string) => Promise<unknown>,
  what: string,
  work: () => Promise<T>,
): Promise<T> => {
  const started = performance.now();
  const result = await work();
  await annotate(`${what} took ${Math.round(performance.now() - started)} ms`);
  return result;
};

describe("the sweeper on DynamoDB", () => {
  it("starts an account's job in one sweep of 200, though another account has 500 jobs due before it", async ({
    annotate,
  }) => {
    // Prepare
    const deps = sweepDepsOver(fakes, jobs);
    const quietJobId = await busyNeighbour(deps, fakes);

    // Act
    const report = await timed(annotate, "the sweep", () => sweepJobs(deps));

    // Assess
    expect(report.problems).toEqual([]);
    expect(report.actions.started).toEqual([quietJobId]);
    expect(report.lookedByAccount).toEqual({ [BUSY]: 199, [QUIET]: 1 });
    expect((await stored(jobs, quietJobId)).executionArn).toBe(executionArnOf(quietJobId));
  });

  it("serves every one of 300 accounts with a job due within two sweeps of 200", async ({
    annotate,
  }) => {
    // Prepare
    const deps = sweepDepsOver(fakes, jobs);
    const jobIds = await oneJobInEachOf(deps, fakes, 300);

    // Act
    const first = await timed(annotate, "the first sweep", () => sweepJobs(deps));
    fakes.clock.advance(60);
    const second = await timed(annotate, "the second sweep", () => sweepJobs(deps));

    // Assess
    const started = [...(first.actions.started ?? []), ...(second.actions.started ?? [])];
    expect(first.looked).toBe(200);
    expect(second.looked).toBe(100);
    expect(new Set(started)).toEqual(new Set(jobIds));
  });
});
