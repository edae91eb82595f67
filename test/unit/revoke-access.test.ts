// Revoking an approved account: its grant becomes REVOKED with who, when and why; its next request
// is refused AccountRevoked; new work stops at once (no job passes validation, no policy run
// starts); its jobs in flight are cancelled as "account revoked" and listed; it may apply again.
import { beforeEach, describe, expect, it } from "vitest";
import {
  type AccessDeps,
  assertAllowlisted,
  decideAccessRequest,
  submitAccessRequest,
  tenantAllowlist,
} from "../../functions/core/access.js";
import { checkPolicyRequest, newPolicy } from "../../functions/core/policies/policy.js";
import { executeRun, newRun } from "../../functions/core/policies/run-policy.js";
import { type RevokeDeps, revokeAccess } from "../../functions/core/revoke-access.js";
import { validateJob } from "../../functions/core/validate-job.js";
import { FakeAccountRoles, SERVICE_ACCOUNT, tenancySettings } from "./access-fakes.js";
import {
  ACCOUNT,
  aCopy,
  aJob,
  executionArnOf,
  type Fakes,
  seedPolicy,
  stepFakes,
  stored,
  T0,
} from "./fakes.js";
import { TEST_LIMITS } from "./limit-fakes.js";
import { InMemoryPolicyStore } from "./policy-fakes.js";

const TENANT = "999988887777";
const OTHER = "444455556666";
const ADMIN = "000011112222";
const EXTERNAL_ID = "snaprelay-0123456789abcdef0123456789abcdef";
const NEVER = Number.POSITIVE_INFINITY;

let fakes: Fakes;
let roles: FakeAccountRoles;
let accessDeps: AccessDeps & { roles: FakeAccountRoles };
let deps: RevokeDeps;

/** Applies, is approved, creates its role and connects: a tenant in good standing. */
const onboard = async (accountId: string, requestId: string) => {
  accessDeps.newRequestId = () => requestId;
  await submitAccessRequest(
    accountId,
    { reason: "DR copies of the orders database", contact: "ops@example.com" },
    accessDeps,
  );
  await decideAccessRequest(ADMIN, requestId, "APPROVED", {}, accessDeps);
  roles.createRole(accountId, EXTERNAL_ID);
  await assertAllowlisted(accountId, tenantAllowlist(accessDeps));
};

/** A job of `accountId` in `status`, its copy to ap-mumbai under way. */
const seedJob = (jobId: string, accountId: string, status: "PENDING" | "RUNNING" | "COMPLETED") =>
  fakes.jobs.seed(
    aJob({
      jobId,
      accountId,
      status,
      executionArn: status === "PENDING" ? null : executionArnOf(jobId),
      copies: [aCopy("ap-mumbai", { status: status === "COMPLETED" ? "COMPLETED" : "QUEUED" })],
    }),
  );

beforeEach(async () => {
  fakes = stepFakes();
  roles = new FakeAccountRoles();
  accessDeps = {
    access: fakes.access,
    clock: fakes.clock,
    tenancy: tenancySettings(),
    roles,
    newExternalId: () => EXTERNAL_ID,
  };
  const allowlist = tenantAllowlist(accessDeps);
  deps = {
    ...fakes.deps,
    allowlist,
    workflow: fakes.workflow,
    access: fakes.access,
    tenancy: accessDeps.tenancy,
  };
  await onboard(TENANT, "acc-1");
  await onboard(OTHER, "acc-2");
});

describe("revoking an account", () => {
  it("records who, when and why, on the grant and on the request that granted it", async () => {
    // Act
    const outcome = await revokeAccess(ADMIN, TENANT, { note: "left the beta" }, deps, NEVER);

    // Assess
    const revocation = { by: ADMIN, at: T0.toISOString(), note: "left the beta" };
    expect(outcome.grant).toMatchObject({ accountId: TENANT, status: "REVOKED", revocation });
    expect((await fakes.access.get("acc-1"))?.revocation).toEqual(revocation);
  });

  it("refuses the account's next request with AccountRevoked, saying who and how to apply again", async () => {
    // Act
    await revokeAccess(ADMIN, TENANT, { note: "left the beta" }, deps, NEVER);
    const next = assertAllowlisted(TENANT, deps.allowlist);

    // Assess
    await expect(next).rejects.toMatchObject({
      code: "AccountRevoked",
      message: expect.stringContaining(
        `revoked by ${ADMIN} at ${T0.toISOString()} (left the beta)`,
      ),
    });
    await expect(next).rejects.toThrow(/POST \/access-requests/);
    await expect(assertAllowlisted(OTHER, deps.allowlist)).resolves.toBeUndefined();
  });

  it("cancels its jobs in flight as 'account revoked', stops their executions, and lists them", async () => {
    // Prepare
    seedJob("job-running", TENANT, "RUNNING");
    seedJob("job-pending", TENANT, "PENDING");
    seedJob("job-done", TENANT, "COMPLETED");
    seedJob("job-other", OTHER, "RUNNING");

    // Act
    const outcome = await revokeAccess(ADMIN, TENANT, { note: "left the beta" }, deps, NEVER);

    // Assess
    expect([...outcome.cancelledJobs].sort()).toEqual(["job-pending", "job-running"]);
    expect(outcome.jobsStillInFlight).toBe(false);
    const running = await stored(fakes.jobs, "job-running");
    expect(running.status).toBe("CANCELLED");
    expect(running.cancellation?.reason).toBe(`account revoked by ${ADMIN}: left the beta`);
    expect((await stored(fakes.jobs, "job-pending")).status).toBe("CANCELLED");
    expect((await stored(fakes.jobs, "job-done")).status).toBe("COMPLETED");
    expect((await stored(fakes.jobs, "job-other")).status).toBe("RUNNING");
    expect(fakes.workflow.stopped.map((stop) => stop.executionArn)).toEqual([
      executionArnOf("job-running"),
    ]);
  });

  it("says jobs are still in flight when its time ran out, and a revoke again cancels them", async () => {
    // Prepare
    seedJob("job-running", TENANT, "RUNNING");

    // Act
    const late = await revokeAccess(ADMIN, TENANT, {}, deps, Date.now() - 1);
    const again = await revokeAccess(ADMIN, TENANT, { note: "second go" }, deps, NEVER);

    // Assess
    expect(late).toMatchObject({ cancelledJobs: [], jobsStillInFlight: true });
    expect(again).toMatchObject({ cancelledJobs: ["job-running"], jobsStillInFlight: false });
    // The first revoke's record stands.
    expect(again.grant.revocation?.note).toBeNull();
  });

  it("rejects at validation a job accepted just before the revoke", async () => {
    // Prepare: accepted, its execution not yet at Validate when the revoke lists the jobs
    await revokeAccess(ADMIN, TENANT, {}, deps, NEVER);
    fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2", {}, TENANT);
    seedJob("job-late", TENANT, "PENDING");

    // Act
    const outcome = await validateJob("job-late", deps);

    // Assess
    expect(outcome).toMatchObject({ accepted: false, error: { code: "AccountRevoked" } });
  });

  it("starts no run of its policies: each is recorded FAILED with the reason, and makes no job", async () => {
    // Prepare
    const policies = new InMemoryPolicyStore();
    const request = checkPolicyRequest(
      {
        name: "orders-db-dr",
        sourceRegion: "ap-shanghai",
        selector: { tags: { dr: "true" } },
        destinationRegions: ["ap-mumbai"],
        schedule: "rate(1 hour)",
        retention: { count: 3 },
        rpoMinutes: 60,
      },
      seedPolicy(),
      T0,
    );
    const policy = newPolicy(TENANT, request, "pol-1", T0);
    await policies.create(policy);
    const run = newRun(policy, "schedule", T0.toISOString(), T0);
    await policies.addRun(run);
    await revokeAccess(ADMIN, TENANT, {}, deps, NEVER);

    // Act
    const done = await executeRun(policy, run, {
      policies,
      jobs: fakes.jobs,
      snapshots: fakes.snapshots,
      workflow: fakes.workflow,
      clock: fakes.clock,
      limits: async () => TEST_LIMITS,
      allowlist: deps.allowlist,
    });

    // Assess
    expect(done).toMatchObject({
      status: "FAILED",
      jobs: [],
      error: {
        code: "AccountRevoked",
        message: expect.stringContaining("The run started nothing"),
      },
    });
    expect((await policies.getRun("pol-1", run.runId))?.status).toBe("FAILED");
  });

  it("lets the account apply again; a new approval gives it a new external id, pending anew", async () => {
    // Prepare
    await revokeAccess(ADMIN, TENANT, {}, deps, NEVER);
    accessDeps.newRequestId = () => "acc-3";
    accessDeps.newExternalId = () => "snaprelay-fresh";

    // Act
    const again = await submitAccessRequest(
      TENANT,
      { reason: "back for the next quarter", contact: "ops@example.com" },
      accessDeps,
    );
    await decideAccessRequest(ADMIN, "acc-3", "APPROVED", {}, accessDeps);

    // Assess
    expect(again.status).toBe("OPEN");
    expect(await fakes.access.grant(TENANT)).toMatchObject({
      requestId: "acc-3",
      status: "PENDING_CONNECTION",
      externalId: "snaprelay-fresh",
    });
    await expect(assertAllowlisted(TENANT, deps.allowlist)).rejects.toMatchObject({
      code: "AccountNotConnected",
    });
  });

  it.each([
    ["a seeded account", ACCOUNT, "AccountSeeded"],
    ["an account no approval granted", "222233334444", "AccountNotGranted"],
    ["snaprelay's own account", SERVICE_ACCOUNT, "ServiceAccountNotTenant"],
  ])("refuses to revoke %s", async (_case, accountId, code) => {
    // Act
    const act = revokeAccess(ADMIN, accountId, {}, deps, NEVER);

    // Assess
    await expect(act).rejects.toMatchObject({ code });
  });
});
