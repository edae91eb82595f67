// `npm run bench [-- options]`: the copy queue and the poller under load, on local stacks the
// bench starts itself, with the compressed clock. Prints a table, or with --json one document
// {"scenarios": [...]}; either way the run is kept as JSON under bench/results/ (the command,
// the commit, the machine, the results). Every time it reports is in the clock's seconds. Options:
//   --jobs 1000 --destination ap-mumbai      the burst (and the burst with foreign copies)
//   --copy-seconds 60,3600,86400             the copy-length scenarios, one copy each
//   --poll fixed:30                          the baseline poller of the copy-length scenarios
// The copy-length scenarios run with the cloud's copy events (at 100×, BENCH_EVENTS_SPEED), with
// 30% of them lost, with none (the waits' safety polls alone), and with none and a fixed poll (at
// 1000×, BENCH_COPY_SPEED), each after a warm-up copy.
//   --scenarios burst,foreign,copy-seconds   which to run (all by default)
import { parseArgs } from "node:util";
import type { ScenarioResult } from "./metrics.js";
import { type BenchRun, currentCommit, machine, renderTable, saveRun } from "./results.js";
import { runScenario, type ScenarioPlan } from "./run-scenario.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    jobs: { type: "string", default: "1000" },
    destination: { type: "string", default: "ap-mumbai" },
    "copy-seconds": { type: "string", default: "60,3600,86400" },
    poll: { type: "string", default: "fixed:30" },
    scenarios: { type: "string", default: "burst,foreign,copy-seconds" },
  },
});

const fail = (message: string): never => {
  console.error(`bench: ${message}`);
  process.exit(2);
};
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1)
  fail(`--jobs must be a whole number above 0, not ${values.jobs}`);
const copySeconds = values["copy-seconds"].split(",").map(Number);
if (copySeconds.some((seconds) => !Number.isInteger(seconds) || seconds < 1)) {
  fail(`--copy-seconds must be whole seconds separated by commas, not ${values["copy-seconds"]}`);
}
const fixed = /^fixed:(\d+)$/.exec(values.poll);
if (!fixed) fail(`--poll must be fixed:<seconds>, not ${values.poll}`);
const fixedSeconds = Number(fixed?.[1]);
const wanted = new Set(values.scenarios.split(","));
const log = values.json
  ? (line: string) => console.error(line)
  : (line: string) => console.log(line);

const burstSpeed = Number(process.env.BENCH_BURST_SPEED ?? 20);
const burstCopySeconds = Number(process.env.BENCH_BURST_COPY_SECONDS ?? 300);
// A five-minute copy lasts 15 s at twenty times real speed: long beside a hand-off, short in all.
const burst: ScenarioPlan = {
  name: "burst",
  jobs,
  destination: values.destination,
  clockSpeed: burstSpeed,
  copySeconds: [burstCopySeconds],
  slots: 20,
  otherAccountWhenQueued: Math.min(100, Math.floor(jobs / 2)),
  log,
};
const plans: ScenarioPlan[] = [];
if (wanted.has("burst")) plans.push(burst);
if (wanted.has("foreign")) {
  plans.push({
    ...burst,
    name: "burst, 5 cloud slots taken",
    foreignCopies: 5,
    otherAccountWhenQueued: undefined,
  });
}
if (wanted.has("copy-seconds")) {
  // A day's copy takes 86 s at a thousand times real speed.
  const lengths: Omit<ScenarioPlan, "name"> = {
    jobs: copySeconds.length,
    destination: values.destination,
    clockSpeed: Number(process.env.BENCH_COPY_SPEED ?? 1000),
    copySeconds,
    slots: 20,
    warmUp: true,
    log,
  };
  // With events a copy's end is noticed in the stack's own time (tens of real milliseconds), which
  // the clock multiplies: at 1000× every real millisecond reads as a clock second. This scenario
  // runs at 100× (a day's copy takes 14.4 minutes), where 50 real ms read as 5 clock seconds.
  plans.push({
    ...lengths,
    name: "copy lengths, events",
    clockSpeed: Number(process.env.BENCH_EVENTS_SPEED ?? 100),
  });
  // Ten of each length, so that some events of each are lost.
  plans.push({
    ...lengths,
    name: "copy lengths, 30% of events lost",
    jobs: copySeconds.length * 10,
    eventDropRate: 0.3,
  });
  plans.push({ ...lengths, name: "copy lengths, no events (safety polls)", eventDropRate: 1 });
  plans.push({
    ...lengths,
    name: `copy lengths, no events, poll fixed:${fixedSeconds}`,
    eventDropRate: 1,
    pollFixedSeconds: fixedSeconds,
  });
}

const startedAt = new Date().toISOString();
const commit = currentCommit();
const results: ScenarioResult[] = [];
for (const plan of plans) results.push(await runScenario(plan));

const run: BenchRun = {
  command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim().replace(/ --$/, ""),
  commit,
  startedAt,
  endedAt: new Date().toISOString(),
  machine: machine(),
  scenarios: results,
};
const saved = saveRun(run);
if (values.json) console.log(JSON.stringify({ scenarios: results }, null, 2));
else console.log(renderTable(results));
log(
  `bench: this run is kept in ${saved}; to quote it, name it in a README bench block and run npm run bench:readme`,
);
