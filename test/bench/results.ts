// A bench run kept as evidence: one JSON file under bench/results/ per run (the command, the
// commit it ran on, the machine, every scenario's result), and the table the README prints from
// such a file. The README's figures come from these files, never from a hand.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { ScenarioResult } from "./metrics.js";

export const RESULTS_DIR = "bench/results";

/** The documents that quote kept runs, in bench blocks. */
export const BENCH_DOCUMENTS = ["README.md", "docs/SCALING.md"];

export interface BenchRun {
  /** The command, as a user would type it. */
  command: string;
  /** The commit the run measured, with `-dirty` when the tree had uncommitted changes. */
  commit: string;
  startedAt: string;
  endedAt: string;
  machine: { cpus: number; memoryGiB: number; node: string };
  scenarios: ScenarioResult[];
}

const git = (...args: string[]): string =>
  execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();

/** The commit of the tree the bench runs, `-dirty` when it has uncommitted changes. */
export const currentCommit = (): string => {
  try {
    const commit = git("rev-parse", "--short=12", "HEAD");
    return git("status", "--porcelain", "--untracked-files=no") === "" ? commit : `${commit}-dirty`;
  } catch {
    return "unknown";
  }
};

export const machine = (): BenchRun["machine"] => ({
  cpus: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
});

/** Writes the run to bench/results/<started>-<commit>.json and answers the path. */
export const saveRun = (run: BenchRun, dir = RESULTS_DIR): string => {
  mkdirSync(dir, { recursive: true });
  const stamp = run.startedAt.replace(/[:.]/g, "-").replace(/-\d{3}Z$/, "Z");
  const path = join(dir, `${stamp}-${run.commit}.json`);
  writeFileSync(path, `${JSON.stringify(run, null, 2)}\n`);
  return path;
};

export const loadRun = (path: string): BenchRun =>
  JSON.parse(readFileSync(path, "utf8")) as BenchRun;

const cell = (value: unknown): string =>
  value === null || value === undefined
    ? "-"
    : typeof value === "object"
      ? Object.values(value as Record<string, unknown>).join(" / ")
      : String(value);

const COLUMNS: [string, (r: ScenarioResult) => unknown][] = [
  ["scenario", (r) => r.name],
  ["clock ×", (r) => r.clockSpeed],
  ["jobs", (r) => r.jobs],
  ["completed", (r) => r.completed],
  ["failed", (r) => r.failed],
  ["maxPending", (r) => r.maxPending],
  ["limit errors", (r) => r.resourceLimitErrorsInJobs],
  ["slot use", (r) => r.slotUtilization],
  ["order violations", (r) => r.queueOrderViolations],
  ["hand-off s (med / max)", (r) => r.slotHandoffSeconds],
  ["polls/copy (med / max)", (r) => r.pollsPerCopy],
  ["transitions/job", (r) => r.transitionsPerJob],
  ["detect s (max)", (r) => r.detectLatencySeconds],
  ["overhead ms (p50 / p99)", (r) => r.overheadMs],
  ["wall s", (r) => r.wallSeconds],
];

/** The results as a Markdown table, then a line for each scenario's extra findings. */
export const renderTable = (scenarios: readonly ScenarioResult[]): string => {
  const rows = [
    COLUMNS.map(([title]) => title),
    ...scenarios.map((r) => COLUMNS.map(([, get]) => cell(get(r)))),
  ];
  const widths = COLUMNS.map((_, index) =>
    Math.max(...rows.map((row) => (row[index] ?? "").length)),
  );
  const line = (row: string[]) =>
    `| ${row.map((text, index) => text.padEnd(widths[index] ?? 0)).join(" | ")} |`;
  const extras = scenarios.flatMap((result) => [
    ...(result.otherAccount
      ? [`${result.name}: another account's copy ${JSON.stringify(result.otherAccount)}`]
      : []),
    ...(result.copies ? [`${result.name}: per copy ${JSON.stringify(result.copies)}`] : []),
  ]);
  return [
    line(rows[0] ?? []),
    `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
    ...extras,
  ].join("\n");
};

/** A block of a Markdown file that prints a kept run: `<!-- bench: <path> -->` … `<!-- /bench -->`. */
const BLOCK = /<!-- bench: (\S+) -->\n[\s\S]*?<!-- \/bench -->/g;

/** What a block of `path` holds: the command and its commit, then the run's table. */
export const renderBlock = (path: string, run: BenchRun): string =>
  [
    `<!-- bench: ${path} -->`,
    "```text",
    `$ ${run.command}`,
    `# ${path}: commit ${run.commit}, ${run.machine.cpus} cores, ${run.machine.memoryGiB} GiB, node ${run.machine.node}, ${run.startedAt} to ${run.endedAt}`,
    renderTable(run.scenarios),
    "```",
    "<!-- /bench -->",
  ].join("\n");

/** The Markdown with every bench block printed afresh from the file it names. */
export const refreshBlocks = (
  markdown: string,
  load: (path: string) => BenchRun = loadRun,
): string => markdown.replace(BLOCK, (_block, path: string) => renderBlock(path, load(path)));

/** The files a Markdown's bench blocks name. */
export const blockPaths = (markdown: string): string[] =>
  [...markdown.matchAll(BLOCK)].map((match) => match[1] ?? "");
