// The sweeper's replay of copy events copyEvents failed on: each record's event goes the copy
// events' way, a handled record is deleted, one whose handling failed is left for later, one that
// can never be handled is dropped with a warning, and the replay stops at its deadline.
import { beforeEach, describe, expect, it } from "vitest";
import { awaitCopy, rememberedTenants } from "../../functions/core/copy-events.js";
import {
  type ReplayDeps,
  readFailedRecord,
  replayCopyEvents,
} from "../../functions/core/replay-copy-events.js";
import { InMemoryFailedEvents } from "./failed-events-fakes.js";
import { ACCOUNT, ebsEvent, type Fakes, seedCopyDoneInTheCloud, stepFakes } from "./fakes.js";

/** Lambda's record of an asynchronous invocation that failed all its attempts. */
const invocationRecord = (requestPayload: unknown) =>
  JSON.stringify({
    version: "1.0",
    timestamp: "2026-12-03T10:03:05.568Z",
    requestContext: {
      requestId: "e4b46cbf-b738-4f34-8880-a18cdf61200e",
      functionArn:
        "arn:aws:lambda:us-east-1:000000000000:function:snaprelay-dev-copyEvents:$LATEST",
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
    },
    requestPayload,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: { errorType: "CloudThrottled", errorMessage: "Rate exceeded" },
  });

let fakes: Fakes;
let queue: InMemoryFailedEvents;
let warnings: string[];
let deps: ReplayDeps;
const FAR = Number.MAX_SAFE_INTEGER;

beforeEach(async () => {
  fakes = stepFakes();
  queue = new InMemoryFailedEvents(fakes.clock, 60);
  warnings = [];
  deps = {
    ...fakes.deps,
    failedEvents: queue,
    tenants: rememberedTenants(fakes.deps.allowlist, fakes.clock),
    warn: (message) => warnings.push(message),
  };
  // A copy that waits for its end, which the cloud shows completed.
  seedCopyDoneInTheCloud(fakes);
  await awaitCopy("job-1", "ap-mumbai", "token-1", fakes.deps);
});

describe("reading a failed event's record", () => {
  it("takes the event from Lambda's invocation record, with how it failed", () => {
    // Act
    const read = readFailedRecord(invocationRecord(ebsEvent()));

    // Assess
    expect(read).toEqual({ event: ebsEvent(), condition: "RetriesExhausted", invokeCount: 3 });
  });

  it("takes an event sent alone, as a dead-letter queue holds it", () => {
    // Act
    const read = readFailedRecord(JSON.stringify(ebsEvent()));

    // Assess
    expect(read).toEqual({ event: ebsEvent() });
  });

  it("reads nothing from a body that is no JSON object", () => {
    // Act
    const reads = ["not json", "[1,2]", "42", "null"].map(readFailedRecord);

    // Assess
    expect(reads).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe("replaying failed copy events", () => {
  it("ends the copy's wait as the event would have, and deletes the record", async () => {
    // Prepare
    queue.put(invocationRecord(ebsEvent()));

    // Act
    const report = await replayCopyEvents(deps, { deadline: FAR });

    // Assess
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-1"]);
    expect(report).toMatchObject({ received: 1, replayed: 1, dropped: 0, left: 0 });
    expect(report.outcomes).toEqual({ ended: 1 });
    expect(queue.size).toBe(0);
    expect(fakes.metrics.recorded).toContain(
      "FailedCopyEventsReplayed replayed=1 dropped=0 left=0",
    );
  });

  it("changes nothing for a copy already ended, and deletes the record all the same", async () => {
    // Prepare: the event came through after all, then its failed attempt's record is replayed
    queue.put(invocationRecord(ebsEvent()));
    await replayCopyEvents(deps, { deadline: FAR });
    fakes.workflow.goneTokens.add("token-1");
    queue.put(invocationRecord(ebsEvent()));

    // Act
    const report = await replayCopyEvents(deps, { deadline: FAR });

    // Assess
    expect(fakes.workflow.woken).toHaveLength(1);
    expect(report.outcomes).toEqual({ late: 1 });
    expect(queue.size).toBe(0);
  });

  it("leaves a record whose handling failed, and handles it when it comes back", async () => {
    // Prepare: the copy's account cannot be reached for now
    queue.put(invocationRecord(ebsEvent()));
    fakes.snapshots.refusedAccounts.add(ACCOUNT);

    // Act
    const failed = await replayCopyEvents(deps, { deadline: FAR });
    const hidden = await replayCopyEvents(deps, { deadline: FAR });
    fakes.snapshots.refusedAccounts.delete(ACCOUNT);
    fakes.clock.advance(60);
    const later = await replayCopyEvents(deps, { deadline: FAR });

    // Assess
    expect(failed).toMatchObject({ received: 1, replayed: 0, left: 1 });
    expect(failed.problems[0]).toMatch(/snap-copy0001 in ap-mumbai \(received 1 times\)/);
    expect(hidden.received).toBe(0);
    expect(later).toMatchObject({ received: 1, replayed: 1, left: 0 });
    expect(fakes.workflow.woken.map((w) => w.token)).toEqual(["token-1"]);
    expect(queue.size).toBe(0);
  });

  it("drops, with a warning, a record that holds no copy event and one of an account that is not a tenant", async () => {
    // Prepare
    queue.put("not json at all");
    queue.put(invocationRecord({ source: "acme.disks", detail: {} }));
    queue.put(invocationRecord(ebsEvent({}, "444455556666")));

    // Act
    const report = await replayCopyEvents(deps, { deadline: FAR });

    // Assess
    expect(report).toMatchObject({ received: 3, replayed: 0, dropped: 3, left: 0 });
    expect(queue.size).toBe(0);
    expect(warnings).toHaveLength(3);
    expect(warnings.join("\n")).toMatch(/account 444455556666 is not a tenant/);
    expect(fakes.workflow.woken).toEqual([]);
    expect(fakes.metrics.recorded).toContain(
      "FailedCopyEventsReplayed replayed=0 dropped=3 left=0",
    );
  });

  it("takes batch after batch while the queue gives full ones", async () => {
    // Prepare: 25 records of the same event
    for (let n = 0; n < 25; n++) queue.put(invocationRecord(ebsEvent()));

    // Act
    const report = await replayCopyEvents(deps, { deadline: FAR });

    // Assess
    expect(report).toMatchObject({ received: 25, replayed: 25 });
    expect(queue.size).toBe(0);
  });

  it("starts no batch past its deadline", async () => {
    // Prepare: the deadline passes while the first batch is handled
    for (let n = 0; n < 25; n++) queue.put(invocationRecord(ebsEvent()));
    let now = 0;
    const receive = queue.receive.bind(queue);
    queue.receive = async (max) => {
      now += 1_000;
      return receive(max);
    };

    // Act
    const report = await replayCopyEvents(deps, { deadline: 1_000, now: () => now });

    // Assess
    expect(report.received).toBe(10);
    expect(queue.size).toBe(15);
  });

  it("reports a queue it cannot read, and counts nothing", async () => {
    // Prepare
    queue.failReceiveWith = new Error("AccessDenied");

    // Act
    const report = await replayCopyEvents(deps, { deadline: FAR });

    // Assess
    expect(report.problems).toEqual(["the failed copy events could not be received: AccessDenied"]);
    expect(fakes.metrics.recorded).toEqual([]);
  });
});
