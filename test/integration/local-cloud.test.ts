import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Filter,
  paginateDescribeSnapshots,
  type Tag,
} from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { startLocalCloud } from "../../local/cloud/index.js";
import { snapshotById, useLocalCloud, waitUntil } from "../support/local-cloud-harness.js";

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
// A copy moves only written blocks: the test snapshots' volumes hold 8 blocks of 512 KiB (the
// cloud's default block size), 4 MiB of data in 8 GiB.
const WRITTEN_BLOCKS = 8;
const WRITTEN_BYTES = 4 * MIB;
// A copy of them finishes at once: for tests that only need copies to end.
const INSTANT = 1024 * GIB;
// A copy of them takes about 1 s: long enough to see it pending, short enough to wait for.
const VISIBLE = WRITTEN_BYTES;
// A copy that stays pending for the whole test.
const STALLED = 1;

const SHANGHAI = "ap-shanghai";
const MUMBAI = "ap-mumbai";
const GUANGZHOU_OPEN = "ap-guangzhou-open";

const harness = useLocalCloud({});
const startCloud = harness.start;
const ec2 = harness.ec2;
const waitFor = waitUntil;

function snapshotInState(client: EC2Client, snapshotId: string, state: string) {
  return waitFor(async () => {
    const snapshot = await snapshotById(client, snapshotId);
    return snapshot.State === state ? snapshot : undefined;
  });
}

async function volumeIn(client: EC2Client, region: string, sizeGiB = 8): Promise<string> {
  const volume = await client.send(
    new CreateVolumeCommand({ AvailabilityZone: `${region}-1a`, Size: sizeGiB }),
  );
  if (!volume.VolumeId) throw new Error("CreateVolume returned no VolumeId");
  return volume.VolumeId;
}

let seeds = 0;

/**
 * A completed snapshot of a new 8 GiB volume of the default account with data of its own in 8 of
 * its blocks, ready to be copied: its copy has those 8 blocks to send.
 */
async function completedSnapshotIn(client: EC2Client, region: string, tags: Tag[] = []) {
  const VolumeId = await volumeIn(client, region);
  await harness.running().fillBlocks(region, VolumeId, {
    firstBlock: 1000,
    count: WRITTEN_BLOCKS,
    seed: `local-cloud-${++seeds}`,
  });
  const { SnapshotId } = await client.send(
    new CreateSnapshotCommand({
      VolumeId,
      Description: "orders-db nightly",
      TagSpecifications: tags.length ? [{ ResourceType: "snapshot", Tags: tags }] : undefined,
    }),
  );
  if (!SnapshotId) throw new Error("CreateSnapshot returned no SnapshotId");
  await snapshotInState(client, SnapshotId, "completed");
  return SnapshotId;
}

async function copyInto(destination: EC2Client, sourceSnapshotId: string, tags: Tag[] = []) {
  const { SnapshotId } = await destination.send(
    new CopySnapshotCommand({
      SourceRegion: SHANGHAI,
      SourceSnapshotId: sourceSnapshotId,
      Description: `Copied ${sourceSnapshotId} from ${SHANGHAI}`,
      TagSpecifications: tags.length ? [{ ResourceType: "snapshot", Tags: tags }] : undefined,
    }),
  );
  if (!SnapshotId) throw new Error("CopySnapshot returned no SnapshotId");
  return SnapshotId;
}

async function snapshotIdsMatching(client: EC2Client, Filters: Filter[]): Promise<string[]> {
  const { Snapshots = [] } = await client.send(new DescribeSnapshotsCommand({ Filters }));
  return Snapshots.map((snapshot) => snapshot.SnapshotId ?? "").sort();
}

// Generous: the machine is shared, and a slow run should fail on an assertion, not a timeout.
describe("local cloud", { timeout: 20_000 }, () => {
  it("keeps each region's volumes and snapshots invisible to the other regions", async () => {
    // Prepare
    await startCloud();
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const snapshotId = await completedSnapshotIn(shanghai, SHANGHAI);

    // Act
    const seenInMumbai = await mumbai.send(new DescribeSnapshotsCommand({}));
    const volumesInMumbai = await mumbai.send(new DescribeVolumesCommand({}));
    const lookupInMumbai = mumbai.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));

    // Assess
    expect(seenInMumbai.Snapshots).toEqual([]);
    expect(volumesInMumbai.Volumes).toEqual([]);
    await expect(lookupInMumbai).rejects.toMatchObject({ name: "InvalidSnapshot.NotFound" });
    expect((await shanghai.send(new DescribeSnapshotsCommand({}))).Snapshots).toHaveLength(1);
  });

  it("creates a volume, snapshots it, and shows the snapshot pending, then completed", async () => {
    // Prepare
    await startCloud({ accountId: "123456789012" });
    const shanghai = ec2(SHANGHAI);
    const volume = await shanghai.send(
      new CreateVolumeCommand({
        AvailabilityZone: `${SHANGHAI}-1a`,
        Size: 8,
        VolumeType: "gp3",
        TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "app", Value: "orders" }] }],
      }),
    );

    // Act
    const created = await shanghai.send(
      new CreateSnapshotCommand({ VolumeId: volume.VolumeId, Description: "orders-db nightly" }),
    );
    const completed = await snapshotInState(shanghai, created.SnapshotId ?? "", "completed");

    // Assess
    expect(volume).toMatchObject({ State: "available", Size: 8, VolumeType: "gp3" });
    expect(volume.VolumeId).toMatch(/^vol-[0-9a-f]{17}$/);
    expect(volume.Tags).toEqual([{ Key: "app", Value: "orders" }]);
    expect(created).toMatchObject({ State: "pending", Progress: "0%", VolumeId: volume.VolumeId });
    expect(created.SnapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
    expect(completed).toMatchObject({
      SnapshotId: created.SnapshotId,
      VolumeId: volume.VolumeId,
      Progress: "100%",
      OwnerId: "123456789012",
      VolumeSize: 8,
      Description: "orders-db nightly",
      Encrypted: false,
    });
    expect(completed.StartTime).toBeInstanceOf(Date);
    expect(completed.CompletionTime?.getTime()).toBeGreaterThanOrEqual(
      completed.StartTime?.getTime() ?? Number.POSITIVE_INFINITY,
    );
  });

  it("shows a copy in the destination at once as pending with vol-ffffffff and its tags, then completed at 100%", async () => {
    // Prepare
    await startCloud({ copyBytesPerSecond: VISIBLE });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotIn(shanghai, SHANGHAI);
    const tags = [
      { Key: "snaprelay:job", Value: "job-1" },
      { Key: "team", Value: "dr" },
    ];

    // Act
    const copyId = await copyInto(mumbai, sourceId, tags);
    const justStarted = await snapshotById(mumbai, copyId);
    const done = await snapshotInState(mumbai, copyId, "completed");

    // Assess
    expect(copyId).toMatch(/^snap-[0-9a-f]{17}$/);
    expect(justStarted).toMatchObject({
      State: "pending",
      VolumeId: "vol-ffffffff",
      VolumeSize: 8,
    });
    expect(Number.parseInt(justStarted.Progress ?? "", 10)).toBeLessThan(100);
    expect(justStarted.Tags).toEqual(tags);
    expect(done).toMatchObject({ Progress: "100%", VolumeId: "vol-ffffffff", Tags: tags });
    expect(done.Description).toBe(`Copied ${sourceId} from ${SHANGHAI}`);
    expect(done.CompletionTime).toBeInstanceOf(Date);
    expect(await snapshotIdsMatching(shanghai, [])).toEqual([sourceId]);
  });

  it("answers an unknown snapshot with InvalidSnapshot.NotFound and a message naming it", async () => {
    // Prepare
    await startCloud();
    const mumbai = ec2(MUMBAI);
    const unknown = "snap-0123456789abcdef0";

    // Act
    const describing = mumbai.send(new DescribeSnapshotsCommand({ SnapshotIds: [unknown] }));
    const deleting = mumbai.send(new DeleteSnapshotCommand({ SnapshotId: unknown }));
    const copying = mumbai.send(
      new CopySnapshotCommand({ SourceRegion: SHANGHAI, SourceSnapshotId: unknown }),
    );

    // Assess
    const notFound = {
      name: "InvalidSnapshot.NotFound",
      message: `The snapshot '${unknown}' does not exist.`,
    };
    await expect(describing).rejects.toMatchObject(notFound);
    await expect(deleting).rejects.toMatchObject(notFound);
    await expect(copying).rejects.toMatchObject({
      name: "InvalidSnapshot.NotFound",
      message: expect.stringContaining(`'${unknown}'`),
    });
  });

  it("refuses to delete a snapshot while a copy from it is pending, and deletes it once the copy has ended", async () => {
    // Prepare
    const running = await startCloud({ copyBytesPerSecond: STALLED });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotIn(shanghai, SHANGHAI);
    const copyId = await copyInto(mumbai, sourceId);

    // Act
    const duringCopy = shanghai.send(new DeleteSnapshotCommand({ SnapshotId: sourceId }));
    await expect(duringCopy).rejects.toMatchObject({
      name: "InvalidSnapshot.InUse",
      message: expect.stringContaining(`${copyId} in ${MUMBAI}`),
    });
    running.setKnobs({ copyBytesPerSecond: INSTANT });
    await snapshotInState(mumbai, copyId, "completed");
    await shanghai.send(new DeleteSnapshotCommand({ SnapshotId: sourceId }));

    // Assess
    await expect(snapshotById(shanghai, sourceId)).rejects.toMatchObject({
      name: "InvalidSnapshot.NotFound",
    });
    expect((await snapshotById(mumbai, copyId)).State).toBe("completed");
  });

  it("cancels a pending copy when the copy itself is deleted, which frees its source", async () => {
    // Prepare
    const running = await startCloud({ copyBytesPerSecond: STALLED });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotIn(shanghai, SHANGHAI);
    const copyId = await copyInto(mumbai, sourceId);

    // Act
    await mumbai.send(new DeleteSnapshotCommand({ SnapshotId: copyId }));
    await shanghai.send(new DeleteSnapshotCommand({ SnapshotId: sourceId }));

    // Assess
    expect(await snapshotIdsMatching(mumbai, [])).toEqual([]);
    expect(running.stats().regions[MUMBAI]?.pendingCopies).toBe(0);
    expect(running.stats().copies).toMatchObject({ started: 1, cancelled: 1, completed: 0 });
  });

  it("refuses the 21st concurrent pending copy into one region with ResourceLimitExceeded", async () => {
    // Prepare
    const running = await startCloud({ copyBytesPerSecond: STALLED });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotIn(shanghai, SHANGHAI);
    for (let copy = 0; copy < 20; copy++) await copyInto(mumbai, sourceId);

    // Act
    const twentyFirst = copyInto(mumbai, sourceId);

    // Assess
    await expect(twentyFirst).rejects.toMatchObject({
      name: "ResourceLimitExceeded",
      message: expect.stringContaining("at most 20 copies"),
    });
    expect(running.stats().regions[MUMBAI]?.pendingCopies).toBe(20);
    // The limit is per destination region: another region still takes copies.
    await expect(copyInto(ec2(GUANGZHOU_OPEN), sourceId)).resolves.toMatch(/^snap-/);
  });

  it("counts every CopySnapshot it refused, by account, destination region and code, and every copy deleted", async () => {
    // Prepare: 20 copies fill Mumbai; a throttled call and a copy of a missing snapshot follow
    const running = await startCloud({ copyBytesPerSecond: STALLED });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI, { maxAttempts: 1 });
    const sourceId = await completedSnapshotIn(shanghai, SHANGHAI);
    const copies: string[] = [];
    for (let copy = 0; copy < 20; copy++) copies.push(await copyInto(mumbai, sourceId));

    // Act
    await expect(copyInto(mumbai, sourceId)).rejects.toMatchObject({
      name: "ResourceLimitExceeded",
    });
    await expect(copyInto(mumbai, sourceId)).rejects.toMatchObject({
      name: "ResourceLimitExceeded",
    });
    running.setKnobs({ throttleRate: 1 });
    await expect(copyInto(mumbai, sourceId)).rejects.toMatchObject({
      name: "RequestLimitExceeded",
    });
    running.setKnobs({ throttleRate: 0 });
    await expect(copyInto(ec2(GUANGZHOU_OPEN), "snap-00000000")).rejects.toMatchObject({
      name: "InvalidSnapshot.NotFound",
    });
    await mumbai.send(new DeleteSnapshotCommand({ SnapshotId: copies[0] }));

    // Assess: the same through the admin endpoint, for the account and summed over the cloud
    const expected = {
      [MUMBAI]: { ResourceLimitExceeded: 2, RequestLimitExceeded: 1 },
      [GUANGZHOU_OPEN]: { "InvalidSnapshot.NotFound": 1 },
    };
    const account = running.defaultAccountId;
    const read = async (query: string) =>
      (await (await fetch(`${running.url}/_admin/stats${query}`)).json()) as Record<
        string,
        unknown
      >;
    expect((await read(`?account=${account}`)).copyRefusals).toEqual(expected);
    expect((await read("")).copyRefusals).toEqual(expected);
    expect(running.stats().deletedCopies).toEqual({
      [MUMBAI]: { pending: 1, completed: 0, error: 0 },
    });
    expect(running.stats().regions[MUMBAI]?.mostPendingCopies).toBe(20);
  });

  it("refuses to copy a snapshot that is not completed with IncorrectState", async () => {
    // Prepare
    await startCloud({ copyBytesPerSecond: STALLED });
    const shanghai = ec2(SHANGHAI);
    const sourceId = await completedSnapshotIn(shanghai, SHANGHAI);
    // Into another region: within its own region a copy has nothing to send and is done at once.
    const pendingCopyId = await copyInto(ec2(MUMBAI), sourceId);

    // Act
    const copyingThePendingCopy = ec2(GUANGZHOU_OPEN).send(
      new CopySnapshotCommand({ SourceRegion: MUMBAI, SourceSnapshotId: pendingCopyId }),
    );

    // Assess
    await expect(copyingThePendingCopy).rejects.toMatchObject({
      name: "IncorrectState",
      message: expect.stringContaining("pending"),
    });
  });

  it("finds a copy by its tags with tag filters and EC2 wildcards", async () => {
    // Prepare
    await startCloud({ copyBytesPerSecond: STALLED });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotIn(shanghai, SHANGHAI);
    const wanted = await copyInto(mumbai, sourceId, [{ Key: "snaprelay:job", Value: "job-123" }]);
    const other = await copyInto(mumbai, sourceId, [{ Key: "snaprelay:job", Value: "job-456" }]);
    const untagged = await copyInto(mumbai, sourceId);
    await mumbai.send(
      new CreateTagsCommand({ Resources: [untagged], Tags: [{ Key: "team", Value: "dr" }] }),
    );

    // Act
    const byJob = await snapshotIdsMatching(mumbai, [
      { Name: "tag:snaprelay:job", Values: ["job-123"] },
    ]);
    const byWildcard = await snapshotIdsMatching(mumbai, [
      { Name: "tag:snaprelay:job", Values: ["job-?2*"] },
      { Name: "status", Values: ["pending", "completed"] },
    ]);
    const byKey = await snapshotIdsMatching(mumbai, [{ Name: "tag-key", Values: ["snaprelay:*"] }]);
    const byAddedTag = await snapshotIdsMatching(mumbai, [{ Name: "tag:team", Values: ["dr"] }]);
    const completedOnly = await snapshotIdsMatching(mumbai, [
      { Name: "tag:snaprelay:job", Values: ["job-123"] },
      { Name: "status", Values: ["completed"] },
    ]);

    // Assess
    expect(byJob).toEqual([wanted]);
    expect(byWildcard).toEqual([wanted]);
    expect(byKey).toEqual([wanted, other].sort());
    expect(byAddedTag).toEqual([untagged]);
    expect(completedOnly).toEqual([]);
  });

  it("returns every snapshot exactly once when paging with MaxResults", async () => {
    // Prepare
    await startCloud();
    const shanghai = ec2(SHANGHAI);
    const VolumeId = await volumeIn(shanghai, SHANGHAI);
    const created: string[] = [];
    for (let n = 0; n < 23; n++) {
      const { SnapshotId } = await shanghai.send(new CreateSnapshotCommand({ VolumeId }));
      created.push(SnapshotId ?? "");
    }

    // Act
    const pages: string[][] = [];
    for await (const page of paginateDescribeSnapshots(
      { client: shanghai, pageSize: 5 },
      { OwnerIds: ["self"] },
    )) {
      pages.push((page.Snapshots ?? []).map((snapshot) => snapshot.SnapshotId ?? ""));
    }

    // Assess
    expect(pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat().sort()).toEqual([...created].sort());
  });

  it("answers RequestLimitExceeded (HTTP 503) to every call when throttleRate is 1, and changes nothing", async () => {
    // Prepare
    const running = await startCloud({ throttleRate: 1 });
    const shanghai = ec2(SHANGHAI, { maxAttempts: 1 });

    // Act
    const creating = shanghai.send(
      new CreateVolumeCommand({ AvailabilityZone: `${SHANGHAI}-1a`, Size: 8 }),
    );

    // Assess
    await expect(creating).rejects.toMatchObject({
      name: "RequestLimitExceeded",
      message: "Request limit exceeded.",
      $metadata: { httpStatusCode: 503 },
    });
    running.setKnobs({ throttleRate: 0 });
    expect((await shanghai.send(new DescribeVolumesCommand({}))).Volumes).toEqual([]);
    expect(running.stats()).toMatchObject({ requests: 2, throttledRequests: 1 });
  });

  it("ends a copy in state error with a status message when copyFailureRate is 1", async () => {
    // Prepare
    await startCloud({ copyFailureRate: 1 });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotIn(shanghai, SHANGHAI);

    // Act
    const copyId = await copyInto(mumbai, sourceId);
    const failed = await snapshotInState(mumbai, copyId, "error");

    // Assess
    expect(failed.StateMessage).toContain(`Copy of ${sourceId} from ${SHANGHAI} failed`);
    expect(failed.Progress).not.toBe("100%");
    await expect(
      shanghai.send(new DeleteSnapshotCommand({ SnapshotId: sourceId })),
    ).resolves.toBeDefined();
  });

  it("copies within one region when SourceRegion is the destination", async () => {
    // Prepare
    await startCloud();
    const shanghai = ec2(SHANGHAI);
    const sourceId = await completedSnapshotIn(shanghai, SHANGHAI);

    // Act
    const copyId = await copyInto(shanghai, sourceId);

    // Assess
    expect(copyId).not.toBe(sourceId);
    expect((await snapshotInState(shanghai, copyId, "completed")).VolumeId).toBe("vol-ffffffff");
  });

  it("finds volumes by id, status and tag filters", async () => {
    // Prepare
    await startCloud();
    const shanghai = ec2(SHANGHAI);
    const tagged = await shanghai.send(
      new CreateVolumeCommand({
        AvailabilityZone: `${SHANGHAI}-1a`,
        Size: 20,
        TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "dr", Value: "true" }] }],
      }),
    );
    const plain = await volumeIn(shanghai, SHANGHAI);

    // Act
    const volumeIds = async (Filters: Filter[]) =>
      ((await shanghai.send(new DescribeVolumesCommand({ Filters }))).Volumes ?? [])
        .map((volume) => volume.VolumeId)
        .sort();
    const byTag = await volumeIds([{ Name: "tag:dr", Values: ["true"] }]);
    const byId = await volumeIds([{ Name: "volume-id", Values: [plain] }]);
    const available = await volumeIds([{ Name: "status", Values: ["available"] }]);

    // Assess
    expect(byTag).toEqual([tagged.VolumeId]);
    expect(byId).toEqual([plain]);
    expect(available).toEqual([tagged.VolumeId, plain].sort());
  });

  it("returns the same volume for a repeated CreateVolume ClientToken", async () => {
    // Prepare
    await startCloud();
    const shanghai = ec2(SHANGHAI);
    const request = { AvailabilityZone: `${SHANGHAI}-1a`, Size: 8, ClientToken: "orders-db-1" };
    const first = await shanghai.send(new CreateVolumeCommand(request));

    // Act
    const retried = await shanghai.send(new CreateVolumeCommand(request));
    const reused = shanghai.send(new CreateVolumeCommand({ ...request, Size: 16 }));

    // Assess
    expect(retried.VolumeId).toBe(first.VolumeId);
    await expect(reused).rejects.toMatchObject({ name: "IdempotentParameterMismatch" });
    expect((await shanghai.send(new DescribeVolumesCommand({}))).Volumes).toHaveLength(1);
  });

  it("refuses to start a second local cloud on a dataDir that a running one owns", async () => {
    // Prepare
    await startCloud();
    const ownedDir = harness.dataDir();

    // Act
    const second = startLocalCloud({ port: 0, dataDir: ownedDir });

    // Assess
    await expect(second).rejects.toThrow(/is in use by process/);
  });

  it("keeps snapshots, tags and pending copies across a restart on the same dataDir", async () => {
    // Prepare
    const first = await startCloud({ copyBytesPerSecond: STALLED });
    const sourceId = await completedSnapshotIn(ec2(SHANGHAI), SHANGHAI, [
      { Key: "app", Value: "orders" },
    ]);
    const copyId = await copyInto(ec2(MUMBAI), sourceId, [{ Key: "snaprelay:job", Value: "j" }]);
    await first.close();

    // Act
    const second = await startCloud({ copyBytesPerSecond: INSTANT });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const source = await snapshotById(shanghai, sourceId);
    const resumed = await snapshotInState(mumbai, copyId, "completed");

    // Assess
    expect(second.url).not.toBe("");
    expect(source).toMatchObject({ State: "completed", Tags: [{ Key: "app", Value: "orders" }] });
    expect(resumed).toMatchObject({
      Progress: "100%",
      VolumeId: "vol-ffffffff",
      Tags: [{ Key: "snaprelay:job", Value: "j" }],
    });
    expect((await shanghai.send(new DescribeVolumesCommand({}))).Volumes).toHaveLength(1);
    expect(second.stats().regions).toMatchObject({
      [SHANGHAI]: { snapshots: 1, volumes: 1, pendingCopies: 0 },
      [MUMBAI]: { snapshots: 1, volumes: 0, pendingCopies: 0 },
    });
  });
});
