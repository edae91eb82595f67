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
  /** Why the run stopped before its last scenario (the scenarios before it are kept). */
  failure?: string;
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

type Column = [title: string, get: (r: ScenarioResult) => unknown];

/** The columns of runs kept before the cloud counted its refusals (their files have no more). */
const LEGACY_COLUMNS: Column[] = [
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

interface SpreadLike {
  median?: number;
  p99?: number;
  max?: number;
  count?: number;
  total?: number;
}

/** Chosen figures of a spread, then its sample count: `3.1 / 9.8 (n=980)`. */
const figures =
  (...names: (keyof SpreadLike)[]) =>
  (value: unknown): string => {
    if (value === null || value === undefined) return "-";
    const spread = value as SpreadLike;
    const shown = names.map((name) => spread[name] ?? "-").join(" / ");
    return spread.count === undefined ? shown : `${shown} (n=${spread.count})`;
  };

const COLUMNS: Column[] = [
  ["scenario", (r) => r.name],
  ["clock ×", (r) => r.clockSpeed],
  ["jobs", (r) => r.jobs],
  ["completed", (r) => r.completed],
  ["failed", (r) => r.failed],
  ["cloud refusals", (r) => r.cloudRefusals?.total],
  ["maxPending (own / any)", (r) => `${r.maxPending} / ${r.cloudMaxPending ?? "-"}`],
  ["slot use", (r) => r.slotUtilization],
  ["order violations", (r) => r.queueOrderViolations],
  ["hand-off s (med / p99 / max)", (r) => figures("median", "p99", "max")(r.slotHandoffSeconds)],
  ["polls/copy (med / max)", (r) => figures("median", "max")(r.pollsPerCopy)],
  [
    "transitions/job (med / p99 / max; total)",
    (r) =>
      r.transitionsPerJob
        ? `${figures("median", "p99", "max")(r.transitionsPerJob)}; ${r.transitionsPerJob.total}`
        : "-",
  ],
  [
    "history events/execution (p99 / max)",
    (r) => figures("p99", "max")(r.historyEventsPerExecution),
  ],
  ["detect s (med / max)", (r) => figures("median", "max")(r.detectLatencySeconds)],
  ["overhead ms (med / p99)", (r) => figures("median", "p99")(r.overheadMs)],
  [
    "copies deleted (lost / pending / completed)",
    (r) =>
      r.copiesDeleted
        ? `${r.copiesDeleted.recordedLost ?? "-"} / ${r.copiesDeleted.pending} / ${r.copiesDeleted.completed}`
        : "-",
  ],
  ["wall s", (r) => r.wallSeconds],
];

/** What a scenario found beyond the table's columns, one line each. */
const extraLines = (result: ScenarioResult): string[] => {
  const lines: string[] = [];
  const say = (what: string, value: unknown) =>
    lines.push(`${result.name}: ${what} ${JSON.stringify(value)}`);
  if (result.cloudRefusals && result.cloudRefusals.total > 0) {
    say("cloud refusals by code", result.cloudRefusals.byCode);
  }
  if (result.adoptedExecutions > 0) {
    say("executions that adopted a job whose own had ended", result.adoptedExecutions);
  }
  if (result.otherAccount) say("another account's copy", result.otherAccount);
  if (result.measured) say("the job behind the queue", result.measured);
  if (result.startDelaySeconds !== undefined) {
    say("from the due minute to each policy's jobs started, s", {
      ...(result.startDelaySeconds as object),
      policies: result.policies,
      startedWithin120s: result.policiesStartedWithin120s,
      notStarted: result.policiesNotStarted,
      accountsFirstAfterAnotherLast: result.accountsFirstAfterAnotherLast,
    });
  }
  if (result.copies) say("per copy", result.copies);
  return lines;
};

/** The results as a Markdown table, then a line for each scenario's extra findings. */
export const renderTable = (scenarios: readonly ScenarioResult[]): string => {
  const legacy = scenarios.every((result) => result.cloudRefusals === undefined);
  const columns = legacy ? LEGACY_COLUMNS : COLUMNS;
  const show = (value: unknown) => (typeof value === "string" ? value : cell(value));
  const rows = [
    columns.map(([title]) => title),
    ...scenarios.map((r) => columns.map(([, get]) => show(get(r)))),
  ];
  const widths = columns.map((_, index) =>
    Math.max(...rows.map((row) => (row[index] ?? "").length)),
  );
  const line = (row: string[]) =>
    `| ${row.map((text, index) => text.padEnd(widths[index] ?? 0)).join(" | ")} |`;
  const extras = legacy
    ? scenarios.flatMap((result) => [
        ...(result.otherAccount
          ? [`${result.name}: another account's copy ${JSON.stringify(result.otherAccount)}`]
          : []),
        ...(result.copies ? [`${result.name}: per copy ${JSON.stringify(result.copies)}`] : []),
      ])
    : scenarios.flatMap(extraLines);
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
