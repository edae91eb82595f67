// Writes into a volume for the admin tool: each new block goes to the region's block store first,
// then the volume's map points at it, so the map never names a block the store lacks.

import { WireError } from "../wire-error.js";
import { adminNotFound } from "./admin-error.js";
import type { VolumeBlocks } from "./block-map.js";
import { type BlockStore, sha256Of } from "./block-store.js";
import { pseudoRandomBlock } from "./pseudo-random-block.js";
import type { CloudStore } from "./store.js";

export interface VolumeWriteResult {
  region: string;
  volumeId: string;
  /** The blocks the write touched: firstBlock … firstBlock + blockCount - 1. */
  firstBlock: number;
  blockCount: number;
  bytesWritten: number;
  /** Block files added to the region's store (content it did not hold yet). */
  blocksStored: number;
}

export class VolumeWriter {
  // One write at a time per volume: a partial block is read, changed and written back.
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: CloudStore,
    private readonly blocks: BlockStore,
  ) {}

  /** Writes `data` at `offsetBytes`; blocks it covers only in part keep their other bytes. */
  write(
    region: string,
    volumeId: string,
    offsetBytes: number,
    data: Uint8Array,
  ): Promise<VolumeWriteResult> {
    const volume = this.volume(region, volumeId);
    const sizeBytes = volume.blockCount * volume.blockSizeBytes;
    if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || data.length === 0) {
      throw new WireError(
        "InvalidParameterValue",
        `A write needs a whole offsetBytes of at least 0 and at least one byte of data (offset ${offsetBytes}, ${data.length} bytes).`,
      );
    }
    if (offsetBytes + data.length > sizeBytes) {
      throw new WireError(
        "InvalidParameterValue",
        `Writing ${data.length} bytes at ${offsetBytes} would pass the end of ${volumeId} (${sizeBytes} bytes).`,
      );
    }
    const size = volume.blockSizeBytes;
    const firstBlock = Math.floor(offsetBytes / size);
    const endBlock = Math.ceil((offsetBytes + data.length) / size);
    return this.serialized(region, volumeId, async () => {
      let blocksStored = 0;
      for (let index = firstBlock; index < endBlock; index++) {
        const blockStart = index * size;
        const from = Math.max(offsetBytes, blockStart);
        const to = Math.min(offsetBytes + data.length, blockStart + size);
        const part = data.subarray(from - offsetBytes, to - offsetBytes);
        let content: Uint8Array = part;
        if (part.length < size) {
          const current = volume.blocks.get(index);
          const whole = current ? await this.blocks.read(region, current) : Buffer.alloc(size);
          whole.set(part, from - blockStart);
          content = whole;
        }
        if (await this.setBlock(region, volumeId, volume, index, content)) blocksStored++;
      }
      const blockCount = endBlock - firstBlock;
      return { region, volumeId, firstBlock, blockCount, bytesWritten: data.length, blocksStored };
    });
  }

  /** Fills whole blocks with pseudo-random bytes that depend only on the seed and each index. */
  fill(
    region: string,
    volumeId: string,
    firstBlock: number,
    blockCount: number,
    seed: string,
  ): Promise<VolumeWriteResult> {
    const volume = this.volume(region, volumeId);
    const inRange =
      Number.isSafeInteger(firstBlock) &&
      Number.isSafeInteger(blockCount) &&
      firstBlock >= 0 &&
      blockCount >= 1 &&
      firstBlock + blockCount <= volume.blockCount;
    if (!inRange) {
      throw new WireError(
        "InvalidParameterValue",
        `Blocks ${firstBlock} to ${firstBlock + blockCount - 1} are not all in ${volumeId}, which has blocks 0 to ${volume.blockCount - 1}.`,
      );
    }
    return this.serialized(region, volumeId, async () => {
      let blocksStored = 0;
      for (let index = firstBlock; index < firstBlock + blockCount; index++) {
        const content = pseudoRandomBlock(seed, index, volume.blockSizeBytes);
        if (await this.setBlock(region, volumeId, volume, index, content)) blocksStored++;
      }
      const bytesWritten = blockCount * volume.blockSizeBytes;
      return { region, volumeId, firstBlock, blockCount, bytesWritten, blocksStored };
    });
  }

  private volume(region: string, volumeId: string): VolumeBlocks {
    const volume = this.store.volumeBlocks(region, volumeId);
    if (!volume) throw adminNotFound(`The volume '${volumeId}' in ${region}`);
    return volume;
  }

  private async setBlock(
    region: string,
    volumeId: string,
    volume: VolumeBlocks,
    index: number,
    content: Uint8Array,
  ): Promise<boolean> {
    const sha256 = sha256Of(content);
    let stored = false;
    // A block of zeros needs no file: the map leaves it out, as it does a never-written block.
    if (sha256 === this.blocks.zeroBlockSha256) volume.blocks.delete(index);
    else {
      stored = await this.blocks.put(region, sha256, content);
      volume.blocks.set(index, sha256);
    }
    this.store.volumeBlocksChanged(region, volumeId);
    return stored;
  }

  private serialized<T>(region: string, volumeId: string, work: () => Promise<T>): Promise<T> {
    const key = `${region}/${volumeId}`;
    const result = (this.queues.get(key) ?? Promise.resolve()).then(work, work);
    const settled = result.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return result;
  }
}
