// A policy's runs over the API: counts for every volume, the first 100 of each outcome listed,
// and every volume paged through at the run's volumesHref, whatever the run's size.
import { describe, expect, it } from "vitest";
import type { ApiEvent, Caller } from "../../functions/api/request-context.js";
import { getPolicy, listRunVolumes } from "../../functions/api/routes/policies.js";
import type { DrPolicy } from "../../functions/core/policies/policy.js";
import type { PolicyRun, RunVolume } from "../../functions/core/policies/records.js";
import type { ApiDeps } from "../../functions/wiring.js";
import { ACCOUNT } from "./fakes.js";
import { InMemoryPolicyStore } from "./policy-fakes.js";
import { aCaller } from "./sign-in-fakes.js";

const POLICY = "pol-3f2e0000-0000-4000-8000-000000000001";
const RUN = "2026-12-07T10:00:00.000Z";
const caller: Caller = aCaller({ accountId: ACCOUNT });
const request = (pathParameters: Record<string, string>, query: Record<string, string> = {}) =>
  ({
    headers: {},
    isBase64Encoded: false,
    pathParameters,
    queryStringParameters: query,
    requestContext: {},
  }) as unknown as ApiEvent;
const bodyOf = (response: { body?: string }) => JSON.parse(response.body ?? "{}");
const volume = (n: number) => `vol-${String(n).padStart(17, "0")}`;

const policy: DrPolicy = {
  policyId: POLICY,
  accountId: ACCOUNT,
  name: "fleet-dr",
  sourceRegion: "ap-shanghai",
  selector: { volumeIds: [], tags: { fleet: "big" } },
  destinationRegions: ["ap-mumbai"],
  schedule: "rate(1 day)",
  timeZone: "UTC",
  retention: { count: 2 },
  rpoMinutes: 1440,
  enabled: true,
  createdAt: RUN,
  updatedAt: RUN,
  nextRunAt: null,
  lastRunAt: RUN,
};

const aRun = (fields: Partial<PolicyRun>): PolicyRun => ({
  policyId: POLICY,
  runId: RUN,
  accountId: ACCOUNT,
  trigger: "schedule",
  scheduledFor: RUN,
  startedAt: RUN,
  status: "STARTED",
  finishedAt: RUN,
  resumeAt: null,
  selectedVolumes: 0,
  jobs: [],
  skipped: [],
  failures: [],
  error: null,
  ...fields,
});

const setUp = async () => {
  const policies = new InMemoryPolicyStore();
  await policies.create(policy);
  const deps = { policies, clock: { now: () => new Date(RUN) } } as unknown as ApiDeps;
  return { policies, deps };
};

describe("a policy's run over the API", () => {
  it("counts all 250 volumes, lists the first 100 and pages through every one", async () => {
    // Prepare: a run of 250 volumes, as executeRun stores it.
    const { policies, deps } = await setUp();
    const volumes: RunVolume[] = Array.from({ length: 250 }, (_, n) => ({
      outcome: "job",
      volumeId: volume(n),
      snapshotId: `snap-${n}`,
      jobId: `job-${n}`,
      destinationRegions: ["ap-mumbai"],
    }));
    await policies.recordRunVolumes(POLICY, RUN, volumes);
    await policies.addRun(
      aRun({
        selectedVolumes: 250,
        counts: { jobs: 250, skipped: 0, failures: 0 },
        jobs: volumes.slice(0, 100).map(({ outcome, ...job }) => job as PolicyRun["jobs"][number]),
      }),
    );

    // Act
    const view = bodyOf(await getPolicy(request({ policyId: POLICY }), caller, deps));
    const listed: RunVolume[] = [];
    let nextToken: string | undefined;
    do {
      const page = bodyOf(
        await listRunVolumes(
          request(
            { policyId: POLICY, runId: encodeURIComponent(RUN) },
            { limit: "100", ...(nextToken ? { nextToken } : {}) },
          ),
          caller,
          deps,
        ),
      );
      listed.push(...page.volumes);
      nextToken = page.nextToken;
    } while (nextToken);

    // Assess
    const [run] = view.lastRuns;
    expect(run.counts).toEqual({ jobs: 250, skipped: 0, failures: 0 });
    expect(run.jobs).toHaveLength(100);
    expect(run.volumesHref).toBe(`/policies/${POLICY}/runs/${encodeURIComponent(RUN)}/volumes`);
    expect(run).not.toHaveProperty("resumeAt");
    expect(run).not.toHaveProperty("accountId");
    expect(listed).toEqual(volumes);
  });

  it("shows a run stored before counts existed by its whole lists", async () => {
    // Prepare
    const { policies, deps } = await setUp();
    await policies.addRun(
      aRun({
        selectedVolumes: 2,
        jobs: [
          { volumeId: volume(1), snapshotId: "snap-1", jobId: "job-1", destinationRegions: [] },
        ],
        skipped: [{ volumeId: volume(2), snapshotId: null, reason: "no snapshot" }],
      }),
    );

    // Act
    const view = bodyOf(await getPolicy(request({ policyId: POLICY }), caller, deps));
    const page = bodyOf(
      await listRunVolumes(
        request({ policyId: POLICY, runId: RUN }, { outcome: "skipped" }),
        caller,
        deps,
      ),
    );

    // Assess
    expect(view.lastRuns[0].counts).toEqual({ jobs: 1, skipped: 1, failures: 0 });
    expect(page.volumes).toEqual([
      { outcome: "skipped", volumeId: volume(2), snapshotId: null, reason: "no snapshot" },
    ]);
  });

  it("refuses a malformed run id with a 400 naming it, and an unknown one with a 404", async () => {
    // Prepare
    const { deps } = await setUp();

    // Act
    const malformed = listRunVolumes(
      request({ policyId: POLICY, runId: "yesterday" }),
      caller,
      deps,
    );
    const unknown = listRunVolumes(
      request({ policyId: POLICY, runId: "2001-01-01T00:00:00.000Z" }),
      caller,
      deps,
    );

    // Assess
    await expect(malformed).rejects.toMatchObject({ code: "InvalidRequest" });
    await expect(malformed).rejects.toThrow("runId");
    await expect(unknown).rejects.toMatchObject({ code: "RunNotFound" });
  });
});
