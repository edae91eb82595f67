// The local cloud's block data: volumes and snapshots hold real bytes on disk, copies move only the
// blocks the destination lacks, check each one, and survive a restart. EC2 calls go through the SDK.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { access, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  type EC2Client,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { startLocalCloud } from "../../local/cloud/index.js";
import { snapshotById, useLocalCloud, waitUntil } from "../support/local-cloud-harness.js";

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
// Small blocks keep test volumes small while still having hundreds of blocks.
const BLOCK = 64 * KIB;
const INSTANT = 1024 * GIB;
const STALLED = 1;

const SHANGHAI = "ap-shanghai";
const MUMBAI = "ap-mumbai";
const BEIJING = "ap-beijing";

const repositoryRoot = new URL("../../", import.meta.url).pathname;
// The account of the harness's clients, whose key names none: its folder in the data dir.
const DEFAULT_ACCOUNT = "000000000000";
const accountFolder = () => join(harness.dataDir(), "accounts", DEFAULT_ACCOUNT);

const harness = useLocalCloud({ blockSizeBytes: BLOCK });
const startCloud = harness.start;
const running = harness.running;
const ec2 = harness.ec2;
const waitFor = waitUntil;

function snapshotEnded(client: EC2Client, snapshotId: string): Promise<Snapshot> {
  return waitFor(async () => {
    const snapshot = await snapshotById(client, snapshotId);
    return snapshot.State === "pending" ? undefined : snapshot;
  });
}

/** A volume of `blocks` blocks, every block filled with data from `seed`. */
async function filledVolume(region: string, blocks: number, seed = "first"): Promise<string> {
  const { volumeId } = await running().createVolume({ region, sizeBytes: blocks * BLOCK });
  await running().fillBlocks(region, volumeId, { firstBlock: 0, count: blocks, seed });
  return volumeId;
}

async function completedSnapshotOf(client: EC2Client, volumeId: string): Promise<string> {
  const { SnapshotId } = await client.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
  if (!SnapshotId) throw new Error("CreateSnapshot returned no SnapshotId");
  expect((await snapshotEnded(client, SnapshotId)).State).toBe("completed");
  return SnapshotId;
}

async function copyInto(destination: EC2Client, sourceSnapshotId: string): Promise<string> {
  const { SnapshotId } = await destination.send(
    new CopySnapshotCommand({ SourceRegion: SHANGHAI, SourceSnapshotId: sourceSnapshotId }),
  );
  if (!SnapshotId) throw new Error("CopySnapshot returned no SnapshotId");
  return SnapshotId;
}

const sha256Of = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Every block file of the region, as [file name, SHA-256 of its bytes]. */
async function blockFilesOf(region: string): Promise<[string, string][]> {
  const directory = join(accountFolder(), "regions", region, "blocks");
  const names = await readdir(directory);
  return Promise.all(
    names.map(async (name): Promise<[string, string]> => {
      return [name, sha256Of(await readFile(join(directory, name)))];
    }),
  );
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Runs the admin CLI as a user would, against the running cloud. */
function adminCli(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "local/cloud/admin.ts", ...args, "--endpoint", running().url],
      { cwd: repositoryRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// Generous: the machine is shared, and a slow run should fail on an assertion, not a timeout.
describe("local cloud block data", { timeout: 30_000 }, () => {
  it("captures a volume's blocks in a snapshot, which later writes to the volume do not change", async () => {
    // Prepare
    await startCloud();
    const shanghai = ec2(SHANGHAI);
    const volumeId = await filledVolume(SHANGHAI, 32);
    const before = running().volumeManifest(SHANGHAI, volumeId);
    const snapshotId = await completedSnapshotOf(shanghai, volumeId);

    // Act
    await running().fillBlocks(SHANGHAI, volumeId, { firstBlock: 3, count: 2, seed: "second" });
    await running().writeVolume(SHANGHAI, volumeId, {
      offsetBytes: 10 * BLOCK + 100,
      data: Buffer.from("a few bytes in the middle of block 10"),
    });
    const laterSnapshotId = await completedSnapshotOf(shanghai, volumeId);

    // Assess
    const snapshot = running().snapshotManifest(SHANGHAI, snapshotId);
    const later = running().blockHashes(SHANGHAI, laterSnapshotId);
    const original = running().blockHashes(SHANGHAI, snapshotId);
    expect(snapshot).toMatchObject({
      sizeBytes: 32 * BLOCK,
      blockSizeBytes: BLOCK,
      blockCount: 32,
    });
    expect(snapshot.blocks).toEqual(before.blocks);
    expect(new Set(original).size).toBe(32);
    const changed = later.flatMap((sha256, index) => (sha256 === original[index] ? [] : [index]));
    expect(changed).toEqual([3, 4, 10]);
    // Block 10 keeps its other bytes: only the 37 written ones differ.
    const block10 = await readFile(running().blockPath(SHANGHAI, later[10] ?? ""));
    const original10 = await readFile(running().blockPath(SHANGHAI, original[10] ?? ""));
    expect(block10.subarray(100, 137).toString()).toBe("a few bytes in the middle of block 10");
    expect(Buffer.compare(block10.subarray(0, 100), original10.subarray(0, 100))).toBe(0);
    expect(Buffer.compare(block10.subarray(137), original10.subarray(137))).toBe(0);
    // EC2 shows sizes in whole GiB.
    expect((await snapshotById(shanghai, snapshotId)).VolumeSize).toBe(1);
  });

  it("copies every block to another region: the copy's manifest equals the source's, and each block file there is named by its SHA-256", async () => {
    // Prepare
    await startCloud();
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    // Blocks 48 to 63 are never written: they are zeros.
    const { volumeId } = await running().createVolume({ region: SHANGHAI, sizeBytes: 64 * BLOCK });
    await running().fillBlocks(SHANGHAI, volumeId, { firstBlock: 0, count: 48, seed: "data" });
    const sourceId = await completedSnapshotOf(shanghai, volumeId);

    // Act
    const copyId = await copyInto(mumbai, sourceId);
    const copy = await snapshotEnded(mumbai, copyId);

    // Assess
    expect(copy).toMatchObject({ State: "completed", Progress: "100%", VolumeId: "vol-ffffffff" });
    const source = running().snapshotManifest(SHANGHAI, sourceId);
    const copied = running().snapshotManifest(MUMBAI, copyId);
    expect(copied.blocks).toEqual(source.blocks);
    expect(running().blockHashes(MUMBAI, copyId)).toEqual(
      running().blockHashes(SHANGHAI, sourceId),
    );
    const files = await blockFilesOf(MUMBAI);
    for (const [name, sha256] of files) expect(sha256).toBe(name);
    // 48 blocks of data and the zero block, which the region did not hold yet.
    expect(files.map(([name]) => name).sort()).toEqual(
      [...new Set(running().blockHashes(SHANGHAI, sourceId))].sort(),
    );
    expect(running().copyReport(MUMBAI, copyId)).toEqual({
      sourceRegion: SHANGHAI,
      sourceSnapshotId: sourceId,
      totalBytes: 64 * BLOCK,
      bytesTransferred: 64 * BLOCK,
      blocksTransferred: 64,
      blocksSkipped: 0,
      blocksStored: 49,
    });
  });

  it("sends only the changed blocks to a region holding an earlier copy: 1% of the blocks changed moves at most 2% of the bytes", async () => {
    // Prepare
    await startCloud();
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const blocks = 512;
    const volumeBytes = blocks * BLOCK;
    const volumeId = await filledVolume(SHANGHAI, blocks);
    const firstCopy = await copyInto(mumbai, await completedSnapshotOf(shanghai, volumeId));
    expect((await snapshotEnded(mumbai, firstCopy)).State).toBe("completed");
    for (const block of [7, 130, 255, 256, 501]) {
      await running().fillBlocks(SHANGHAI, volumeId, { firstBlock: block, seed: "changed" });
    }
    const secondSnapshot = await completedSnapshotOf(shanghai, volumeId);
    const sentBefore = running().stats().copies.bytesTransferred;

    // Act
    const secondCopy = await copyInto(mumbai, secondSnapshot);
    const copied = await snapshotEnded(mumbai, secondCopy);

    // Assess
    const report = running().copyReport(MUMBAI, secondCopy);
    const sent = running().stats().copies.bytesTransferred - sentBefore;
    expect(copied.State).toBe("completed");
    expect(sent).toBeLessThanOrEqual(0.02 * volumeBytes);
    expect(sent).toBe(5 * BLOCK);
    expect(report).toMatchObject({
      totalBytes: volumeBytes,
      bytesTransferred: 5 * BLOCK,
      blocksTransferred: 5,
      blocksSkipped: blocks - 5,
    });
    expect(running().snapshotManifest(MUMBAI, secondCopy).blocks).toEqual(
      running().snapshotManifest(SHANGHAI, secondSnapshot).blocks,
    );
    expect(running().stats().regions[MUMBAI]?.blocks).toBe(blocks + 5);
  });

  it("reports Progress by bytes: a slow copy is seen pending between 0% and 100%, and never goes back", async () => {
    // Prepare: 64 blocks at 32 blocks a second, about 2 s.
    await startCloud({ copyBytesPerSecond: 32 * BLOCK });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotOf(shanghai, await filledVolume(SHANGHAI, 64));

    // Act
    const copyId = await copyInto(mumbai, sourceId);
    const seen: number[] = [];
    const sentWhilePending: number[] = [];
    await waitFor(async () => {
      const snapshot = await snapshotById(mumbai, copyId);
      seen.push(Number.parseInt(snapshot.Progress ?? "", 10));
      if (snapshot.State === "pending") {
        sentWhilePending.push(running().copyReport(MUMBAI, copyId).bytesTransferred);
      }
      return snapshot.State === "pending" ? undefined : snapshot;
    });

    // Assess
    expect(seen.some((progress) => progress > 0 && progress < 100)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(100);
    expect(sentWhilePending.some((bytes) => bytes > 0 && bytes < 64 * BLOCK)).toBe(true);
  });

  it("counts the blocks a region already holds as done at once: a copy of an unchanged snapshot there is at 99% or done straight away", async () => {
    // Prepare
    const started = await startCloud();
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const volumeId = await filledVolume(SHANGHAI, 100);
    const firstCopy = await copyInto(mumbai, await completedSnapshotOf(shanghai, volumeId));
    await snapshotEnded(mumbai, firstCopy);
    await running().fillBlocks(SHANGHAI, volumeId, { firstBlock: 50, seed: "changed" });
    const secondSnapshot = await completedSnapshotOf(shanghai, volumeId);
    started.setKnobs({ copyBytesPerSecond: STALLED });

    // Act
    const secondCopy = await copyInto(mumbai, secondSnapshot);
    const pending = await snapshotById(mumbai, secondCopy);

    // Assess
    expect(pending).toMatchObject({ State: "pending", Progress: "99%" });
    expect(running().copyReport(MUMBAI, secondCopy)).toMatchObject({
      blocksSkipped: 99,
      bytesTransferred: 0,
    });
  });

  it("ends a copy whose block fails its check on arrival in error, with a StateMessage naming the block, and keeps no manifest", async () => {
    // Prepare
    await startCloud({ copyFailureRate: 1 });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotOf(shanghai, await filledVolume(SHANGHAI, 40));

    // Act
    const copyId = await copyInto(mumbai, sourceId);
    const failed = await snapshotEnded(mumbai, copyId);

    // Assess
    expect(failed.State).toBe("error");
    expect(failed.StateMessage).toMatch(
      new RegExp(
        `^Copy of ${sourceId} from ${SHANGHAI} failed at \\d+%: block \\d+ failed its check on arrival`,
      ),
    );
    expect(failed.Progress).not.toBe("100%");
    expect(() => running().snapshotManifest(MUMBAI, copyId)).toThrow(/has no manifest/);
    expect(
      await exists(join(accountFolder(), "regions", MUMBAI, "snapshots", `${copyId}.json`)),
    ).toBe(false);
    // Only checked blocks reach the store: the damaged one is not among them.
    for (const [name, sha256] of await blockFilesOf(MUMBAI)) expect(sha256).toBe(name);
    expect(running().stats().copies).toMatchObject({ started: 1, failed: 1, completed: 0 });
  });

  it("fails a copy in error when a block was damaged on disk in the source region", async () => {
    // Prepare
    await startCloud();
    const shanghai = ec2(SHANGHAI);
    const sourceId = await completedSnapshotOf(shanghai, await filledVolume(SHANGHAI, 16));
    const damagedHash = running().blockHashes(SHANGHAI, sourceId)[9] ?? "";
    await writeFile(running().blockPath(SHANGHAI, damagedHash), Buffer.alloc(BLOCK, 7));

    // Act
    const copyId = await copyInto(ec2(BEIJING), sourceId);
    const failed = await snapshotEnded(ec2(BEIJING), copyId);

    // Assess
    expect(failed.State).toBe("error");
    expect(failed.StateMessage).toContain("block 9 failed its check on arrival");
    expect(failed.StateMessage).toContain(damagedHash.slice(0, 16));
  });

  it("resumes a copy after a restart and completes it with identical blocks, sending none twice", async () => {
    // Prepare: 128 blocks at 32 a second, about 4 s.
    const first = await startCloud({ copyBytesPerSecond: 32 * BLOCK });
    const sourceId = await completedSnapshotOf(ec2(SHANGHAI), await filledVolume(SHANGHAI, 128));
    const mumbaiBefore = ec2(MUMBAI);
    const copyId = await copyInto(mumbaiBefore, sourceId);
    await waitFor(async () => {
      const progress = Number.parseInt(
        (await snapshotById(mumbaiBefore, copyId)).Progress ?? "",
        10,
      );
      return progress >= 20 ? progress : undefined;
    });
    await first.close();

    // Act
    await startCloud({ copyBytesPerSecond: INSTANT });
    const resumed = await snapshotEnded(ec2(MUMBAI), copyId);

    // Assess
    expect(resumed).toMatchObject({ State: "completed", Progress: "100%" });
    expect(running().blockHashes(MUMBAI, copyId)).toEqual(
      running().blockHashes(SHANGHAI, sourceId),
    );
    const files = await blockFilesOf(MUMBAI);
    expect(files).toHaveLength(128);
    for (const [name, sha256] of files) expect(sha256).toBe(name);
    expect(running().copyReport(MUMBAI, copyId)).toMatchObject({
      bytesTransferred: 128 * BLOCK,
      blocksTransferred: 128,
      blocksStored: 128,
    });
  });

  it("stops sending a copy's blocks when the pending copy is deleted", async () => {
    // Prepare: 64 blocks at 16 a second, about 4 s.
    await startCloud({ copyBytesPerSecond: 16 * BLOCK });
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotOf(ec2(SHANGHAI), await filledVolume(SHANGHAI, 64));
    const copyId = await copyInto(mumbai, sourceId);
    await waitFor(async () => (running().stats().copies.bytesTransferred > 0 ? true : undefined));

    // Act
    await mumbai.send(new DeleteSnapshotCommand({ SnapshotId: copyId }));
    // Let the block on its way when the copy was deleted arrive and be counted.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sentAtDeletion = running().stats().copies.bytesTransferred;
    await new Promise((resolve) => setTimeout(resolve, 600));

    // Assess
    expect(running().stats().copies).toMatchObject({
      cancelled: 1,
      completed: 0,
      bytesTransferred: sentAtDeletion,
    });
    expect(sentAtDeletion).toBeLessThan(64 * BLOCK);
    expect(() => running().copyReport(MUMBAI, copyId)).toThrow(/does not exist/);
  });

  it("keeps a never-written 8 GiB volume sparse: its snapshot and copy store a single zero block", async () => {
    // Prepare: EBS's own block size, as in the demo.
    const started = await startCloud({ blockSizeBytes: 512 * KIB });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const { VolumeId } = await shanghai.send(
      new CreateVolumeCommand({ AvailabilityZone: `${SHANGHAI}a`, Size: 8 }),
    );
    const sourceId = await completedSnapshotOf(shanghai, VolumeId ?? "");

    // Act
    const firstCopy = await copyInto(mumbai, sourceId);
    await snapshotEnded(mumbai, firstCopy);
    const secondCopy = await copyInto(mumbai, sourceId);
    await snapshotEnded(mumbai, secondCopy);

    // Assess
    const blocks = (8 * GIB) / (512 * KIB);
    expect(running().snapshotManifest(SHANGHAI, sourceId)).toMatchObject({
      blockCount: blocks,
      blocks: [],
    });
    // The first copy into the region is a full one: zeros cross the wire too, but are stored once.
    expect(running().copyReport(MUMBAI, firstCopy)).toMatchObject({
      bytesTransferred: 8 * GIB,
      blocksStored: 1,
    });
    expect(running().copyReport(MUMBAI, secondCopy)).toMatchObject({
      bytesTransferred: 0,
      blocksSkipped: blocks,
    });
    expect(started.stats().regions).toMatchObject({
      [SHANGHAI]: { blocks: 0 },
      [MUMBAI]: { blocks: 1 },
    });
  });

  it("restores a volume from a copied snapshot with the copy's blocks", async () => {
    // Prepare
    await startCloud();
    const mumbai = ec2(MUMBAI);
    const sourceId = await completedSnapshotOf(ec2(SHANGHAI), await filledVolume(SHANGHAI, 8));
    const copyId = await copyInto(mumbai, sourceId);
    await snapshotEnded(mumbai, copyId);

    // Act
    const restored = await mumbai.send(
      new CreateVolumeCommand({ AvailabilityZone: `${MUMBAI}a`, SnapshotId: copyId }),
    );

    // Assess
    expect(restored).toMatchObject({ Size: 1, SnapshotId: copyId });
    const volume = running().volumeManifest(MUMBAI, restored.VolumeId ?? "");
    expect(volume).toMatchObject({ sizeBytes: 8 * BLOCK, blockCount: 8 });
    expect(volume.blocks).toEqual(running().snapshotManifest(SHANGHAI, sourceId).blocks);
  });

  it("writes chosen blocks of a volume from the admin CLI while the cloud runs", async () => {
    // Prepare
    await startCloud();
    const created = await adminCli("create-volume", "--region", SHANGHAI, "--size", "1MiB");
    expect(created).toMatchObject({ code: 0, stderr: "" });
    const { volumeId } = JSON.parse(created.stdout) as { volumeId: string };

    // Act
    const written = await adminCli(
      "write-volume",
      ...["--region", SHANGHAI, "--volume", volumeId, "--block", "2", "--count", "3"],
      ...["--seed", "cli"],
    );
    const manifest = await adminCli("manifest", "--region", SHANGHAI, "--volume", volumeId);
    const stats = await adminCli("stats");
    const mistaken = await adminCli("write-volume", "--region", SHANGHAI, "--volume", volumeId);

    // Assess
    expect(written.code).toBe(0);
    expect(JSON.parse(written.stdout)).toMatchObject({
      volumeId,
      firstBlock: 2,
      blockCount: 3,
      bytesWritten: 3 * BLOCK,
      seed: "cli",
    });
    const blocks = (JSON.parse(manifest.stdout) as { blocks: [number, string][] }).blocks;
    expect(blocks.map(([index]) => index)).toEqual([2, 3, 4]);
    expect(blocks).toEqual(running().volumeManifest(SHANGHAI, volumeId).blocks);
    // The same seed writes the same bytes, wherever it is written from.
    const twin = await running().createVolume({ region: SHANGHAI, sizeBytes: MIB });
    await running().fillBlocks(SHANGHAI, twin.volumeId, { firstBlock: 2, count: 3, seed: "cli" });
    expect(running().volumeManifest(SHANGHAI, twin.volumeId).blocks).toEqual(blocks);
    expect(JSON.parse(stats.stdout)).toMatchObject({ regions: { [SHANGHAI]: { volumes: 1 } } });
    expect(mistaken.code).toBe(2);
    expect(mistaken.stderr).toContain("--block is required");
  });

  it("acts in the account given with --account from the admin CLI, and creates and lists roles", async () => {
    // Prepare
    await startCloud();
    const otherAccount = "111111111111";
    const created = await adminCli(
      ...["create-volume", "--region", SHANGHAI, "--size", "1MiB", "--account", otherAccount],
    );
    const { volumeId } = JSON.parse(created.stdout) as { volumeId: string };

    // Act
    const written = await adminCli(
      ...["write-volume", "--region", SHANGHAI, "--volume", volumeId, "--block", "1"],
      ...["--account", otherAccount],
    );
    const inDefaultAccount = await adminCli("manifest", "--region", SHANGHAI, "--volume", volumeId);
    const role = await adminCli(
      ...["create-role", "--account", otherAccount, "--role", "copier", "--external-id", "ext-1"],
    );
    const roles = await adminCli("roles");
    const stats = await adminCli("stats", "--account", otherAccount);
    const roleWithoutAccount = await adminCli("create-role", "--role", "copier");

    // Assess
    expect(written.code).toBe(0);
    expect(running().volumeManifest(SHANGHAI, volumeId, otherAccount).blocks).toHaveLength(1);
    expect(inDefaultAccount.code).toBe(1);
    expect(inDefaultAccount.stderr).toContain("NotFound");
    const copier = { accountId: otherAccount, roleName: "copier", externalId: "ext-1" };
    expect(JSON.parse(role.stdout)).toEqual(copier);
    expect(JSON.parse(roles.stdout)).toEqual([copier]);
    expect(running().roles()).toEqual([copier]);
    expect(JSON.parse(stats.stdout)).toMatchObject({ regions: { [SHANGHAI]: { volumes: 1 } } });
    expect(roleWithoutAccount.code).toBe(2);
    expect(roleWithoutAccount.stderr).toContain("--account is required");
  });

  it("refuses to start on a data dir made with another block size", async () => {
    // Prepare
    const first = await startCloud({ blockSizeBytes: BLOCK });
    await filledVolume(SHANGHAI, 1);
    await first.close();

    // Act
    const starting = startLocalCloud({
      port: 0,
      dataDir: harness.dataDir(),
      blockSizeBytes: 2 * BLOCK,
    });

    // Assess
    await expect(starting).rejects.toThrow(/holds blocks of 65536 bytes, not 131072/);
  });
});
