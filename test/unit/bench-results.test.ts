// A bench run is kept as a file, and the documents print their tables from the files they name:
// a figure in the README is the one a run measured, or this test fails.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ScenarioResult } from "../bench/metrics.js";
import {
  BENCH_DOCUMENTS,
  type BenchRun,
  blockPaths,
  loadRun,
  refreshBlocks,
  renderBlock,
  saveRun,
} from "../bench/results.js";

const scenario = (fields: Partial<ScenarioResult> = {}): ScenarioResult => ({
  name: "burst",
  clockSpeed: 20,
  jobs: 1000,
  completed: 1000,
  failed: 0,
  maxPending: 20,
  resourceLimitErrorsInJobs: 0,
  slotUtilization: 0.938,
  queueOrderViolations: 0,
  slotHandoffSeconds: { median: 3.14, max: 1149.82 },
  pollsPerCopy: { median: 1, max: 1 },
  transitionsPerJob: { median: 17 },
  detectLatencySeconds: { max: 698.48 },
  overheadMs: { p50: 9355760, p99: 16721220 },
  wallSeconds: 882,
  ...fields,
});

const aRun = (fields: Partial<BenchRun> = {}): BenchRun => ({
  command: "npm run bench -- --scenarios burst",
  commit: "0123456789ab",
  startedAt: "2026-12-07T07:00:00.123Z",
  endedAt: "2026-12-07T07:15:00.456Z",
  machine: { cpus: 2, memoryGiB: 24, node: "v22.23.3" },
  scenarios: [scenario()],
  ...fields,
});

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("a kept bench run", () => {
  it("is written under its start and its commit, and read back as it was", () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), "bench-results-"));
    const run = aRun();

    // Act
    const path = saveRun(run, dir);

    // Assess
    expect(path).toBe(join(dir, "2026-12-07T07-00-00Z-0123456789ab.json"));
    expect(loadRun(path)).toEqual(run);
  });

  it("prints as a block naming its file, its command, its commit and its machine", () => {
    // Act
    const block = renderBlock("bench/results/x.json", aRun());

    // Assess
    expect(block.split("\n").slice(0, 4)).toEqual([
      "<!-- bench: bench/results/x.json -->",
      "```text",
      "$ npm run bench -- --scenarios burst",
      "# bench/results/x.json: commit 0123456789ab, 2 cores, 24 GiB, node v22.23.3, 2026-12-07T07:00:00.123Z to 2026-12-07T07:15:00.456Z",
    ]);
    expect(block).toContain("| burst    | 20      | 1000 | 1000      | 0      |");
    expect(block).toContain("| 0.938    | 0                | 3.14 / 1149.82");
    expect(block.endsWith("```\n<!-- /bench -->")).toBe(true);
  });

  it("replaces a block's figures typed by hand with its file's", () => {
    // Prepare
    const typed = [
      "Before.",
      "<!-- bench: bench/results/x.json -->",
      "| burst | 1000 completed, slot use 0.99 |",
      "<!-- /bench -->",
      "After.",
    ].join("\n");

    // Act
    const printed = refreshBlocks(typed, () => aRun());

    // Assess
    expect(printed).not.toContain("0.99");
    expect(printed).toBe(`Before.\n${renderBlock("bench/results/x.json", aRun())}\nAfter.`);
  });
});

describe("the documents", () => {
  it.each(BENCH_DOCUMENTS)(
    "%s prints every bench table from a kept run, as the run has it",
    (path) => {
      // Prepare
      const markdown = readFileSync(path, "utf8");

      // Act
      const named = blockPaths(markdown);

      // Assess
      for (const file of named) expect(existsSync(file), `${path} names ${file}`).toBe(true);
      expect(refreshBlocks(markdown)).toBe(markdown);
    },
  );

  it("quote in the README at least one run of every scenario", () => {
    // Prepare
    const named = blockPaths(readFileSync("README.md", "utf8"));

    // Act
    const scenarios = new Set(named.flatMap((file) => loadRun(file).scenarios.map((s) => s.name)));

    // Assess
    expect([...scenarios].sort()).toEqual(
      [
        "burst",
        "burst, 5 cloud slots taken",
        "copy lengths, 30% of events lost",
        "copy lengths, events",
        "copy lengths, no events (safety polls)",
        "copy lengths, no events, poll fixed:30",
      ].sort(),
    );
  });
});
