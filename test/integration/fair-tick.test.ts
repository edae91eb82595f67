// The DR scheduler's fair share on the real DynamoDB policy store: account A with 50 policies due
// and 500 jobs in flight, account B with one policy due; one tick runs B's policy among its first
// two runs, wherever the tick's time runs out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoPolicyStore } from "../../functions/adapters/dynamodb/policy-store.js";
import { checkPolicyRequest, newPolicy } from "../../functions/core/policies/policy.js";
import type { PolicyDeps } from "../../functions/core/policies/run-policy.js";
import { tick } from "../../functions/core/policies/scheduler.js";
import { documentClient, newTable } from "../support/services.js";
import { ACCOUNT, aJob, seedPolicy, stepFakes } from "../unit/fakes.js";
import { TEST_LIMITS } from "../unit/limit-fakes.js";

const B = "444455556666";
const SOURCE = "ap-shanghai";

let table: Awaited<ReturnType<typeof newTable>>;

beforeAll(async () => {
  table = await newTable();
});
afterAll(async () => {
  await table.drop();
});

describe("one tick of the DR scheduler on DynamoDB", () => {
  it("runs account B's one due policy second, ahead of account A's 49 others", async () => {
    // Prepare
    const fakes = stepFakes();
    const policies = new DynamoPolicyStore(documentClient(), table.tableName);
    const deps: PolicyDeps = {
      policies,
      jobs: fakes.jobs,
      snapshots: fakes.snapshots,
      workflow: fakes.workflow,
      clock: fakes.clock,
      limits: async () => TEST_LIMITS,
    };
    const declare = (accountId: string, policyId: string) =>
      newPolicy(
        accountId,
        checkPolicyRequest(
          {
            name: policyId,
            sourceRegion: SOURCE,
            selector: { tags: { dr: "true" } },
            destinationRegions: ["ap-mumbai"],
            schedule: "rate(1 hour)",
            retention: { count: 3 },
            rpoMinutes: 120,
          },
          seedPolicy(),
          fakes.clock.now(),
        ),
        policyId,
        fakes.clock.now(),
      );
    for (const accountId of [ACCOUNT, B]) {
      fakes.snapshots.addVolume(SOURCE, `vol-${accountId.slice(0, 8)}`, { dr: "true" }, accountId);
      fakes.snapshots.add(
        SOURCE,
        `snap-${accountId.slice(0, 8)}`,
        { volumeId: `vol-${accountId.slice(0, 8)}` },
        accountId,
      );
    }
    for (let index = 0; index < 500; index++) {
      fakes.jobs.seed(aJob({ jobId: `job-a-${index}`, status: "RUNNING" }));
    }
    for (let index = 0; index < 50; index++) {
      await policies.create(
        declare(ACCOUNT, `pol-a${String(index).padStart(2, "0")}-0000-0000-0000-000000000000`),
      );
    }
    const policyOfB = declare(B, "pol-b0000000-0000-0000-0000-000000000000");
    await policies.create(policyOfB);

    // Act
    const started = Date.now();
    const summary = await tick(new Date(policyOfB.nextRunAt ?? ""), deps, silent, {
      deadline: Number.POSITIVE_INFINITY,
      batchSize: 25,
    });
    const tookMs = Date.now() - started;

    // Assess
    console.info(`one tick of 51 due policies of two accounts took ${tookMs} ms`);
    expect(summary.problems).toEqual([]);
    expect(summary.runs).toHaveLength(51);
    const positionOfB = summary.runs.findIndex((run) => run.policyId === policyOfB.policyId);
    expect(positionOfB).toBeGreaterThanOrEqual(0);
    expect(positionOfB).toBeLessThanOrEqual(1);
  }, 120_000);
});

const silent = { breached: () => {}, recovered: () => {} };
