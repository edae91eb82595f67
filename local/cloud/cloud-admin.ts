// The local admin tool's operations, behind both the LocalCloud methods and the /_admin HTTP routes:
// small volumes, data written into chosen blocks, and what snapshots hold and copies moved.
import { randomBytes } from "node:crypto";
import { WireError } from "../wire-error.js";
import { adminNotFound } from "./admin-error.js";
import { denseHashes, emptyVolumeBlocks, type Manifest, sizeBytesOf } from "./block-map.js";
import type { BlockStore } from "./block-store.js";
import { type CopyReport, GIB, type Volume } from "./model.js";
import type { StateWriter } from "./state-writer.js";
import type { CloudStore } from "./store.js";
import type { VolumeWriteResult, VolumeWriter } from "./volume-writes.js";
import { REGION_NAME } from "./wire/signing-identity.js";

// EC2's largest volume.
const MAX_VOLUME_BYTES = 16384 * GIB;

export interface AdminVolumeRequest {
  region: string;
  /** A whole number of blocks (blockSizeBytes), at most 16 TiB. */
  sizeBytes: number;
  /** Default `<region>a`. */
  availabilityZone?: string;
}

export interface AdminVolume {
  region: string;
  volumeId: string;
  sizeBytes: number;
  /** As DescribeVolumes shows it: whole GiB, rounded up. */
  sizeGiB: number;
  blockSizeBytes: number;
  blockCount: number;
}

/** The blocks of a snapshot or a volume. */
export interface BlockManifest {
  region: string;
  /** The snapshot's or the volume's id. */
  id: string;
  sizeBytes: number;
  blockSizeBytes: number;
  blockCount: number;
  /** The hash of a block of zeros, which every block not listed in `blocks` holds. */
  zeroBlockSha256: string;
  /** [index, sha256] of each block that is not all zeros, in index order. */
  blocks: [number, string][];
}

export interface FillRequest {
  firstBlock: number;
  /** Default 1. */
  count?: number;
  /** Default: a random seed, returned in the result. */
  seed?: string;
}

export type FillResult = VolumeWriteResult & { seed: string };

export class CloudAdmin {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: {
      store: CloudStore;
      blocks: BlockStore;
      volumes: VolumeWriter;
      writer: StateWriter;
    },
  ) {}

  async createVolume({
    region,
    sizeBytes,
    availabilityZone,
  }: AdminVolumeRequest): Promise<AdminVolume> {
    const { store } = this.deps;
    checkRegion(region);
    const blockSize = store.blockSizeBytes;
    if (
      !Number.isSafeInteger(sizeBytes) ||
      sizeBytes < blockSize ||
      sizeBytes % blockSize !== 0 ||
      sizeBytes > MAX_VOLUME_BYTES
    ) {
      throw new WireError(
        "InvalidParameterValue",
        `sizeBytes must be a whole number of ${blockSize}-byte blocks, from ${blockSize} to ${MAX_VOLUME_BYTES}, not ${sizeBytes}.`,
      );
    }
    const zone = availabilityZone ?? `${region}a`;
    if (!zone.startsWith(region)) {
      throw new WireError(
        "InvalidParameterValue",
        `Zones of ${region} start with '${region}', not '${zone}'.`,
      );
    }
    const size = Math.ceil(sizeBytes / GIB);
    const volume: Volume = {
      volumeId: store.newVolumeId(),
      size,
      sizeBytes,
      availabilityZone: zone,
      state: "available",
      createTime: new Date().toISOString(),
      volumeType: "gp2",
      // What EC2 reports for a gp2 volume of this size.
      iops: Math.min(16000, Math.max(100, 3 * size)),
      tags: [],
    };
    store.region(region).volumes.set(volume.volumeId, volume);
    const blockCount = sizeBytes / blockSize;
    store.setVolumeBlocks(region, volume.volumeId, emptyVolumeBlocks(blockSize, blockCount));
    await this.saved();
    return {
      region,
      volumeId: volume.volumeId,
      sizeBytes,
      sizeGiB: size,
      blockSizeBytes: blockSize,
      blockCount,
    };
  }

  /** Writes bytes anywhere in the volume; a later snapshot holds them, earlier ones do not. */
  writeVolume(
    region: string,
    volumeId: string,
    { offsetBytes, data }: { offsetBytes: number; data: Uint8Array },
  ): Promise<VolumeWriteResult> {
    return this.tracked(async () => {
      const result = await this.deps.volumes.write(region, volumeId, offsetBytes, data);
      await this.saved();
      return result;
    });
  }

  /** Fills whole blocks with pseudo-random data: the same seed writes the same bytes. */
  fillBlocks(
    region: string,
    volumeId: string,
    { firstBlock, count = 1, seed }: FillRequest,
  ): Promise<FillResult> {
    const chosenSeed = seed ?? randomBytes(8).toString("hex");
    return this.tracked(async () => {
      const result = await this.deps.volumes.fill(region, volumeId, firstBlock, count, chosenSeed);
      await this.saved();
      return { ...result, seed: chosenSeed };
    });
  }

  /**
   * Dates a snapshot back (a test knob): a test of recovery points needs a snapshot taken 90
   * minutes ago without waiting 90 minutes. Only the start time changes.
   */
  async backdateSnapshot(region: string, snapshotId: string, startTime: string) {
    const snapshot = this.deps.store.peekRegion(region)?.snapshots.get(snapshotId);
    if (!snapshot) throw adminNotFound(`The snapshot '${snapshotId}' in ${region}`);
    const time = new Date(startTime);
    if (Number.isNaN(time.getTime()) || time.getTime() > Date.now()) {
      throw new WireError(
        "InvalidParameterValue",
        `startTime must be an ISO 8601 time in the past, not '${startTime}'.`,
      );
    }
    snapshot.startTime = time.toISOString();
    await this.saved();
    return { region, snapshotId, startTime: snapshot.startTime };
  }

  snapshotManifest(region: string, snapshotId: string): BlockManifest {
    return this.view(region, snapshotId, this.manifestOf(region, snapshotId));
  }

  volumeManifest(region: string, volumeId: string): BlockManifest {
    const volume = this.deps.store.volumeBlocks(region, volumeId);
    if (!volume) throw adminNotFound(`The volume '${volumeId}' in ${region}`);
    const blocks = [...volume.blocks].sort(([a], [b]) => a - b);
    return this.view(region, volumeId, { ...volume, blocks });
  }

  /** Every block's sha256 in order, zero blocks included (one string per block: small snapshots). */
  blockHashes(region: string, snapshotId: string): string[] {
    return denseHashes(this.manifestOf(region, snapshotId), this.deps.blocks.zeroBlockSha256);
  }

  /** What a copy moved, so far if it is pending. */
  copyReport(region: string, snapshotId: string): CopyReport {
    const snapshot = this.deps.store.peekRegion(region)?.snapshots.get(snapshotId);
    if (!snapshot) throw adminNotFound(`The snapshot '${snapshotId}' in ${region}`);
    if (!snapshot.copyReport) {
      throw new WireError(
        "NotACopy",
        `The snapshot '${snapshotId}' was not made by CopySnapshot.`,
        404,
      );
    }
    return { ...snapshot.copyReport };
  }

  /** Resolves once every write in progress has ended: the cloud is closing. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private manifestOf(region: string, snapshotId: string): Manifest {
    const snapshot = this.deps.store.peekRegion(region)?.snapshots.get(snapshotId);
    if (!snapshot) throw adminNotFound(`The snapshot '${snapshotId}' in ${region}`);
    const manifest = this.deps.store.manifest(region, snapshotId);
    if (!manifest) {
      // A copy has its manifest only once every block has arrived and been checked.
      throw new WireError(
        "NoManifest",
        `The snapshot '${snapshotId}' in ${region} has no manifest: it is a copy in state ${snapshot.state}.`,
        409,
      );
    }
    return manifest;
  }

  private view(region: string, id: string, manifest: Manifest): BlockManifest {
    return {
      region,
      id,
      sizeBytes: sizeBytesOf(manifest),
      blockSizeBytes: manifest.blockSizeBytes,
      blockCount: manifest.blockCount,
      zeroBlockSha256: this.deps.blocks.zeroBlockSha256,
      blocks: manifest.blocks.map(([index, sha256]) => [index, sha256]),
    };
  }

  private async saved(): Promise<void> {
    this.deps.writer.markChanged();
    await this.deps.writer.flush();
  }

  private tracked<T>(work: () => Promise<T>): Promise<T> {
    const running = work();
    this.inFlight.add(running);
    void running.catch(() => undefined).finally(() => this.inFlight.delete(running));
    return running;
  }
}

function checkRegion(region: string): void {
  if (!REGION_NAME.test(region)) {
    throw new WireError(
      "InvalidParameterValue",
      `'${region}' is not a region name (e.g. ap-shanghai).`,
    );
  }
}
