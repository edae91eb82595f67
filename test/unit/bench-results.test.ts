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
  cloudRefusals: { total: 0, byCode: {} },
  cloudRefusalsByRegion: {},
  cloudMaxPending: 20,
  cloudMaxPendingByPool: { "111122223333 ap-mumbai": 20 },
  resourceLimitErrorsInJobs: 0,
  slotUtilization: 0.938,
  queueOrderViolations: 0,
  slotHandoffSeconds: { median: 3.14, p99: 40.2, max: 1149.82, count: 980 },
  pollsPerCopy: { median: 1, p99: 1, max: 1, count: 1000 },
  transitionsPerJob: { median: 17, p99: 21, max: 25, count: 1000, total: 17_240 },
  historyEventsPerExecution: { median: 60, p99: 80, max: 95, count: 1000 },
  adoptedExecutions: 0,
  detectLatencySeconds: { median: 2.1, p99: 600, max: 698.48, count: 1000 },
  overheadMs: { median: 9355760, p99: 16721220, max: 17000000, count: 1000 },
  copiesDeleted: { recordedLost: 0, pending: 0, completed: 0 },
  wallSeconds: 882,
  ...fields,
});

/** A scenario as runs kept before the cloud counted its refusals wrote it. */
const legacyScenario = (): ScenarioResult =>
  ({
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
  }) as unknown as ScenarioResult;

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
    const row = block.split("\n").find((line) => line.startsWith("| burst"));
    expect(row?.split("|").map((text) => text.trim())).toEqual([
      "",
      "burst",
      "20",
      "1000",
      "1000",
      "0",
      "0",
      "20 / 20",
      "0.938",
      "0",
      "3.14 / 40.2 / 1149.82 (n=980)",
      "1 / 1 (n=1000)",
      "17 / 21 / 25 (n=1000); 17240",
      "80 / 95 (n=1000)",
      "2.1 / 698.48 (n=1000)",
      "9355760 / 16721220 (n=1000)",
      "0 / 0 / 0",
      "882",
      "",
    ]);
    expect(block.endsWith("```\n<!-- /bench -->")).toBe(true);
  });

  it("prints a run kept before the cloud counted its refusals with the columns it has", () => {
    // Act
    const block = renderBlock("bench/results/x.json", aRun({ scenarios: [legacyScenario()] }));

    // Assess
    expect(block).toContain("| maxPending | limit errors | slot use |");
    expect(block).toContain("| 0.938    | 0                | 3.14 / 1149.82");
    expect(block).not.toContain("cloud refusals");
  });

  it("adds a line for the cloud's refusals by code, the job behind a long queue and the top of the hour", () => {
    // Prepare
    const run = aRun({
      scenarios: [
        scenario({ cloudRefusals: { total: 3, byCode: { ResourceLimitExceeded: 3 } } }),
        scenario({
          name: "long queue",
          measured: [{ status: "COMPLETED", waitHoursByRegion: { "ap-mumbai": 50.1 } }],
        }),
        scenario({
          name: "top of the hour",
          policies: 500,
          startDelaySeconds: { median: 20, p99: 70, max: 80, count: 500 },
          policiesStartedWithin120s: 500,
          policiesNotStarted: 0,
          accountsFirstAfterAnotherLast: 0,
        }),
      ],
    });

    // Act
    const block = renderBlock("bench/results/x.json", run);

    // Assess
    expect(block).toContain('burst: cloud refusals by code {"ResourceLimitExceeded":3}');
    expect(block).toContain(
      'long queue: the job behind the queue [{"status":"COMPLETED","waitHoursByRegion":{"ap-mumbai":50.1}}]',
    );
    expect(block).toContain(
      'top of the hour: from the due minute to each policy\'s jobs started, s {"median":20,"p99":70,"max":80,"count":500,"policies":500,"startedWithin120s":500,"notStarted":0,"accountsFirstAfterAnotherLast":0}',
    );
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
        "multi-destination",
        "long queue",
        "top of the hour",
      ].sort(),
    );
  });
});
