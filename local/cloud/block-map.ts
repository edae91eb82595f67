// Sparse block maps: which content each block of a volume or snapshot holds, by SHA-256. A block
// not listed was never written (or was written with zeros) and reads as zeros: it is stored nowhere
// and a copy does not send it, so a volume's size costs neither disk nor copy time.

/** A snapshot's blocks, frozen when the snapshot is taken; never changed afterwards. */
export interface Manifest {
  readonly blockSizeBytes: number;
  readonly blockCount: number;
  /** The blocks that are not all zeros, as [index, sha256], in index order. */
  readonly blocks: readonly (readonly [number, string])[];
}

/** A volume's blocks: the admin tool's writes change them, CreateSnapshot freezes them. */
export interface VolumeBlocks {
  readonly blockSizeBytes: number;
  readonly blockCount: number;
  /** Index → sha256 of every block that is not all zeros. */
  readonly blocks: Map<number, string>;
}

export function emptyVolumeBlocks(blockSizeBytes: number, blockCount: number): VolumeBlocks {
  return { blockSizeBytes, blockCount, blocks: new Map() };
}

export function freeze(volume: VolumeBlocks): Manifest {
  const blocks = [...volume.blocks].sort(([a], [b]) => a - b);
  return { blockSizeBytes: volume.blockSizeBytes, blockCount: volume.blockCount, blocks };
}

/** A volume restored from a snapshot; blocks past the snapshot's end (a larger volume) are zeros. */
export function volumeFrom(manifest: Manifest, blockCount: number): VolumeBlocks {
  return {
    blockSizeBytes: manifest.blockSizeBytes,
    blockCount,
    blocks: new Map(manifest.blocks.map(([index, sha256]) => [index, sha256])),
  };
}

export const sizeBytesOf = (map: { blockSizeBytes: number; blockCount: number }): number =>
  map.blockSizeBytes * map.blockCount;

/** Position in `manifest.blocks` of the first written block at or after `index`. */
export function writtenPositionFrom(manifest: Manifest, index: number): number {
  let low = 0;
  let high = manifest.blocks.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const entry = manifest.blocks[middle];
    if (entry !== undefined && entry[0] < index) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Every block's sha256 in order, zeros included: for tests and small snapshots only. */
export function denseHashes(manifest: Manifest, zeroBlockSha256: string): string[] {
  const hashes = new Array<string>(manifest.blockCount).fill(zeroBlockSha256);
  for (const [index, sha256] of manifest.blocks) hashes[index] = sha256;
  return hashes;
}
