// The real state machine, run in process with the real step handlers against DynamoDB Local
// and the local cloud: the whole path of a job, from Validate to its outcome.
import {
  CopySnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DynamoCopySlots } from "../../functions/adapters/dynamodb/copy-slots.js";
import { DynamoJobStore } from "../../functions/adapters/dynamodb/job-store.js";
import { newJob } from "../../functions/core/create-replication.js";
import { defaultSnapshotName } from "../../functions/core/rules.js";
import { LOCAL, localStateMachineArn } from "../../local/defaults.js";
import { createCompletedSnapshot } from "../../local/seed.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { type CloudUnderTest, documentClient, newTable, startCloud } from "../support/services.js";
import { importHandlers, runReplication } from "../support/workflow.js";

let table: Awaited<ReturnType<typeof newTable>>;
let cloud: CloudUnderTest;
let store: DynamoJobStore;
let handlers: Awaited<ReturnType<typeof importHandlers>>;
const savedEnv = { ...process.env };

beforeAll(async () => {
  table = await newTable();
  cloud = await startCloud();
  // The handlers reach the demo account through its role, as they do in AWS.
  await cloud.cloud.createRole({
    accountId: LOCAL.demoAccountId,
    roleName: LOCAL.accountRoleName,
    externalId: LOCAL.accountRoleExternalId,
  });
  const serviceKeys = cloud.cloud.credentialsFor(LOCAL.serviceAccountId);
  Object.assign(process.env, {
    JOBS_TABLE: table.tableName,
    STATE_MACHINE_ARN: localStateMachineArn,
    ALLOWLISTED_ACCOUNTS: LOCAL.demoAccountId,
    POLL_MIN_SECONDS: "1",
    POLL_MAX_SECONDS: "2",
    AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
    AWS_ENDPOINT_URL_EC2: cloud.cloud.url,
    AWS_ENDPOINT_URL_STS: cloud.cloud.url,
    ACCOUNT_ROLE_NAME: LOCAL.accountRoleName,
    ACCOUNT_ROLE_EXTERNAL_ID: LOCAL.accountRoleExternalId,
    // The handlers act as the service's own account, with its keys.
    AWS_ACCESS_KEY_ID: serviceKeys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: serviceKeys.secretAccessKey,
    AWS_SESSION_TOKEN: "",
    AWS_REGION: LOCAL.homeRegion,
  });
  handlers = await importHandlers();
  store = new DynamoJobStore(documentClient(), table.tableName);
});

afterAll(async () => {
  process.env = savedEnv;
  await cloud.close();
  await table.drop();
});

const submit = async (
  snapshotId: string,
  destinationRegions: string[],
  sourceRegion = "ap-shanghai",
) => {
  const job = newJob(
    LOCAL.demoAccountId,
    {
      snapshotId,
      sourceRegion,
      destinationRegions,
      name: defaultSnapshotName(snapshotId, sourceRegion),
      tags: { team: "dr" },
    },
    `job-${Math.random().toString(36).slice(2)}`,
    new Date(),
  );
  await store.create(job);
  return job.jobId;
};

describe("the replication state machine", () => {
  it("copies a snapshot to two regions and completes the job", async () => {
    const { snapshotId } = await createCompletedSnapshot(cloud.ec2("ap-shanghai"), "ap-shanghai");
    const jobId = await submit(snapshotId, ["ap-mumbai", "ap-beijing"]);

    const run = await runReplication(jobId, handlers);

    expect(run.status).toBe("SUCCEEDED");
    // Each destination's branch ends with its outcome alone, for ops reading the execution.
    expect((run.output as { copies: unknown[] }).copies).toEqual([
      {
        destinationRegion: "ap-mumbai",
        status: "COMPLETED",
        destinationSnapshotId: expect.stringMatching(/^snap-/),
      },
      {
        destinationRegion: "ap-beijing",
        status: "COMPLETED",
        destinationSnapshotId: expect.stringMatching(/^snap-/),
      },
    ]);
    const job = await store.get(jobId);
    expect(job?.status).toBe("COMPLETED");
    expect(job?.copies.map((c) => [c.destinationRegion, c.status, c.progress])).toEqual([
      ["ap-mumbai", "COMPLETED", 100],
      ["ap-beijing", "COMPLETED", 100],
    ]);
    for (const copy of job?.copies ?? []) {
      const { Snapshots } = await cloud
        .ec2(copy.destinationRegion)
        .send(new DescribeSnapshotsCommand({ SnapshotIds: [copy.destinationSnapshotId ?? ""] }));
      const tags = Object.fromEntries((Snapshots?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(Snapshots?.[0]?.State).toBe("completed");
      expect(tags).toMatchObject({
        Name: `Copied ${snapshotId} from ap-shanghai`,
        "snaprelay:job-id": jobId,
        "snaprelay:source-snapshot-id": snapshotId,
        team: "dr",
      });
    }
    expect(run.states.slice(0, 3)).toEqual(["Validate", "IsAccepted", "CopyToDestinations"]);
    expect(run.states).toContain("PollCopy");
    expect(run.states.at(-1)).toBe("Done");
  });

  it("rejects a job whose source snapshot does not exist, and starts no copy", async () => {
    const before = cloud.cloud.stats();
    const jobId = await submit("snap-00000000deadbeef0", ["ap-mumbai"]);

    const run = await runReplication(jobId, handlers);

    expect(run).toMatchObject({ status: "FAILED", error: "SnapshotNotFound" });
    const job = await store.get(jobId);
    expect(job?.status).toBe("REJECTED");
    expect(job?.error?.code).toBe("SnapshotNotFound");
    expect(job?.error?.message).toContain("does not exist in ap-shanghai");
    expect(run.states).not.toContain("StartCopy");
    expect(cloud.cloud.stats().copies.started).toBe(before.copies.started);
  });

  it("rejects a job to a region outside the supported list", async () => {
    const { snapshotId } = await createCompletedSnapshot(cloud.ec2("ap-shanghai"), "ap-shanghai");
    const jobId = await submit(snapshotId, ["eu-west-1"]);

    const run = await runReplication(jobId, handlers);

    expect(run).toMatchObject({ status: "FAILED", error: "UnsupportedRegion" });
    expect((await store.get(jobId))?.error?.message).toContain("supported regions: ap-beijing");
  });
});

describe("when copies fail", () => {
  it("fails the job when every copy fails, and deletes the half-made copies", async () => {
    const { snapshotId } = await createCompletedSnapshot(cloud.ec2("ap-shanghai"), "ap-shanghai");
    const jobId = await submit(snapshotId, ["ap-chengdu"]);
    cloud.cloud.setKnobs({ copyFailureRate: 1 });

    const run = await runReplication(jobId, handlers).finally(() =>
      cloud.cloud.setKnobs({ copyFailureRate: 0 }),
    );

    expect(run).toMatchObject({ status: "FAILED", error: "AllCopiesFailed" });
    const job = await store.get(jobId);
    expect(job?.status).toBe("FAILED");
    expect(job?.copies[0]).toMatchObject({ status: "FAILED", error: { code: "CopyFailed" } });
    const { Snapshots } = await cloud.ec2("ap-chengdu").send(
      new DescribeSnapshotsCommand({
        Filters: [{ Name: "tag:snaprelay:job-id", Values: [jobId] }],
      }),
    );
    expect(Snapshots ?? []).toHaveLength(0);
    expect(job?.copies[0]?.error?.message).toContain("was deleted");
  });

  it("ends PARTIAL when one destination's copy disappears and the other completes", async () => {
    // A copy sends written blocks only: this volume holds some, so its copies take time.
    const { snapshotId } = await createCompletedSnapshot(cloud.ec2("ap-shanghai"), "ap-shanghai", {
      write: (volumeId) =>
        cloud.cloud.fillBlocks(
          "ap-shanghai",
          volumeId,
          { firstBlock: 0, count: 4, seed: "partial" },
          LOCAL.demoAccountId,
        ),
    });
    const jobId = await submit(snapshotId, ["ap-chongqing", "ap-guangzhou"]);
    // Copies stay pending (1 byte a second) until the deletion is done.
    cloud.cloud.setKnobs({ copyBytesPerSecond: 1 });
    const running = runReplication(jobId, handlers);
    let deleted = false;
    try {
      for (let attempt = 0; attempt < 250 && !deleted; attempt++) {
        const copy = (await store.get(jobId))?.copies.find(
          (c) => c.destinationRegion === "ap-chongqing",
        );
        if (copy?.destinationSnapshotId) {
          await cloud
            .ec2("ap-chongqing")
            .send(new DeleteSnapshotCommand({ SnapshotId: copy.destinationSnapshotId }));
          deleted = true;
        } else {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    } finally {
      cloud.cloud.setKnobs({ copyBytesPerSecond: 64 * 1024 ** 3 });
    }

    const run = await running;

    expect(deleted).toBe(true);
    expect(run.status).toBe("SUCCEEDED");
    const job = await store.get(jobId);
    expect(job?.status).toBe("PARTIAL");
    expect(job?.copies.map((c) => c.status)).toEqual(["FAILED", "COMPLETED"]);
    expect(job?.copies[0]?.error?.code).toBe("CopyFailed");
  });
});

describe("the StartCopy step", () => {
  const queuedJob = async () => {
    const { snapshotId } = await createCompletedSnapshot(cloud.ec2("ap-shanghai"), "ap-shanghai");
    const jobId = await submit(snapshotId, ["ap-mumbai"]);
    await handlers.validate?.({ jobId });
    return jobId;
  };
  const copiesOf = async (jobId: string) => {
    const { Snapshots } = await cloud.ec2("ap-mumbai").send(
      new DescribeSnapshotsCommand({
        Filters: [{ Name: "tag:snaprelay:job-id", Values: [jobId] }],
      }),
    );
    return Snapshots ?? [];
  };

  it("starts exactly one copy when invoked twice for the same job and destination", async () => {
    const jobId = await queuedJob();
    const startCopy = handlers.startCopy;
    if (!startCopy) throw new Error("no startCopy handler");

    const first = await startCopy({ jobId, destinationRegion: "ap-mumbai" });
    const second = await startCopy({ jobId, destinationRegion: "ap-mumbai" });

    expect(second).toEqual(first);
    expect(await copiesOf(jobId)).toHaveLength(1);
  });

  it("starts exactly one copy when two invocations race", async () => {
    const jobId = await queuedJob();
    const startCopy = handlers.startCopy;
    if (!startCopy) throw new Error("no startCopy handler");

    const results = await Promise.allSettled([
      startCopy({ jobId, destinationRegion: "ap-mumbai" }),
      startCopy({ jobId, destinationRegion: "ap-mumbai" }),
    ]);

    const refused = results.filter((r) => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(refused.map((r) => (r as PromiseRejectedResult).reason.name)).toEqual([
      "CopyStartInProgress",
    ]);
    expect(await copiesOf(jobId)).toHaveLength(1);
  });
});

describe("an execution that takes over a job whose execution ended", () => {
  it("finishes only the copies left, waits for the one under way, and starts no second copy", async () => {
    // Prepare: the first execution validated the job, finished ap-mumbai's copy and started
    // ap-beijing's, then ended
    const { snapshotId } = await createCompletedSnapshot(cloud.ec2("ap-shanghai"), "ap-shanghai");
    const jobId = await submit(snapshotId, ["ap-mumbai", "ap-beijing"]);
    const step = (key: string) => {
      const handler = handlers[key];
      if (!handler) throw new Error(`no ${key} handler`);
      return handler;
    };
    await step("validate")({ jobId });
    for (const destinationRegion of ["ap-mumbai", "ap-beijing"]) {
      await step("acquireSlot")({ jobId, destinationRegion });
      await step("startCopy")({ jobId, destinationRegion });
    }
    const mumbai = (await store.get(jobId))?.copies[0]?.destinationSnapshotId ?? "";
    for (;;) {
      const { Snapshots } = await cloud
        .ec2("ap-mumbai")
        .send(new DescribeSnapshotsCommand({ SnapshotIds: [mumbai] }));
      if (Snapshots?.[0]?.State === "completed") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await step("finalize")({ jobId, destinationRegion: "ap-mumbai" });
    const underWay = (await store.get(jobId))?.copies[1]?.destinationSnapshotId;

    // Act
    const run = await runReplication(jobId, handlers);

    // Assess
    expect(run.status).toBe("SUCCEEDED");
    expect((run.output as { copies: unknown[] }).copies).toEqual([
      { destinationRegion: "ap-beijing", status: "COMPLETED", destinationSnapshotId: underWay },
    ]);
    const job = await store.get(jobId);
    expect(job?.status).toBe("COMPLETED");
    expect(job?.copies.map((c) => c.destinationSnapshotId)).toEqual([mumbai, underWay]);
    for (const region of ["ap-mumbai", "ap-beijing"]) {
      const { Snapshots } = await cloud.ec2(region).send(
        new DescribeSnapshotsCommand({
          Filters: [{ Name: "tag:snaprelay:job-id", Values: [jobId] }],
        }),
      );
      expect(Snapshots ?? []).toHaveLength(1);
    }
  });
});

describe("a copy the cloud refuses for its copy limit", () => {
  const REGION = "ap-guangzhou-open";
  const MIB = 1024 ** 2;

  it("lowers the pool's limit, leaves its slot, waits in the queue and completes once a place frees", async () => {
    // Prepare: two copies of 2 MiB each, and 19 of the cloud's 20 places in the region taken by
    // another tool's copies of 32 MiB (at 1 MiB/s they outlast the test)
    const [ours1 = "", ours2 = ""] = await makeDistinctSnapshots(
      cloud.cloud.url,
      "ap-shanghai",
      2,
      {
        blocks: 4,
        blockSizeBytes: 512 * 1024,
        label: "refused-ours",
      },
    );
    const [big = ""] = await makeDistinctSnapshots(cloud.cloud.url, "ap-shanghai", 1, {
      blocks: 64,
      blockSizeBytes: 512 * 1024,
      label: "refused-foreign",
    });
    const ec2 = cloud.ec2(REGION);
    const foreign: string[] = [];
    cloud.cloud.setKnobs({ copyBytesPerSecond: MIB });
    try {
      for (let index = 0; index < 19; index++) {
        const { SnapshotId } = await ec2.send(
          new CopySnapshotCommand({
            SourceRegion: "ap-shanghai",
            SourceSnapshotId: big,
            Description: "not snaprelay's",
          }),
        );
        foreign.push(SnapshotId ?? "");
      }
      const jobIds = [await submit(ours1, [REGION]), await submit(ours2, [REGION])];

      // Act
      const runs = await Promise.all(jobIds.map((jobId) => runReplication(jobId, handlers)));

      // Assess: both completed; one was refused, went back to AcquireSlot, and started again
      expect(runs.map((run) => run.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
      for (const jobId of jobIds) expect((await store.get(jobId))?.status).toBe("COMPLETED");
      const backToQueue = (states: string[]) =>
        states.filter(
          (state, index) => state === "AcquireSlot" && states[index - 1] === "StartCopy",
        ).length;
      expect(runs.map((run) => backToQueue(run.states)).sort()).toEqual([0, 1]);
      expect(runs.flatMap((run) => run.states)).not.toContain("WaitForCloudCapacity");
      const pool = await new DynamoCopySlots(documentClient(), table.tableName).view({
        accountId: LOCAL.demoAccountId,
        region: REGION,
      });
      expect(pool.limit).toMatchObject({ places: 1, reason: "refused", foreignPending: 19 });
      expect(pool.holders).toEqual([]);
      expect(pool.queueLength).toBe(0);
    } finally {
      cloud.cloud.setKnobs({ copyBytesPerSecond: 64 * 1024 ** 3 });
      for (const snapshotId of foreign) {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })).catch(() => {});
      }
    }
  });
});
