// Which blocks a copy sends: as EBS, only the snapshot's written blocks (a never-written block is
// stored nowhere and moves nowhere), and of those only the ones whose content the destination
// region did not hold when the copy began.
import { type Manifest, writtenPositionFrom } from "./block-map.js";
import type { BlockRanges } from "./model.js";

export function planCopy(
  manifest: Manifest,
  destinationHolds: (sha256: string) => boolean,
): BlockRanges {
  const ranges: BlockRanges = [];
  for (const [index, sha256] of manifest.blocks) {
    if (!destinationHolds(sha256)) addBlock(ranges, index);
  }
  return ranges;
}

/**
 * The written blocks of `ranges`: a copy planned before copies sent written blocks only had its
 * never-written blocks in its ranges too; what it has left to send is its written blocks.
 */
export function writtenOnly(manifest: Manifest, ranges: BlockRanges): BlockRanges {
  const kept: BlockRanges = [];
  for (const [start, end] of ranges) {
    for (let position = writtenPositionFrom(manifest, start); ; position++) {
      const entry = manifest.blocks[position];
      if (!entry || entry[0] >= end) break;
      addBlock(kept, entry[0]);
    }
  }
  return kept;
}

/** How many blocks the ranges hold at or after block `from`. */
export function blocksToSend(ranges: BlockRanges, from = 0): number {
  let count = 0;
  for (let position = rangeFrom(ranges, from); position < ranges.length; position++) {
    const range = ranges[position];
    if (range) count += range[1] - Math.max(range[0], from);
  }
  return count;
}

/**
 * The next written block to send at or after `from`, with its sha256. Ranges hold written blocks
 * only; a never-written block found in them anyway is passed over, as it has nothing to send.
 */
export function nextToSend(
  manifest: Manifest,
  ranges: BlockRanges,
  from: number,
): { block: number; sha256: string } | undefined {
  for (let position = rangeFrom(ranges, from); position < ranges.length; position++) {
    const range = ranges[position];
    if (!range) break;
    const entry = manifest.blocks[writtenPositionFrom(manifest, Math.max(range[0], from))];
    if (entry && entry[0] < range[1]) return { block: entry[0], sha256: entry[1] };
  }
  return undefined;
}

/** The block sent `n`-th (from 0), or undefined if fewer are sent. */
export function nthToSend(ranges: BlockRanges, n: number): number | undefined {
  let left = n;
  for (const [start, end] of ranges) {
    if (left < end - start) return start + left;
    left -= end - start;
  }
  return undefined;
}

/** Adds `block`, at or after the ranges' end, joining it to the last range if they touch. */
function addBlock(ranges: BlockRanges, block: number): void {
  const last = ranges.at(-1);
  if (last && last[1] === block) last[1] = block + 1;
  else ranges.push([block, block + 1]);
}

/** Position of the first range that ends after `from`. */
function rangeFrom(ranges: BlockRanges, from: number): number {
  let low = 0;
  let high = ranges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ranges[middle]?.[1] ?? 0) <= from) low = middle + 1;
    else high = middle;
  }
  return low;
}
