// A copy's end told by its own event: the event and the copy's wait meet whichever comes first,
// only a tenant's event is read, only a copy of the event's own account is ended by it, and
// anything else changes nothing.
import { beforeEach, describe, expect, it } from "vitest";
import {
  awaitCopy,
  onCopyEvent,
  parseSnapshotArn,
  readCopyEvent,
  rememberedTenants,
  type Tenants,
} from "../../functions/core/copy-events.js";
import { acquireSlot, awaitSlot } from "../../functions/core/copy-queue.js";
import { TAG_JOB_ID } from "../../functions/core/copy-tags.js";
import { startCopy } from "../../functions/core/start-copy.js";
import {
  ACCOUNT,
  aQueuedJob,
  aRunningJob,
  ebsEvent,
  executionArnOf,
  type Fakes,
  seedCopyDoneInTheCloud,
  settings,
  stepFakes,
  T0,
} from "./fakes.js";

/** A tenant, but not the account of the copies these tests wait for. */
const OTHER_TENANT = "999988887777";

/** What an admin's approval and the account's first connection leave in the access store. */
const approveAtRunTime = async (accountId: string) => {
  const requestId = `acc-${accountId}`;
  await fakes.access.submit({
    requestId,
    accountId,
    reason: "Copies of the orders database to ap-mumbai for DR",
    contact: "ops@example.com",
    status: "OPEN",
    createdAt: T0.toISOString(),
    decision: null,
  });
  await fakes.access.decide(
    requestId,
    { status: "APPROVED", externalId: `snaprelay-${accountId}` },
    { by: "arn:aws:iam::000000000000:user/admin", at: T0.toISOString(), note: null },
  );
  await fakes.access.markConnected(accountId, T0.toISOString());
};

let fakes: Fakes;
let tenants: Tenants;
const deps = () => ({ ...fakes.deps, now: T0, tenants });

beforeEach(async () => {
  fakes = stepFakes();
  tenants = rememberedTenants(fakes.deps.allowlist, fakes.clock);
  await approveAtRunTime(OTHER_TENANT);
  // A copy under way, as the destination region shows it when its success event comes: completed.
  seedCopyDoneInTheCloud(fakes);
});

describe("reading EBS events", () => {
  it("reads a copy's end from an EBS copySnapshot event", () => {
    // Act
    const event = readCopyEvent(ebsEvent());

    // Assess
    expect(event).toEqual({
      account: ACCOUNT,
      region: "ap-mumbai",
      snapshotId: "snap-copy0001",
      result: "succeeded",
      endedAt: "2026-12-03T10:00:00Z",
    });
  });

  it("reads both forms of snapshot ARN EBS has used", () => {
    // Act
    const forms = [
      "arn:aws:ec2::us-west-2:snapshot/snap-01234567",
      "arn:aws:ec2:us-west-2::snapshot/snap-01234567",
    ].map(parseSnapshotArn);

    // Assess
    expect(forms).toEqual([
      { region: "us-west-2", snapshotId: "snap-01234567" },
      { region: "us-west-2", snapshotId: "snap-01234567" },
    ]);
  });

  it("reads a failure's cause, whatever the case of the event's fields", () => {
    // Act
    const event = readCopyEvent(
      ebsEvent({
        event: "CopySnapshot",
        result: "Failed",
        cause: "Source snapshot ID is not valid",
      }),
    );

    // Assess
    expect(event).toMatchObject({ result: "failed", cause: "Source snapshot ID is not valid" });
  });

  it("reads nothing from other events: another EBS event, another source, a broken ARN", () => {
    // Act
    const events = [
      ebsEvent({ event: "createSnapshot" }),
      { ...ebsEvent(), source: "acme.disks" },
      ebsEvent({ snapshot_id: "snap-copy0001" }),
      ebsEvent({ result: "pending" }),
      "not an event",
    ].map(readCopyEvent);

    // Assess
    expect(events).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe("the account an event comes from", () => {
  const STRANGER = "444455556666";

  /** Job job-b of `accountId`, whose copy to ap-mumbai (snap-copyb001) waits for its end. */
  const aWaitingCopyOf = async (accountId: string) => {
    fakes.jobs.seed({
      ...aRunningJob({
        status: "COPYING",
        destinationSnapshotId: "snap-copyb001",
        startedAt: T0.toISOString(),
      }),
      jobId: "job-b",
      accountId,
      executionArn: executionArnOf("job-b"),
    });
    fakes.snapshots.add("ap-mumbai", "snap-copyb001", {}, accountId);
    await awaitCopy("job-b", "ap-mumbai", "token-b", fakes.deps);
  };

  const eventOf = (accountId: string, detail: Record<string, unknown> = {}) => {
    const event = readCopyEvent(
      ebsEvent(
        { snapshot_id: "arn:aws:ec2::ap-mumbai:snapshot/snap-copyb001", ...detail },
        accountId,
      ),
    );
    if (!event) throw new Error("the example event did not read");
    return event;
  };

  it("an event from an account that is not a tenant writes nothing", async () => {
    // Prepare: one copy waits; the other has not begun to wait
    await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
    const before = structuredClone([...fakes.copyWaits.records]);
    const aboutTheWaiting = readCopyEvent(
      ebsEvent({ result: "failed", cause: "forged" }, STRANGER),
    );
    if (!aboutTheWaiting) throw new Error("the example event did not read");

    // Act
    const outcomes = [
      await onCopyEvent(aboutTheWaiting, deps()),
      await onCopyEvent(eventOf(STRANGER), deps()),
    ];

    // Assess
    expect(outcomes).toEqual(["notTenant", "notTenant"]);
    expect([...fakes.copyWaits.records]).toEqual(before);
    expect(fakes.copyWaits.records.has("ap-mumbai#snap-copyb001")).toBe(false);
    expect(fakes.workflow.woken).toEqual([]);
    expect(fakes.workflow.failed).toEqual([]);
  });

  it("an account approved at run time has its events trusted", async () => {
    // Prepare: its copy waits; an event of it came before its approval
    await aWaitingCopyOf(STRANGER);
    const beforeApproval = await onCopyEvent(eventOf(STRANGER), deps());
    await approveAtRunTime(STRANGER);
    // The allowlist's "no" is remembered a few seconds, no longer.
    fakes.clock.advance(5);

    // Act
    const outcome = await onCopyEvent(eventOf(STRANGER), deps());

    // Assess
    expect(beforeApproval).toBe("notTenant");
    expect(outcome).toBe("ended");
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-b"]);
  });

  it("an account whose access was revoked is trusted no longer, a minute at most after", async () => {
    // Prepare
    await aWaitingCopyOf(OTHER_TENANT);
    expect(await tenants.isTenant(OTHER_TENANT)).toBe(true);
    await fakes.access.revoke(OTHER_TENANT, {
      by: "arn:aws:iam::000000000000:user/admin",
      at: T0.toISOString(),
      note: null,
    });
    fakes.clock.advance(60);

    // Act
    const outcome = await onCopyEvent(eventOf(OTHER_TENANT), deps());

    // Assess
    expect(outcome).toBe("notTenant");
    expect(fakes.workflow.woken).toEqual([]);
  });

  it("asks the allowlist about an account once for a burst of its events", async () => {
    // Prepare
    let asked = 0;
    const counting = rememberedTenants(
      {
        refusal: async (accountId) => {
          asked++;
          return fakes.deps.allowlist.refusal(accountId);
        },
      },
      fakes.clock,
    );

    // Act
    for (let i = 0; i < 20; i++) {
      await onCopyEvent(eventOf(STRANGER), { ...deps(), tenants: counting });
    }

    // Assess
    expect(asked).toBe(1);
  });
});

describe("an event that comes while the copy waits", () => {
  it("ends the wait as completed", async () => {
    // Prepare
    await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");

    // Act
    const outcome = await onCopyEvent(event, deps());

    // Assess
    expect(outcome).toBe("ended");
    expect(fakes.workflow.woken).toEqual([
      { token: "token-1", output: { state: "completed", progress: 100, waitSeconds: 0, polls: 0 } },
    ]);
  });

  it("fails the wait with CopyFailed and the cloud's cause", async () => {
    // Prepare
    await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
    const event = readCopyEvent(ebsEvent({ result: "failed", cause: "the source was deleted" }));
    if (!event) throw new Error("the example event did not read");

    // Act
    await onCopyEvent(event, deps());

    // Assess
    expect(fakes.workflow.failed).toEqual([
      {
        token: "token-1",
        error: "CopyFailed",
        cause: "Copy snap-copy0001 in ap-mumbai failed: the source was deleted.",
      },
    ]);
  });

  it("is not trusted from another tenant's account: the wait goes on", async () => {
    // Prepare
    await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
    const event = readCopyEvent(ebsEvent({}, OTHER_TENANT));
    if (!event) throw new Error("the example event did not read");

    // Act
    const outcome = await onCopyEvent(event, deps());

    // Assess
    expect(outcome).toBe("foreign");
    expect(fakes.workflow.woken).toEqual([]);
  });

  it("of success is not believed while the snapshot is still pending: the wait goes on", async () => {
    // Prepare
    await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", { state: "pending", progress: 40 });
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");

    // Act
    const outcome = await onCopyEvent(event, deps());

    // Assess
    expect(outcome).toBe("unconfirmed");
    expect(fakes.workflow.woken).toEqual([]);
    expect(fakes.workflow.failed).toEqual([]);
  });

  it("of success fails the copy when the snapshot shows the cloud's error", async () => {
    // Prepare
    await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", {
      state: "error",
      stateMessage: "the source's key was disabled",
    });
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");

    // Act
    const outcome = await onCopyEvent(event, deps());

    // Assess
    expect(outcome).toBe("ended");
    expect(fakes.workflow.failed).toEqual([
      {
        token: "token-1",
        error: "CopyFailed",
        cause: "Copy snap-copy0001 in ap-mumbai failed: the source's key was disabled.",
      },
    ]);
  });

  it("from another tenant's account writes nothing: the genuine end that follows still ends the wait", async () => {
    // Prepare
    await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
    const foreign = readCopyEvent(ebsEvent({ result: "failed", cause: "forged" }, OTHER_TENANT));
    const genuine = readCopyEvent(ebsEvent());
    if (!foreign || !genuine) throw new Error("the example events did not read");

    // Act
    const outcomes = [await onCopyEvent(foreign, deps()), await onCopyEvent(genuine, deps())];

    // Assess
    expect(outcomes).toEqual(["foreign", "ended"]);
    expect(fakes.workflow.failed).toEqual([]);
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-1"]);
  });

  it("is harmless the second time: the task no longer waits", async () => {
    // Prepare
    await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");
    await onCopyEvent(event, deps());
    fakes.workflow.goneTokens.add("token-1");

    // Act
    const outcome = await onCopyEvent(event, deps());

    // Assess
    expect(outcome).toBe("late");
    expect(fakes.workflow.woken).toHaveLength(1);
  });
});

describe("the slot of a copy whose event came", () => {
  const pool = { accountId: ACCOUNT, region: "ap-mumbai" };

  beforeEach(async () => {
    // One slot in ap-mumbai: job-1's copy holds it, job-2's copy waits for it.
    fakes = stepFakes(settings({ copySlots: { default: 1, byRegion: {} } }));
    tenants = rememberedTenants(fakes.deps.allowlist, fakes.clock);
    seedCopyDoneInTheCloud(fakes);
    fakes.jobs.seed(aQueuedJob("job-2"));
    await fakes.slots.take(pool, "job-1", 1, T0.toISOString());
    await acquireSlot("job-2", "ap-mumbai", fakes.deps);
    await awaitSlot("job-2", "ap-mumbai", "slot-token-2", fakes.deps);
    await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
  });

  it("goes at once to the next copy in the queue, which is woken", async () => {
    // Prepare
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");

    // Act
    const outcome = await onCopyEvent(event, deps());

    // Assess
    expect(outcome).toBe("ended");
    expect(await fakes.slots.holds(pool, "job-1")).toBe(false);
    expect(await fakes.slots.holds(pool, "job-2")).toBe(true);
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-1", "slot-token-2"]);
  });

  it("starts the next copy before waking it, and that copy's own StartCopy finds it started", async () => {
    // Prepare
    fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2");
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");

    // Act
    await onCopyEvent(event, deps());

    // Assess
    const [next] = (await fakes.jobs.get("job-2"))?.copies ?? [];
    expect(next?.status).toBe("COPYING");
    expect(next?.destinationSnapshotId).toMatch(/^snap-copy/);
    expect(fakes.snapshots.copiesStarted.map((c) => c.tags[TAG_JOB_ID])).toEqual(["job-2"]);
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-1", "slot-token-2"]);
    const stepAfterWakeUp = await startCopy("job-2", "ap-mumbai", fakes.deps);
    expect(stepAfterWakeUp.destinationSnapshotId).toBe(next?.destinationSnapshotId);
    expect(fakes.snapshots.copiesStarted).toHaveLength(1);
  });

  it("still wakes the next copy when it cannot be started there, leaving the reason to its own step", async () => {
    // Prepare: job-2's source snapshot is gone from the cloud.
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");

    // Act
    const outcome = await onCopyEvent(event, deps());

    // Assess
    expect(outcome).toBe("ended");
    expect((await fakes.jobs.get("job-2"))?.copies[0]?.status).toBe("QUEUED");
    expect(await fakes.slots.holds(pool, "job-2")).toBe(true);
    expect(fakes.snapshots.copiesStarted).toEqual([]);
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-1", "slot-token-2"]);
    await expect(startCopy("job-2", "ap-mumbai", fakes.deps)).rejects.toThrow(/NotFound/);
  });

  it("stays with its holder when the event is late: the wait it met had ended", async () => {
    // Prepare
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");
    fakes.workflow.goneTokens.add("token-1");

    // Act
    const outcome = await onCopyEvent(event, deps());

    // Assess
    expect(outcome).toBe("late");
    expect(await fakes.slots.holds(pool, "job-1")).toBe(true);
    expect(await fakes.slots.holds(pool, "job-2")).toBe(false);
  });
});

describe("an event that comes before the copy's wait", () => {
  it("is kept, and ends the wait the moment it begins", async () => {
    // Prepare
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");
    const outcome = await onCopyEvent(event, deps());

    // Act
    const wait = await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);

    // Assess
    expect(outcome).toBe("recorded");
    expect(wait).toEqual({ waiting: false });
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-1"]);
  });

  it("of another account, coming after the genuine one, does not replace it", async () => {
    // Prepare
    const genuine = readCopyEvent(ebsEvent());
    const foreign = readCopyEvent(ebsEvent({ result: "failed", cause: "forged" }, OTHER_TENANT));
    if (!genuine || !foreign) throw new Error("the example events did not read");
    await onCopyEvent(genuine, deps());
    await onCopyEvent(foreign, deps());

    // Act
    const wait = await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);

    // Assess
    expect(wait).toEqual({ waiting: false });
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-1"]);
    expect(fakes.workflow.failed).toEqual([]);
  });

  it("of success is checked against the snapshot when the wait begins", async () => {
    // Prepare
    fakes.snapshots.update("ap-mumbai", "snap-copy0001", { state: "pending", progress: 10 });
    const event = readCopyEvent(ebsEvent());
    if (!event) throw new Error("the example event did not read");
    await onCopyEvent(event, deps());

    // Act
    const wait = await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);

    // Assess
    expect(wait).toEqual({ waiting: true });
    expect(fakes.workflow.woken).toEqual([]);
  });

  it("of another account does not end the wait", async () => {
    // Prepare
    const event = readCopyEvent(ebsEvent({}, OTHER_TENANT));
    if (!event) throw new Error("the example event did not read");
    await onCopyEvent(event, deps());

    // Act
    const wait = await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);

    // Assess
    expect(wait).toEqual({ waiting: true });
    expect(fakes.workflow.woken).toEqual([]);
  });
});

describe("waiting for a copy's end", () => {
  it("ends at once for a copy the job already shows COMPLETED", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob({ status: "COMPLETED", destinationSnapshotId: "snap-copy0001" }));

    // Act
    const wait = await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);

    // Assess
    expect(wait).toEqual({ waiting: false });
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-1"]);
  });

  it("is refused for a copy that has not started", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob({ status: "QUEUED" }));

    // Act
    const waiting = awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);

    // Assess
    await expect(waiting).rejects.toMatchObject({ code: "IllegalTransition" });
  });
});
