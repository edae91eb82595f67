// GET /replications/{jobId}/history as a tenant calls it: a page of entries and a nextToken,
// nothing of the service's own execution, and a token that belongs to one job only.
import { describe, expect, it } from "vitest";
import type { ApiEvent, Caller } from "../../functions/api/request-context.js";
import { getReplicationHistory } from "../../functions/api/routes/replications.js";
import { HISTORY_TOKEN_MAX_LENGTH } from "../../functions/core/history-token.js";
import type { ExecutionEvent } from "../../functions/core/ports.js";
import type { ApiDeps } from "../../functions/wiring.js";
import { ACCOUNT, aJob, executionArnOf, InMemoryJobStore, RecordingWorkflow } from "./fakes.js";
import { aCaller } from "./sign-in-fakes.js";

const caller: Caller = aCaller({ accountId: ACCOUNT });
const request = (jobId: string, query: Record<string, string> = {}): ApiEvent => {
  const fields: Partial<ApiEvent> = {
    headers: {},
    isBase64Encoded: false,
    pathParameters: { jobId },
    queryStringParameters: query,
  };
  return { ...fields, requestContext: {} } as ApiEvent;
};

const events: ExecutionEvent[] = Array.from({ length: 12 }, (_, index) => {
  const id = index + 1;
  const at = new Date(Date.UTC(2026, 11, 3, 10, 0, id)).toISOString();
  const stateName = `Step${Math.ceil(index / 2)}`;
  if (id === 1) return { id, previousEventId: 0, at, type: "ExecutionStarted" };
  return {
    id,
    previousEventId: index,
    at,
    type: id % 2 === 0 ? "PassStateEntered" : "PassStateExited",
    stateName,
  };
});

const setUp = async () => {
  const jobs = new InMemoryJobStore();
  const workflow = new RecordingWorkflow();
  for (const jobId of ["job-1", "job-2"]) {
    await jobs.create(aJob({ jobId, status: "RUNNING", executionArn: executionArnOf(jobId) }));
    workflow.histories.set(executionArnOf(jobId), events);
  }
  // The route reads the jobs and the workflow only.
  const deps = { jobs, workflow } as unknown as ApiDeps;
  return { deps, workflow };
};

const bodyOf = (response: { body?: string }) => JSON.parse(response.body ?? "{}");

describe("a job's history over the API", () => {
  it("answers a page of entries and the token of the next, with no execution ARN", async () => {
    // Prepare
    const { deps, workflow } = await setUp();

    // Act
    const response = await getReplicationHistory(request("job-1", { limit: "2" }), caller, deps);

    // Assess
    expect(response.statusCode).toBe(200);
    const body = bodyOf(response);
    expect(Object.keys(body).sort()).toEqual(["entries", "jobId", "nextToken"]);
    expect(body.entries).toHaveLength(2);
    expect(JSON.stringify(body)).not.toContain("arn:");
    expect(workflow.historyReads).toHaveLength(1);
  });

  it("reads on from its nextToken, one read of the execution's history a call", async () => {
    // Prepare
    const { deps, workflow } = await setUp();
    const first = bodyOf(
      await getReplicationHistory(request("job-1", { limit: "4" }), caller, deps),
    );

    // Act
    const second = bodyOf(
      await getReplicationHistory(
        request("job-1", { limit: "100", nextToken: first.nextToken }),
        caller,
        deps,
      ),
    );

    // Assess
    expect([...first.entries, ...second.entries]).toHaveLength(7);
    expect(second.nextToken).toBeUndefined();
    expect(workflow.historyReads).toHaveLength(2);
  });

  it("refuses with 400 the nextToken of another job of the same account", async () => {
    // Prepare
    const { deps } = await setUp();
    const first = bodyOf(
      await getReplicationHistory(request("job-1", { limit: "2" }), caller, deps),
    );

    // Act
    const refusal = getReplicationHistory(
      request("job-2", { nextToken: first.nextToken }),
      caller,
      deps,
    );

    // Assess
    await expect(refusal).rejects.toMatchObject({
      code: "InvalidRequest",
      message:
        "nextToken is not one this route gave: pass on the nextToken of the previous page as it came.",
    });
  });

  it(`refuses a nextToken longer than ${HISTORY_TOKEN_MAX_LENGTH} characters, naming it`, async () => {
    // Prepare
    const { deps, workflow } = await setUp();

    // Act
    const refusal = getReplicationHistory(
      request("job-1", { nextToken: "x".repeat(HISTORY_TOKEN_MAX_LENGTH + 1) }),
      caller,
      deps,
    );

    // Assess
    await expect(refusal).rejects.toMatchObject({
      code: "InvalidRequest",
      message: expect.stringContaining("nextToken"),
    });
    expect(workflow.historyReads).toEqual([]);
  });

  it("answers 404 for another account's job, reading nothing of its history", async () => {
    // Prepare
    const { deps, workflow } = await setUp();

    // Act
    const refusal = getReplicationHistory(
      request("job-1"),
      aCaller({ accountId: "444455556666" }),
      deps,
    );

    // Assess
    await expect(refusal).rejects.toMatchObject({ code: "JobNotFound" });
    expect(workflow.historyReads).toEqual([]);
  });
});
