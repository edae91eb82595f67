// Which blocks a copy sends: those whose content the destination region did not hold when the copy
// began. Never-written blocks count as zeros, sent until the region holds the zero block itself.
import type { Manifest } from "./block-map.js";
import type { BlockRanges } from "./model.js";

export function planCopy(
  manifest: Manifest,
  destinationHolds: (sha256: string) => boolean,
  zeroBlockSha256: string,
): BlockRanges {
  const ranges: BlockRanges = [];
  const send = (start: number, end: number) => {
    if (start >= end) return;
    const last = ranges.at(-1);
    if (last && last[1] === start) last[1] = end;
    else ranges.push([start, end]);
  };
  const sendZeros = !destinationHolds(zeroBlockSha256);
  let afterLast = 0;
  for (const [index, sha256] of manifest.blocks) {
    if (sendZeros) send(afterLast, index);
    if (!destinationHolds(sha256)) send(index, index + 1);
    afterLast = index + 1;
  }
  if (sendZeros) send(afterLast, manifest.blockCount);
  return ranges;
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

/** The next block to send at or after `from`, and the end of the run of blocks it starts. */
export function nextToSend(
  ranges: BlockRanges,
  from: number,
): { block: number; runEnd: number } | undefined {
  const range = ranges[rangeFrom(ranges, from)];
  return range && { block: Math.max(range[0], from), runEnd: range[1] };
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
