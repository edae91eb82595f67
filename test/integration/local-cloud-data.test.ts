// The local cloud's block data: volumes and snapshots hold real bytes on disk, copies move only the
// written blocks the destination lacks (so a copy's time follows its data, not its volume's size),
// check each one, and survive a restart. EC2 calls go through the SDK.
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

  it("copies every written block to another region: the copy's manifest equals the source's, and each block file there is named by its SHA-256", async () => {
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
    // The 48 blocks of data; the never-written blocks were neither sent nor stored.
    expect(files.map(([name]) => name).sort()).toEqual(
      source.blocks.map(([, sha256]) => sha256).sort(),
    );
    expect(running().copyReport(MUMBAI, copyId)).toEqual({
      sourceRegion: SHANGHAI,
      sourceSnapshotId: sourceId,
      totalBytes: 48 * BLOCK,
      bytesTransferred: 48 * BLOCK,
      blocksTransferred: 48,
      blocksSkipped: 0,
      blocksStored: 48,
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
      totalBytes: 5 * BLOCK,
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

  it("measures an incremental copy's Progress over the blocks it sends: with 1 of 100 blocks changed and copies stalled it is at 0%, then 100% once that block is sent", async () => {
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
    const reportWhilePending = running().copyReport(MUMBAI, secondCopy);
    started.setKnobs({ copyBytesPerSecond: INSTANT });
    const done = await snapshotEnded(mumbai, secondCopy);

    // Assess
    expect(pending).toMatchObject({ State: "pending", Progress: "0%" });
    expect(reportWhilePending).toMatchObject({
      totalBytes: BLOCK,
      blocksSkipped: 99,
      bytesTransferred: 0,
    });
    expect(done).toMatchObject({ State: "completed", Progress: "100%" });
    expect(running().copyReport(MUMBAI, secondCopy)).toMatchObject({
      totalBytes: BLOCK,
      bytesTransferred: BLOCK,
      blocksTransferred: 1,
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

  it("keeps a never-written 8 GiB volume sparse: its snapshot stores no block, and its copy sends none and completes at once, even with copies stalled", async () => {
    // Prepare: EBS's own block size, as in the demo.
    const started = await startCloud({ blockSizeBytes: 512 * KIB, copyBytesPerSecond: STALLED });
    const shanghai = ec2(SHANGHAI);
    const mumbai = ec2(MUMBAI);
    const { VolumeId } = await shanghai.send(
      new CreateVolumeCommand({ AvailabilityZone: `${SHANGHAI}a`, Size: 8 }),
    );
    const sourceId = await completedSnapshotOf(shanghai, VolumeId ?? "");

    // Act
    const copyId = await copyInto(mumbai, sourceId);
    const copy = await snapshotById(mumbai, copyId);

    // Assess
    expect(running().snapshotManifest(SHANGHAI, sourceId)).toMatchObject({
      blockCount: (8 * GIB) / (512 * KIB),
      blocks: [],
    });
    expect(copy).toMatchObject({ State: "completed", Progress: "100%", VolumeSize: 8 });
    expect(running().copyReport(MUMBAI, copyId)).toMatchObject({
      totalBytes: 0,
      bytesTransferred: 0,
      blocksTransferred: 0,
      blocksSkipped: 0,
      blocksStored: 0,
    });
    expect(running().blockHashes(MUMBAI, copyId)).toEqual(
      running().blockHashes(SHANGHAI, sourceId),
    );
    expect(started.stats().regions).toMatchObject({
      [SHANGHAI]: { blocks: 0 },
      [MUMBAI]: { blocks: 0 },
    });
    expect(started.stats().copies).toMatchObject({ completed: 1, bytesTransferred: 0 });
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

// EBS's block size, as in the demo: a 1 GiB volume has 2,048 blocks.
const EBS_BLOCK = 512 * KIB;
// 8 blocks a second: 8 written blocks take about 1 s to copy; a whole 1 GiB volume would take 256 s.
const EIGHT_BLOCKS_A_SECOND = 8 * EBS_BLOCK;

describe("copy time follows the data written, not the volume's size", { timeout: 30_000 }, () => {
  /** A completed snapshot of a volume of `sizeBytes` with 8 blocks written, from block 100 on. */
  async function snapshotWithEightBlocks(sizeBytes: number, seed = "eight blocks") {
    const { volumeId } = await running().createVolume({ region: SHANGHAI, sizeBytes });
    await running().fillBlocks(SHANGHAI, volumeId, { firstBlock: 100, count: 8, seed });
    return completedSnapshotOf(ec2(SHANGHAI), volumeId);
  }

  /** Seconds from the copy's StartTime to its CompletionTime, as the cloud stamped them. */
  const secondsTaken = (copy: Snapshot) =>
    ((copy.CompletionTime?.getTime() ?? Number.NaN) - (copy.StartTime?.getTime() ?? Number.NaN)) /
    1000;

  it("copies a 1 GiB volume with 8 written blocks in about the time of 8 blocks at the bandwidth, not 2,048, and reports 8 blocks' bytes", async () => {
    // Prepare
    await startCloud({ blockSizeBytes: EBS_BLOCK, copyBytesPerSecond: EIGHT_BLOCKS_A_SECOND });
    const sourceId = await snapshotWithEightBlocks(GIB);

    // Act
    const copyId = await copyInto(ec2(MUMBAI), sourceId);
    const copy = await snapshotEnded(ec2(MUMBAI), copyId);

    // Assess
    expect(running().snapshotManifest(SHANGHAI, sourceId).blockCount).toBe(2048);
    expect(copy).toMatchObject({ State: "completed", Progress: "100%", VolumeSize: 1 });
    // 8 blocks at 8 a second: 1 s, and never less, the bandwidth holds; 2,048 blocks would take 256 s.
    expect(secondsTaken(copy)).toBeGreaterThanOrEqual(0.9);
    expect(secondsTaken(copy)).toBeLessThan(4);
    expect(running().copyReport(MUMBAI, copyId)).toEqual({
      sourceRegion: SHANGHAI,
      sourceSnapshotId: sourceId,
      totalBytes: 8 * EBS_BLOCK,
      bytesTransferred: 8 * EBS_BLOCK,
      blocksTransferred: 8,
      blocksSkipped: 0,
      blocksStored: 8,
    });
    expect(running().stats().copies).toMatchObject({
      bytesTransferred: 8 * EBS_BLOCK,
      blocksTransferred: 8,
    });
    expect(running().blockHashes(MUMBAI, copyId)).toEqual(
      running().blockHashes(SHANGHAI, sourceId),
    );
  });

  it("copies a 1 GiB and a 16 GiB volume holding the same 8 written blocks in about the same time", async () => {
    // Prepare: each copy into a region of its own, so that neither finds the other's blocks there.
    await startCloud({ blockSizeBytes: EBS_BLOCK, copyBytesPerSecond: EIGHT_BLOCKS_A_SECOND });
    const smallId = await snapshotWithEightBlocks(GIB);
    const largeId = await snapshotWithEightBlocks(16 * GIB);

    // Act: both at once; each copy has a bandwidth of its own.
    const [smallCopyId, largeCopyId] = await Promise.all([
      copyInto(ec2(MUMBAI), smallId),
      copyInto(ec2(BEIJING), largeId),
    ]);
    const [small, large] = await Promise.all([
      snapshotEnded(ec2(MUMBAI), smallCopyId),
      snapshotEnded(ec2(BEIJING), largeCopyId),
    ]);

    // Assess
    expect([small.State, large.State]).toEqual(["completed", "completed"]);
    expect([small.VolumeSize, large.VolumeSize]).toEqual([1, 16]);
    for (const copy of [small, large]) {
      expect(secondsTaken(copy)).toBeGreaterThanOrEqual(0.9);
      expect(secondsTaken(copy)).toBeLessThan(4);
    }
    // Half a second is 4 blocks' time; copying every block, they would be 30,720 blocks apart.
    expect(Math.abs(secondsTaken(small) - secondsTaken(large))).toBeLessThan(0.5);
    const { sourceSnapshotId: _small, ...smallReport } = running().copyReport(MUMBAI, smallCopyId);
    const { sourceSnapshotId: _large, ...largeReport } = running().copyReport(BEIJING, largeCopyId);
    expect(largeReport).toEqual(smallReport);
    expect(largeReport).toMatchObject({ totalBytes: 8 * EBS_BLOCK, blocksTransferred: 8 });
  });

  it("reports Progress over the 8 written blocks: 0% at first, values in between, 100% at the end, never going back", async () => {
    // Prepare
    await startCloud({ blockSizeBytes: EBS_BLOCK, copyBytesPerSecond: EIGHT_BLOCKS_A_SECOND });
    const sourceId = await snapshotWithEightBlocks(GIB);
    const mumbai = ec2(MUMBAI);

    // Act
    const copyId = await copyInto(mumbai, sourceId);
    const seen: number[] = [];
    await waitFor(async () => {
      const snapshot = await snapshotById(mumbai, copyId);
      seen.push(Number.parseInt(snapshot.Progress ?? "", 10));
      return snapshot.State === "pending" ? undefined : snapshot;
    });

    // Assess
    expect(seen[0]).toBe(0);
    expect(seen.some((progress) => progress > 0 && progress < 100)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(100);
  });

  it("resumes a copy planned when never-written blocks were sent too, sending only its written blocks", async () => {
    // Prepare: a pending copy, saved as the cloud saved it when a copy sent every block of the
    // volume (its send ranges the whole volume, its total the volume's size).
    const first = await startCloud({ blockSizeBytes: EBS_BLOCK, copyBytesPerSecond: STALLED });
    const sourceId = await snapshotWithEightBlocks(GIB);
    const copyId = await copyInto(ec2(MUMBAI), sourceId);
    await first.close();
    const stateFile = join(accountFolder(), "state.json");
    const state = JSON.parse(await readFile(stateFile, "utf8"));
    state.copies[0].sendRanges = [[0, 2048]];
    state.copies[0].totalBytes = GIB;
    await writeFile(stateFile, JSON.stringify(state));

    // Act
    await startCloud({ blockSizeBytes: EBS_BLOCK, copyBytesPerSecond: EIGHT_BLOCKS_A_SECOND });
    const resumedAt = Date.now();
    const copy = await snapshotEnded(ec2(MUMBAI), copyId);
    const seconds = (Date.now() - resumedAt) / 1000;

    // Assess
    expect(copy).toMatchObject({ State: "completed", Progress: "100%" });
    expect(seconds).toBeLessThan(4);
    expect(running().copyReport(MUMBAI, copyId)).toMatchObject({
      totalBytes: 8 * EBS_BLOCK,
      bytesTransferred: 8 * EBS_BLOCK,
      blocksTransferred: 8,
      blocksStored: 8,
    });
    expect(running().blockHashes(MUMBAI, copyId)).toEqual(
      running().blockHashes(SHANGHAI, sourceId),
    );
  });
});
