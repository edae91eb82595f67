// Second copies against the local cloud, through the EC2 adapter and a tenant's role, with the
// job on DynamoDB Local: a CopySnapshot whose answer is lost still makes its copy, the retried
// StartCopy does not see it yet and makes another, and finalizing the copy deletes the one never
// recorded. The local cloud injects no lost answer: the EC2 clients' own middleware stands in for
// the network (the call reaches the cloud, its answer never reaches the caller).
import { randomUUID } from "node:crypto";
import {
  type CopySnapshotCommandOutput,
  DescribeSnapshotsCommand,
  type DescribeSnapshotsCommandOutput,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoCopySlots } from "../../functions/adapters/dynamodb/copy-slots.js";
import { DynamoCopyWaits } from "../../functions/adapters/dynamodb/copy-waits.js";
import { DynamoJobStore } from "../../functions/adapters/dynamodb/job-store.js";
import { DynamoPolicyStore } from "../../functions/adapters/dynamodb/policy-store.js";
import { AccountAccess } from "../../functions/adapters/ec2/account-access.js";
import { Ec2SnapshotProvider } from "../../functions/adapters/ec2/snapshot-provider.js";
import { TAG_JOB_ID } from "../../functions/core/copy-tags.js";
import { newJob } from "../../functions/core/create-replication.js";
import { finalizeCopy } from "../../functions/core/finalize.js";
import { systemClock } from "../../functions/core/ports.js";
import { defaultSnapshotName } from "../../functions/core/rules.js";
import { startCopy } from "../../functions/core/start-copy.js";
import type { StepDeps } from "../../functions/core/step-deps.js";
import { createCompletedSnapshot } from "../../local/seed.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { waitUntil } from "../support/local-cloud-harness.js";
import { type CloudUnderTest, documentClient, newTable, startCloud } from "../support/services.js";
import { snapshotProviderContract } from "../support/snapshot-provider-contract.js";
import { stepFakes } from "../unit/fakes.js";

const SERVICE = "000000000000";
const TENANT = "444455556666";
const OTHER_TENANT = "777788889999";
const ROLE = "snaprelay-access";
const EXTERNAL_ID = "snaprelay-ext-second-copies";
const SOURCE = "ap-shanghai";
const MUMBAI = "ap-mumbai";
const GIB = 1024 ** 3;

/**
 * What the network may do to snaprelay's EC2 calls that the local cloud does not: lose
 * CopySnapshot's answer once the copy is made, and then show a listing that lags behind it.
 */
class LostAnswer {
  private armed = false;
  /** Copies made whose answer was lost, hidden from the next listing. */
  readonly lost: string[] = [];
  private lagging = false;

  /** CopySnapshot's next answer is lost, and the listing after it does not show its copy. */
  arm(): void {
    this.armed = true;
  }

  readonly instrument = <Client extends object>(client: Client): Client => {
    if (!(client instanceof EC2Client)) return client;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === "CopySnapshotCommand" && this.armed) {
          this.armed = false;
          this.lagging = true;
          this.lost.push((result.output as CopySnapshotCommandOutput).SnapshotId ?? "");
          throw Object.assign(new Error("the connection timed out before EC2 answered"), {
            name: "TimeoutError",
          });
        }
        if (context.commandName === "DescribeSnapshotsCommand" && this.lagging) {
          this.lagging = false;
          const output = result.output as DescribeSnapshotsCommandOutput;
          const shown = (output.Snapshots ?? []).filter(
            (snapshot) => !this.lost.includes(snapshot.SnapshotId ?? ""),
          );
          return { ...result, output: { ...output, Snapshots: shown } };
        }
        return result;
      },
      { step: "initialize", name: "lostAnswer" },
    );
    return client;
  };
}

let cloud: CloudUnderTest;
let table: Awaited<ReturnType<typeof newTable>>;
let provider: Ec2SnapshotProvider;
let deps: StepDeps;
const network = new LostAnswer();
const savedEnv = { ...process.env };

beforeAll(async () => {
  cloud = await startCloud();
  table = await newTable();
  for (const accountId of [TENANT, OTHER_TENANT]) {
    await cloud.cloud.createRole({ accountId, roleName: ROLE, externalId: EXTERNAL_ID });
  }
  // The functions' own identity and endpoints, as the local stack gives them.
  const keys = cloud.cloud.credentialsFor(SERVICE);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_STS: cloud.cloud.url,
    AWS_ENDPOINT_URL_EC2: cloud.cloud.url,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_SESSION_TOKEN: "",
    AWS_REGION: "us-east-1",
  });
  provider = new Ec2SnapshotProvider(
    new AccountAccess({
      serviceAccountId: SERVICE,
      partition: "aws",
      roleName: ROLE,
      externalId: EXTERNAL_ID,
      instrument: network.instrument,
    }),
  );
  const documents = documentClient();
  deps = {
    // The workflow, metrics and allowlist are the unit suite's: nothing here reaches them.
    ...stepFakes().deps,
    jobs: new DynamoJobStore(documents, table.tableName),
    snapshots: provider,
    slots: new DynamoCopySlots(documents, table.tableName),
    copyWaits: new DynamoCopyWaits(documents, table.tableName),
    policies: new DynamoPolicyStore(documents, table.tableName),
    clock: systemClock,
  };
});

afterAll(async () => {
  process.env = savedEnv;
  await cloud?.close();
  await table?.drop();
});

/** The ids of the tenant's snapshots in `region` tagged with the job, as the tenant lists them. */
const taggedWith = async (jobId: string, region = MUMBAI): Promise<string[]> => {
  const { Snapshots } = await cloud.ec2(region, TENANT).send(
    new DescribeSnapshotsCommand({
      OwnerIds: ["self"],
      Filters: [{ Name: `tag:${TAG_JOB_ID}`, Values: [jobId] }],
    }),
  );
  return (Snapshots ?? []).map((snapshot) => snapshot.SnapshotId ?? "").sort();
};

/** A job of the tenant's copying a new snapshot to Mumbai, its copy QUEUED for StartCopy. */
const queuedJob = async (): Promise<string> => {
  const { snapshotId } = await createCompletedSnapshot(cloud.ec2(SOURCE, TENANT), SOURCE, {
    sizeGiB: 1,
  });
  const job = newJob(
    TENANT,
    {
      snapshotId,
      sourceRegion: SOURCE,
      destinationRegions: [MUMBAI],
      name: defaultSnapshotName(snapshotId, SOURCE),
      tags: { team: "dr" },
    },
    `job-${randomUUID()}`,
    new Date(),
  );
  await deps.jobs.create(job);
  const now = new Date().toISOString();
  await deps.jobs.apply(job.jobId, { status: "VALIDATING" }, now);
  await deps.jobs.apply(
    job.jobId,
    { status: "RUNNING", copies: { [MUMBAI]: { status: "QUEUED" } } },
    now,
  );
  return job.jobId;
};

describe("a copy finalized on the local cloud", () => {
  it("a second copy made by a retried CopySnapshot is found and deleted", async () => {
    // Prepare: StartCopy's CopySnapshot makes its copy but the answer is lost; the retried step's
    // search does not show that copy yet, so it makes a second, which it records
    cloud.cloud.setKnobs({ copyBytesPerSecond: 64 * GIB });
    const jobId = await queuedJob();
    network.arm();
    await expect(startCopy(jobId, MUMBAI, deps)).rejects.toMatchObject({ name: "TimeoutError" });
    const lost = network.lost.at(-1) ?? "";
    const { destinationSnapshotId: recorded } = await startCopy(jobId, MUMBAI, deps);
    await waitUntil(async () =>
      (await provider.describe(TENANT, MUMBAI, recorded))?.state === "completed" ? true : undefined,
    );
    const before = await taggedWith(jobId);

    // Act
    const finalized = await finalizeCopy(jobId, MUMBAI, deps);

    // Assess
    expect(lost).toMatch(/^snap-/);
    expect(before).toEqual([lost, recorded].sort());
    expect(finalized).toMatchObject({
      status: "COMPLETED",
      destinationSnapshotId: recorded,
      secondCopies: { deleted: [lost], problems: [] },
    });
    expect(await taggedWith(jobId)).toEqual([recorded]);
    expect((await deps.jobs.get(jobId))?.copies[0]).toMatchObject({
      status: "COMPLETED",
      destinationSnapshotId: recorded,
    });
  });

  it("a retried cleanup deletes nothing more, and never the recorded copy", async () => {
    // Prepare
    cloud.cloud.setKnobs({ copyBytesPerSecond: 64 * GIB });
    const jobId = await queuedJob();
    network.arm();
    await expect(startCopy(jobId, MUMBAI, deps)).rejects.toMatchObject({ name: "TimeoutError" });
    const { destinationSnapshotId: recorded } = await startCopy(jobId, MUMBAI, deps);
    await finalizeCopy(jobId, MUMBAI, deps);

    // Act
    const again = await finalizeCopy(jobId, MUMBAI, deps);

    // Assess
    expect(again.secondCopies).toBeUndefined();
    expect(await taggedWith(jobId)).toEqual([recorded]);
  });
});

/** One source snapshot per account, with blocks of its own so that its copies take time. */
const sources = new Map<string, string>();

snapshotProviderContract("the EC2 adapter on the local cloud", async () => {
  // A copy of two blocks at a byte a second stays pending while a case runs.
  cloud.cloud.setKnobs({ copyBytesPerSecond: 1 });
  return {
    provider,
    accountId: TENANT,
    otherAccountId: OTHER_TENANT,
    destinationRegion: "ap-beijing",
    async source(accountId) {
      let snapshotId = sources.get(accountId);
      if (!snapshotId) {
        [snapshotId = ""] = await makeDistinctSnapshots(cloud.cloud.url, SOURCE, 1, {
          blocks: 2,
          blockSizeBytes: 512 * 1024,
          label: `contract-${accountId}`,
          accountId,
        });
        sources.set(accountId, snapshotId);
      }
      return { region: SOURCE, snapshotId };
    },
  };
});
