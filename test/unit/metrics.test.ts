// What snaprelay counts as it works: each copy started, completed or failed once, however often
// its step runs; each rejection by its code; each region's queue as the sweeper reads it.
import { beforeEach, describe, expect, it } from "vitest";
import { reclaimSlots } from "../../functions/core/copy-queue.js";
import { finalizeCopy } from "../../functions/core/finalize.js";
import { recordCopyFailure } from "../../functions/core/record-failure.js";
import { startCopy } from "../../functions/core/start-copy.js";
import { validateJob } from "../../functions/core/validate-job.js";
import { aJob, aRunningJob, type Fakes, stepFakes } from "./fakes.js";

const GIB = 1024 ** 3;
let fakes: Fakes;

beforeEach(() => {
  fakes = stepFakes();
  fakes.snapshots.add("ap-shanghai", "snap-oi5spwt2");
});

describe("the metrics of a copy", () => {
  it("count a copy started once, with how long it waited since its job was created", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob());
    fakes.clock.advance(90);

    // Act
    await startCopy("job-1", "ap-mumbai", fakes.deps);
    await startCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(fakes.metrics.recorded).toEqual(["CopyStarted ap-mumbai waited=90"]);
  });

  it("count a copy completed once, with its size in bytes and how long it took", async () => {
    // Prepare
    fakes.jobs.seed(
      aRunningJob({
        status: "COPYING",
        destinationSnapshotId: "snap-copy0001",
        startedAt: "2026-11-25T02:00:00.000Z",
        sizeGiB: 8,
      }),
    );
    fakes.clock.advance(600);

    // Act
    await finalizeCopy("job-1", "ap-mumbai", fakes.deps);
    await finalizeCopy("job-1", "ap-mumbai", fakes.deps);

    // Assess
    expect(fakes.metrics.recorded).toEqual([
      `CopyCompleted ap-mumbai bytes=${8 * GIB} seconds=600`,
    ]);
  });

  it("count a copy failed once, by the error's code", async () => {
    // Prepare
    fakes.jobs.seed(aRunningJob({ status: "COPYING" }));
    const failure = { code: "CopyFailed", message: "The cloud failed the copy." };

    // Act
    await recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);
    await recordCopyFailure("job-1", "ap-mumbai", failure, fakes.deps);

    // Assess
    expect(fakes.metrics.recorded).toEqual(["CopyFailed ap-mumbai CopyFailed"]);
  });
});

describe("the metrics of a refusal", () => {
  it("count a job the Validate step rejects, by the rule it broke", async () => {
    // Prepare
    fakes.jobs.seed(aJob({ snapshotId: "snap-nothere1" }));

    // Act
    await validateJob("job-1", fakes.deps);

    // Assess
    expect(fakes.metrics.recorded).toEqual(["Rejected SnapshotNotFound"]);
  });
});

describe("the metrics of a queue", () => {
  it("count each region's waiting copies and held slots as the sweeper looks at its pool", async () => {
    // Prepare
    const pool = { accountId: "111122223333", region: "ap-mumbai" };
    await fakes.slots.take(pool, "job-1", 1, "2026-11-25T02:00:00.000Z");
    await fakes.slots.enqueue(pool, "job-2", "2026-11-25T02:00:01.000Z");
    await fakes.slots.enqueue(pool, "job-3", "2026-11-25T02:00:02.000Z");

    // Act
    await reclaimSlots(fakes.deps);

    // Assess
    expect(fakes.metrics.recorded).toEqual(["QueueLength ap-mumbai waiting=2 inUse=1"]);
  });
});
