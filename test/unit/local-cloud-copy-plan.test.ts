// What a local cloud copy sends: the snapshot's written blocks the destination lacks, never a
// never-written block, whatever the volume's size; and how a copy walks its ranges.
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../local/cloud/block-map.js";
import {
  blocksToSend,
  nextToSend,
  nthToSend,
  planCopy,
  writtenOnly,
} from "../../local/cloud/copy-plan.js";

/** A snapshot of `blockCount` blocks, with the blocks given written (index → content). */
const manifestOf = (blockCount: number, written: Record<number, string>): Manifest => ({
  blockSizeBytes: 512 * 1024,
  blockCount,
  blocks: Object.entries(written)
    .map(([index, sha256]): [number, string] => [Number(index), sha256])
    .sort(([a], [b]) => a - b),
});

const holdsNothing = () => false;

describe("planning a copy", () => {
  it("sends the 8 written blocks of a 2,048-block volume and none of its never-written blocks", () => {
    const manifest = manifestOf(2048, {
      100: "a",
      101: "b",
      102: "c",
      103: "d",
      900: "e",
      901: "f",
      2000: "g",
      2047: "h",
    });

    const ranges = planCopy(manifest, holdsNothing);

    expect(ranges).toEqual([
      [100, 104],
      [900, 902],
      [2000, 2001],
      [2047, 2048],
    ]);
    expect(blocksToSend(ranges)).toBe(8);
  });

  it("sends the same blocks for a volume 16 times larger holding the same data", () => {
    const written = { 3: "a", 4: "b", 10: "c" };

    const small = planCopy(manifestOf(2048, written), holdsNothing);
    const large = planCopy(manifestOf(16 * 2048, written), holdsNothing);

    expect(large).toEqual(small);
    expect(blocksToSend(large)).toBe(3);
  });

  it("sends nothing for a never-written volume, and nothing the destination already holds", () => {
    const manifest = manifestOf(2048, { 1: "held", 2: "new", 3: "held" });

    expect(planCopy(manifestOf(16_384, {}), holdsNothing)).toEqual([]);
    expect(planCopy(manifest, (sha256) => sha256 === "held")).toEqual([[2, 3]]);
  });
});

describe("walking a copy's ranges", () => {
  const manifest = manifestOf(2048, { 5: "a", 6: "b", 1500: "c" });

  it("goes from one written block to the next, and ends after the last", () => {
    const ranges = planCopy(manifest, holdsNothing);

    expect(nextToSend(manifest, ranges, 0)).toEqual({ block: 5, sha256: "a" });
    expect(nextToSend(manifest, ranges, 6)).toEqual({ block: 6, sha256: "b" });
    expect(nextToSend(manifest, ranges, 7)).toEqual({ block: 1500, sha256: "c" });
    expect(nextToSend(manifest, ranges, 1501)).toBeUndefined();
    expect(nthToSend(ranges, 2)).toBe(1500);
    expect(blocksToSend(ranges, 6)).toBe(2);
  });

  it("passes over never-written blocks in ranges planned when they were sent too", () => {
    const everyBlock: [number, number][] = [[0, 2048]];

    expect(nextToSend(manifest, everyBlock, 7)).toEqual({ block: 1500, sha256: "c" });
    expect(nextToSend(manifest, everyBlock, 1501)).toBeUndefined();
    expect(writtenOnly(manifest, everyBlock)).toEqual([
      [5, 7],
      [1500, 1501],
    ]);
    expect(writtenOnly(manifest, [[6, 1000]])).toEqual([[6, 7]]);
  });
});
