// The seed's eight rules, each through the HTTP API of the real local stack (the one `npm start`
// runs), asserting the status, `error.code`, and that a refused request created and started
// nothing: no job in the table, no copy in the cloud.

import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoJobStore } from "../../functions/adapters/dynamodb/job-store.js";
import { isFinishedJob } from "../../functions/core/job.js";
import { jobsTableName, LOCAL } from "../../local/defaults.js";
import { dynamoClient } from "../../local/dynamodb.js";
import { createCompletedSnapshot } from "../../local/seed.js";
import { type RunningStack, startStack } from "../../local/stack.js";
import { apiCall } from "../support/api-call.js";
import { makeDistinctSnapshots } from "../support/cloud-snapshots.js";
import { freePort } from "../support/free-port.js";
import { type Signer, signedAs } from "../support/signed-as.js";

const STRANGER = "777788889999";
/** The account the tests' jobs and snapshots belong to. */
const DEMO = LOCAL.demoAccountId;
const QUOTA = 12;
const FULL_REGION = "ap-guangzhou-open";

let stack: RunningStack;
let dataDir: string;
let token: Signer;
let jobs: DynamoJobStore;
const clients: EC2Client[] = [];

const ec2 = (region: string) => {
  const client = new EC2Client({
    region,
    endpoint: stack.endpoints.cloud,
    // The demo account's own snapshots: the jobs are its.
    credentials: stack.cloud.credentialsFor(LOCAL.demoAccountId),
    maxAttempts: 10,
  });
  clients.push(client);
  return client;
};

/** A caller signing as `accountId`'s local user. */
const signer = (accountId: string) =>
  signedAs({ api: stack.apiUrl, cloudUrl: stack.endpoints.cloud }, accountId);

const call = (method: string, path: string, body?: unknown, as = token) =>
  apiCall(stack.apiUrl, method, path, { token: as, body });

const errorOf = (body: Record<string, unknown>) => body.error as { code: string; message: string };

/** Every job and every copy there is, to prove a refusal changed neither. */
const world = async () => ({
  jobs: (await jobs.listByAccount(LOCAL.demoAccountId, { limit: 100 })).jobs.length,
  strangerJobs: (await jobs.listByAccount(STRANGER, { limit: 100 })).jobs.length,
  copiesStarted: stack.cloud.stats().copies.started,
});

const waitForJob = async (jobId: string, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call("GET", `/replications/${jobId}`);
    if (isFinishedJob(String(body.status))) return body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is still ${String(body.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
};

/** Until `release` is called, copies stay pending (1 byte a second); after it they finish at once. */
const holdCopies = () => {
  stack.cloud.setKnobs({ copyBytesPerSecond: 1 });
  return () => stack.cloud.setKnobs({ copyBytesPerSecond: 64 * 1024 ** 3 });
};

/** Polls the source's view until `ready` says the copies it expects are all under way. */
const sourceViewWhen = async (
  snapshotId: string,
  ready: (destinations: Array<{ status: string; destinationSnapshotId: string | null }>) => boolean,
) => {
  for (let i = 0; i < 300; i++) {
    const view = (await call("GET", `/regions/ap-shanghai/snapshots/${snapshotId}`)).body;
    const { destinations } = view.replication as {
      destinations: Array<{ status: string; destinationSnapshotId: string | null }>;
    };
    if (ready(destinations)) return view;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the copies of ${snapshotId} never all started`);
};

let sourceSnapshotId: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-rules-"));
  stack = await startStack({
    ports: {
      http: await freePort(),
      lambda: await freePort(),
      dynamodb: await freePort(),
      stepFunctions: await freePort(),
      cloud: await freePort(),
      events: await freePort(),
      eventsPubSub: await freePort(),
      sqs: await freePort(),
    },
    dataDir,
    functionEnv: { SNAPSHOT_QUOTA_PER_REGION: String(QUOTA) },
    // Small blocks, so that 1% of a 32 MiB volume is a whole number of them.
    cloud: { copyBytesPerSecond: 64 * 1024 ** 3, blockSizeBytes: 64 * 1024 },
    // Waits and retry back-offs at a fifth of their length: the same schedule, sooner.
    waitScale: 0.2,
  });
  token = signer(DEMO);
  jobs = new DynamoJobStore(
    DynamoDBDocumentClient.from(dynamoClient(stack.endpoints.dynamodb)),
    jobsTableName,
  );
  ({ snapshotId: sourceSnapshotId } = await createCompletedSnapshot(
    ec2("ap-shanghai"),
    "ap-shanghai",
  ));
}, 180_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

const request = (fields: Record<string, unknown> = {}) => ({
  snapshotId: sourceSnapshotId,
  sourceRegion: "ap-shanghai",
  destinationRegions: ["ap-mumbai"],
  ...fields,
});

describe("rule 1: allowlisted accounts only", () => {
  it("refuses an account outside the allowlist with 403 NotAllowlisted, and creates nothing", async () => {
    const before = await world();

    const { status, body } = await call("POST", "/replications", request(), signer(STRANGER));

    expect(status).toBe(403);
    expect(errorOf(body).code).toBe("NotAllowlisted");
    expect(errorOf(body).message).toContain(
      `Account ${STRANGER} is not on the cross-region replication allowlist`,
    );
    expect(errorOf(body).message).toContain("only allowlisted accounts may replicate");
    expect(await world()).toEqual(before);
  });
});

describe("rule 2: supported regions only", () => {
  it.each([
    ["a source", { sourceRegion: "eu-west-1" }, "Source region eu-west-1"],
    [
      "a destination",
      { destinationRegions: ["ap-mumbai", "us-east-1"] },
      "Destination region us-east-1",
    ],
  ])(
    "refuses %s outside the list with 400 UnsupportedRegion, naming the list",
    async (_, fields, named) => {
      const before = await world();

      const { status, body } = await call("POST", "/replications", request(fields));

      expect(status).toBe(400);
      expect(errorOf(body).code).toBe("UnsupportedRegion");
      expect(errorOf(body).message).toContain(named);
      expect(errorOf(body).message).toContain(
        "supported regions: ap-beijing, ap-shanghai, ap-guangzhou, ap-chengdu, ap-chongqing, ap-mumbai, ap-guangzhou-open",
      );
      expect(await world()).toEqual(before);
    },
  );
});

describe("rule 3: a destination is required, is not the source, and does not repeat", () => {
  it.each([
    ["no destination", { destinationRegions: [] }, "at least one destination region is required"],
    [
      "a missing destination list",
      { destinationRegions: undefined },
      "at least one destination region is required",
    ],
    [
      "the source as destination",
      { destinationRegions: ["ap-shanghai"] },
      "ap-shanghai is the source region",
    ],
    [
      "a repeated destination",
      { destinationRegions: ["ap-mumbai", "ap-mumbai"] },
      "ap-mumbai is listed more than once",
    ],
  ])("refuses %s with 400 InvalidDestination", async (_, fields, said) => {
    const before = await world();

    const { status, body } = await call("POST", "/replications", request(fields));

    expect(status).toBe(400);
    expect(errorOf(body).code).toBe("InvalidDestination");
    expect(errorOf(body).message).toContain(said);
    expect(await world()).toEqual(before);
  });
});

describe("rule 4: a name of at most 60 characters, with a default", () => {
  it("refuses 61 characters with 400 NameTooLong, and creates nothing", async () => {
    const before = await world();

    const { status, body } = await call("POST", "/replications", request({ name: "n".repeat(61) }));

    expect(status).toBe(400);
    expect(errorOf(body).code).toBe("NameTooLong");
    expect(errorOf(body).message).toContain(
      "61 characters is too long; a snapshot name has at most 60 characters",
    );
    expect(await world()).toEqual(before);
  });

  it("accepts 60 characters and names the copy with them", async () => {
    const name = `orders-db-${"x".repeat(50)}`;

    const { status, body } = await call(
      "POST",
      "/replications",
      request({ name, destinationRegions: ["ap-chengdu"] }),
    );
    const job = await waitForJob(String(body.jobId));

    expect(status).toBe(202);
    expect(job.status).toBe("COMPLETED");
    expect(job.name).toBe(name);
    const [copy] = job.copies as Array<{ name: string; destinationSnapshotId: string }>;
    expect(copy?.name).toBe(name);
    const { Snapshots } = await ec2("ap-chengdu").send(
      new DescribeSnapshotsCommand({ SnapshotIds: [copy?.destinationSnapshotId ?? ""] }),
    );
    expect(Snapshots?.[0]?.Tags).toContainEqual({ Key: "Name", Value: name });
  });

  it("names a job without a name `Copied <snapshotId> from <sourceRegion>`", async () => {
    const { body } = await call(
      "POST",
      "/replications",
      request({ destinationRegions: ["ap-beijing"] }),
    );

    expect(body.name).toBe(`Copied ${sourceSnapshotId} from ap-shanghai`);
    await waitForJob(String(body.jobId));
  });
});

describe("rule 5: the destination's snapshot quota", () => {
  it("rejects a copy that would exceed the quota before any copy starts there", async () => {
    const region = ec2(FULL_REGION);
    for (let i = 0; i < QUOTA; i++)
      await createCompletedSnapshot(region, FULL_REGION, { sizeGiB: 1 });
    const before = stack.cloud.stats();

    const { status, body } = await call(
      "POST",
      "/replications",
      request({ destinationRegions: [FULL_REGION] }),
    );
    const job = await waitForJob(String(body.jobId));

    expect(status).toBe(202);
    expect(job.status).toBe("REJECTED");
    expect(errorOf(job).code).toBe("QuotaExceeded");
    expect(errorOf(job).message).toContain(`${FULL_REGION} holds ${QUOTA} snapshots`);
    expect(errorOf(job).message).toContain(`the quota is ${QUOTA} snapshots per region`);
    expect(stack.cloud.stats().copies.started).toBe(before.copies.started);
    expect(stack.cloud.stats().regions[FULL_REGION]?.snapshots).toBe(QUOTA);
  });
});

describe("rule 6: a copy is not associated with the source disk", () => {
  it("shows the copy with copiedFrom, the vol-ffffffff volume and no rollback", async () => {
    const { body } = await call(
      "POST",
      "/replications",
      request({ destinationRegions: ["ap-chongqing"] }),
    );
    const job = await waitForJob(String(body.jobId));
    const [copy] = job.copies as Array<{ destinationSnapshotId: string }>;

    const view = await call(
      "GET",
      `/regions/ap-chongqing/snapshots/${copy?.destinationSnapshotId}`,
    );
    const source = await call("GET", `/regions/ap-shanghai/snapshots/${sourceSnapshotId}`);

    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      status: "normal",
      volumeId: "vol-ffffffff",
      rollbackAvailable: false,
      copiedFrom: { region: "ap-shanghai", snapshotId: sourceSnapshotId, jobId: body.jobId },
    });
    expect(source.body).toMatchObject({ rollbackAvailable: true, copiedFrom: null });
  });

  it("answers 404 SnapshotNotFound for a snapshot the region does not hold", async () => {
    const { status, body } = await call("GET", `/regions/ap-mumbai/snapshots/${sourceSnapshotId}`);

    expect(status).toBe(404);
    expect(errorOf(body).code).toBe("SnapshotNotFound");
  });
});

describe("bounded input", () => {
  /** A raw POST of `body`, timed: the API's own answer, or API Gateway's for what it refuses. */
  const postRaw = async (body: string) => {
    const authorization = await token.authorization();
    const started = Date.now();
    const response = await fetch(`${stack.apiUrl}/replications`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body,
    });
    return { status: response.status, text: await response.text(), ms: Date.now() - started };
  };

  it("answers 200,000 destination regions with 413 in under a second while /health keeps answering", async () => {
    const before = await world();
    const regions = Array.from({ length: 200_000 }, (_, index) => `ap-region${index}`);
    const body = JSON.stringify(request({ destinationRegions: regions }));

    const [refused, health] = await Promise.all([
      postRaw(body),
      new Promise<Response>((resolve) => setTimeout(resolve, 20)).then(() =>
        fetch(`${stack.apiUrl}/health`, { signal: AbortSignal.timeout(5_000) }),
      ),
    ]);

    expect(body.length).toBeGreaterThan(2_000_000);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.text).error).toMatchObject({
      code: "PayloadTooLarge",
      message: expect.stringContaining("at most 65536 are read"),
    });
    expect(refused.ms).toBeLessThan(1_000);
    expect(health.status).toBe(200);
    expect(await world()).toEqual(before);
  });

  it("refuses a 20 MB body with 413, as API Gateway does past its 10 MB", async () => {
    const refused = await postRaw(`{"pad":"${"x".repeat(20 * 1024 * 1024)}"}`);

    expect(refused.status).toBe(413);
  });

  it("refuses 65 destinations in a small body with 400 naming the field, and creates nothing", async () => {
    const before = await world();
    const regions = Array.from({ length: 65 }, (_, index) => `ap-region${index}`);

    const { status, body } = await call(
      "POST",
      "/replications",
      request({ destinationRegions: regions }),
    );

    expect(status).toBe(400);
    expect(errorOf(body).message).toContain("destinationRegions: at most 64 regions");
    expect(await world()).toEqual(before);
  });

  it("refuses a name with a control character with 400, and creates nothing", async () => {
    const before = await world();

    const { status, body } = await call(
      "POST",
      "/replications",
      request({ name: "DR\u001b[2Jcopy" }),
    );

    expect(status).toBe(400);
    expect(errorOf(body).message).toContain("name: must hold printable characters only");
    expect(await world()).toEqual(before);
  });

  it("answers a malformed snapshot id in the path with 400 naming the parameter", async () => {
    const { status, body } = await call("GET", "/regions/ap-shanghai/snapshots/snap_NOT-valid");

    expect(status).toBe(400);
    expect(errorOf(body)).toMatchObject({
      code: "InvalidRequest",
      message: expect.stringContaining("path: snapshotId: must look like snap-0123abcd"),
    });
  });
});

describe("rules 7 and 8: the source while it is copied", () => {
  it("cannot be deleted during the copy, shows where it is copied to, and can be deleted after", async () => {
    // Blocks of its own, which no region holds yet: neither copy can finish while copies are held.
    const [snapshotId = ""] = await makeDistinctSnapshots(stack.endpoints.cloud, "ap-shanghai", 1, {
      blocks: 16,
      blockSizeBytes: 64 * 1024,
      label: "held-source",
    });
    const release = holdCopies();
    try {
      const { body } = await call(
        "POST",
        "/replications",
        request({ snapshotId, destinationRegions: ["ap-mumbai", "ap-beijing"] }),
      );
      const jobId = String(body.jobId);
      const during = await sourceViewWhen(
        snapshotId,
        (destinations) =>
          destinations.length === 2 && destinations.every((d) => d.destinationSnapshotId),
      );
      const refusal = await ec2("ap-shanghai")
        .send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))
        .then(
          () => undefined,
          (error: Error) => error,
        );
      const copying = (
        during.replication as {
          destinations: Array<{ destinationRegion: string; destinationSnapshotId: string }>;
        }
      ).destinations;
      const copyView = await call(
        "GET",
        `/regions/ap-mumbai/snapshots/${copying.find((d) => d.destinationRegion === "ap-mumbai")?.destinationSnapshotId}`,
      );

      release();
      const job = await waitForJob(jobId);

      expect(during.replication).toMatchObject({ copying: true, jobs: [jobId] });
      expect(copying.map((d) => d.destinationRegion).sort()).toEqual(["ap-beijing", "ap-mumbai"]);
      expect(copyView.body.status).toBe("copying");
      expect(refusal?.name).toBe("InvalidSnapshot.InUse");
      expect(job.status).toBe("COMPLETED");
      await ec2("ap-shanghai").send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      const gone = await call("GET", `/regions/ap-shanghai/snapshots/${snapshotId}`);
      expect(gone.status).toBe(404);
    } finally {
      release();
    }
  });
});

describe("a cloud that throttles", () => {
  it("completes 20 jobs with 30% of its calls throttled, and makes no duplicate copy", async () => {
    const regions = ["ap-mumbai", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-guangzhou"];
    const before = stack.cloud.stats();
    stack.cloud.setKnobs({ throttleRate: 0.3 });
    try {
      const started = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const { status, body } = await call(
            "POST",
            "/replications",
            request({ destinationRegions: [regions[i % regions.length]] }),
          );
          expect(status).toBe(202);
          return String(body.jobId);
        }),
      );

      const finished = await Promise.all(started.map((jobId) => waitForJob(jobId, 240_000)));

      const unfinished = finished.filter((job) => job.status !== "COMPLETED");
      expect(
        unfinished.map((job) => ({ status: job.status, error: job.error, copies: job.copies })),
        "jobs that did not complete",
      ).toEqual([]);
      expect(stack.cloud.stats().throttledRequests).toBeGreaterThan(before.throttledRequests);
      stack.cloud.setKnobs({ throttleRate: 0 });
      for (const job of finished) {
        const [copy] = job.copies as Array<{ destinationRegion: string }>;
        const { Snapshots } = await ec2(copy?.destinationRegion ?? "").send(
          new DescribeSnapshotsCommand({
            Filters: [{ Name: "tag:snaprelay:job-id", Values: [String(job.jobId)] }],
          }),
        );
        expect(Snapshots, `copies made for ${String(job.jobId)}`).toHaveLength(1);
      }
    } finally {
      stack.cloud.setKnobs({ throttleRate: 0 });
    }
  }, 300_000);
});

describe("copies of real data", () => {
  const MiB = 1024 ** 2;
  const VOLUME_BYTES = 32 * MiB;
  let volumeId: string;
  let firstSnapshotId: string;

  const snapshotOf = async (volume: string) => {
    const { SnapshotId } = await ec2("ap-shanghai").send(
      new CreateSnapshotCommand({ VolumeId: volume, Description: "orders-db" }),
    );
    const snapshotId = SnapshotId ?? "";
    for (let i = 0; i < 100; i++) {
      const { Snapshots } = await ec2("ap-shanghai").send(
        new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }),
      );
      if (Snapshots?.[0]?.State === "completed") return snapshotId;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`snapshot ${snapshotId} did not complete`);
  };

  it("copies to three regions block for block, and the source shows all three while they copy", async () => {
    ({ volumeId } = await stack.cloud.createVolume({
      region: "ap-shanghai",
      sizeBytes: VOLUME_BYTES,
      accountId: DEMO,
    }));
    const blocks =
      VOLUME_BYTES /
      stack.cloud.snapshotManifest("ap-shanghai", await snapshotOf(volumeId), DEMO).blockSizeBytes;
    await stack.cloud.fillBlocks(
      "ap-shanghai",
      volumeId,
      {
        firstBlock: 0,
        count: blocks,
        seed: "orders-v1",
      },
      DEMO,
    );
    firstSnapshotId = await snapshotOf(volumeId);
    const destinations = ["ap-mumbai", "ap-beijing", "ap-chengdu"];
    const release = holdCopies();
    let sourceView: Record<string, unknown>;
    let job: Record<string, unknown>;
    try {
      const { body } = await call(
        "POST",
        "/replications",
        request({ snapshotId: firstSnapshotId, destinationRegions: destinations }),
      );
      sourceView = await sourceViewWhen(
        firstSnapshotId,
        (copying) => copying.length === 3 && copying.every((d) => d.status === "COPYING"),
      );
      release();
      job = await waitForJob(String(body.jobId));
    } finally {
      release();
    }

    const sourceHashes = stack.cloud.blockHashes("ap-shanghai", firstSnapshotId, DEMO);
    const copies = job.copies as Array<{
      destinationRegion: string;
      destinationSnapshotId: string;
      status: string;
    }>;
    expect(
      (
        sourceView.replication as { destinations: Array<{ destinationRegion: string }> }
      ).destinations
        .map((d) => d.destinationRegion)
        .sort(),
    ).toEqual([...destinations].sort());
    expect(job.status).toBe("COMPLETED");
    for (const copy of copies) {
      const hashes = stack.cloud.blockHashes(
        copy.destinationRegion,
        copy.destinationSnapshotId,
        DEMO,
      );
      expect(hashes, `blocks of the copy in ${copy.destinationRegion}`).toEqual(sourceHashes);
      for (const hash of new Set(hashes)) {
        const stored = await readFile(stack.cloud.blockPath(copy.destinationRegion, hash, DEMO));
        expect(createHash("sha256").update(stored).digest("hex")).toBe(hash);
      }
    }
  }, 120_000);

  it("moves at most 2% of the volume for a second snapshot that changed 1% of its blocks", async () => {
    const manifest = stack.cloud.snapshotManifest("ap-shanghai", firstSnapshotId, DEMO);
    const changed = Math.max(1, Math.floor(manifest.blockCount / 100));
    await stack.cloud.fillBlocks(
      "ap-shanghai",
      volumeId,
      {
        firstBlock: 7,
        count: changed,
        seed: "orders-v2",
      },
      DEMO,
    );
    const secondSnapshotId = await snapshotOf(volumeId);

    const { body } = await call(
      "POST",
      "/replications",
      request({ snapshotId: secondSnapshotId, destinationRegions: ["ap-mumbai"] }),
    );
    const job = await waitForJob(String(body.jobId));
    const [copy] = job.copies as Array<{ destinationSnapshotId: string }>;
    const report = stack.cloud.copyReport("ap-mumbai", copy?.destinationSnapshotId ?? "", DEMO);

    expect(job.status).toBe("COMPLETED");
    expect(changed / manifest.blockCount).toBeLessThanOrEqual(0.01);
    expect(report.bytesTransferred).toBeGreaterThan(0);
    expect(report.bytesTransferred).toBeLessThanOrEqual(0.02 * VOLUME_BYTES);
    // Only the changed blocks crossed: 5 of 512 here, 320 KiB of 32 MiB.
    expect(report.blocksTransferred).toBe(changed);
    expect(stack.cloud.blockHashes("ap-mumbai", copy?.destinationSnapshotId ?? "", DEMO)).toEqual(
      stack.cloud.blockHashes("ap-shanghai", secondSnapshotId, DEMO),
    );
  }, 120_000);
});
