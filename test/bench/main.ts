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
//   --multi-jobs 200                         multi-destination: jobs, each to every supported region
//   --long-queue-hours 52                    long queue: how long the copies ahead last (clock h)
//   --policies 500 --volumes 1000 --accounts 10   top of the hour, at real speed
//   --scenarios burst,foreign,copy-seconds,lost-events,multi-destination,long-queue,top-of-hour
//                                            which to run (all by default; lost-events is
//                                            copy-seconds without its events scenario)
import { parseArgs } from "node:util";
import type { ScenarioResult } from "./metrics.js";
import { type BenchRun, currentCommit, machine, renderTable, saveRun } from "./results.js";
import { runScenario, type ScenarioPlan } from "./run-scenario.js";
import { runTopOfTheHour } from "./top-of-the-hour.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    jobs: { type: "string", default: "1000" },
    destination: { type: "string", default: "ap-mumbai" },
    "copy-seconds": { type: "string", default: "60,3600,86400" },
    poll: { type: "string", default: "fixed:30" },
    "multi-jobs": { type: "string", default: "200" },
    "long-queue-hours": { type: "string", default: "52" },
    policies: { type: "string", default: "500" },
    volumes: { type: "string", default: "1000" },
    accounts: { type: "string", default: "10" },
    scenarios: {
      type: "string",
      default: "burst,foreign,copy-seconds,multi-destination,long-queue,top-of-hour",
    },
  },
});

const fail = (message: string): never => {
  console.error(`bench: ${message}`);
  process.exit(2);
};
const wholeNumber = (option: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    fail(`--${option} must be a whole number above 0, not ${text}`);
  return value;
};
const jobs = wholeNumber("jobs", values.jobs);
const multiJobs = wholeNumber("multi-jobs", values["multi-jobs"]);
const longQueueHours = wholeNumber("long-queue-hours", values["long-queue-hours"]);
const topOfTheHour = {
  policies: wholeNumber("policies", values.policies),
  volumes: wholeNumber("volumes", values.volumes),
  accounts: wholeNumber("accounts", values.accounts),
};
const copySeconds = values["copy-seconds"].split(",").map(Number);
if (copySeconds.some((seconds) => !Number.isInteger(seconds) || seconds < 1)) {
  fail(`--copy-seconds must be whole seconds separated by commas, not ${values["copy-seconds"]}`);
}
const fixed = /^fixed:(\d+)$/.exec(values.poll);
if (!fixed) fail(`--poll must be fixed:<seconds>, not ${values.poll}`);
const fixedSeconds = Number(fixed?.[1]);
const wanted = new Set(values.scenarios.split(","));
const known = [
  "burst",
  "foreign",
  "copy-seconds",
  "lost-events",
  "multi-destination",
  "long-queue",
  "top-of-hour",
];
for (const name of wanted)
  if (!known.includes(name)) fail(`--scenarios knows ${known.join(", ")}, not ${name}`);
// Every region a job may copy into (serverless.yml's SUPPORTED_REGIONS) but its source's.
const SUPPORTED_REGIONS = (
  process.env.SUPPORTED_REGIONS ??
  "ap-beijing,ap-shanghai,ap-guangzhou,ap-chengdu,ap-chongqing,ap-mumbai,ap-guangzhou-open"
).split(",");
const everyDestination = SUPPORTED_REGIONS.filter((region) => region !== "ap-shanghai");
const log = values.json
  ? (line: string) => console.error(line)
  : (line: string) => console.log(line);

const burstSpeed = Number(process.env.BENCH_BURST_SPEED ?? 20);
const burstCopySeconds = Number(process.env.BENCH_BURST_COPY_SECONDS ?? 300);
// A five-minute copy lasts 15 s at twenty times real speed: long beside a hand-off, short in all.
const burst: ScenarioPlan = {
  name: "burst",
  jobs,
  destinations: [values.destination],
  clockSpeed: burstSpeed,
  copySeconds: [burstCopySeconds],
  slots: 20,
  otherAccountWhenQueued: Math.min(100, Math.floor(jobs / 4)),
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
if (wanted.has("copy-seconds") || wanted.has("lost-events")) {
  // A day's copy takes 86 s at a thousand times real speed.
  const lengths: Omit<ScenarioPlan, "name"> = {
    jobs: copySeconds.length,
    destinations: [values.destination],
    clockSpeed: Number(process.env.BENCH_COPY_SPEED ?? 1000),
    copySeconds,
    slots: 20,
    warmUp: true,
    log,
  };
  // With events a copy's end is noticed in the stack's own time (tens of real milliseconds), which
  // the clock multiplies: at 1000× every real millisecond reads as a clock second. This scenario
  // runs at 100× (a day's copy takes 14.4 minutes), where 50 real ms read as 5 clock seconds.
  // lost-events: the three scenarios below alone, at BENCH_COPY_SPEED (whose progress ticks, 250
  // real ms, must stay short beside 5% of the copies measured: 100× for an hour's copy).
  if (wanted.has("copy-seconds")) {
    plans.push({
      ...lengths,
      name: "copy lengths, events",
      clockSpeed: Number(process.env.BENCH_EVENTS_SPEED ?? 100),
    });
  }
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

if (wanted.has("multi-destination")) {
  // Each job to every region at once: six copy queues fed by the same executions.
  plans.push({
    ...burst,
    name: "multi-destination",
    jobs: multiJobs,
    destinations: everyDestination,
    otherAccountWhenQueued: undefined,
  });
}
if (wanted.has("long-queue")) {
  // Twenty copies of other jobs fill each region's slots for --long-queue-hours; the measured job
  // (an hour's copy to each region) waits behind them at the head of every queue, for the hours
  // less the minutes the copies ahead ran before it asked (1 to 1.6 clock hours in a 12-hour
  // trial), so 52 hours make a wait of 48 at least. At 500× they take about six real minutes.
  plans.push({
    name: "long queue",
    jobs: 1,
    destinations: everyDestination,
    clockSpeed: Number(process.env.BENCH_LONG_QUEUE_SPEED ?? 500),
    copySeconds: [3_600],
    slots: 20,
    ahead: { jobs: 20, copySeconds: longQueueHours * 3_600 },
    timeoutMs: 4 * 3_600_000,
    log,
  });
}

const startedAt = new Date().toISOString();
const commit = currentCommit();
const results: ScenarioResult[] = [];
// The run is kept after each scenario: one that fails later (a stack that would not start) loses
// none of the scenarios before it, and the run names what failed.
const keep = (failure?: string): string => {
  const run: BenchRun = {
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim().replace(/ --$/, ""),
    commit,
    startedAt,
    endedAt: new Date().toISOString(),
    machine: machine(),
    scenarios: results,
    ...(failure ? { failure } : {}),
  };
  return saveRun(run);
};
const runs: Array<() => Promise<ScenarioResult>> = plans.map((plan) => () => runScenario(plan));
if (wanted.has("top-of-hour")) {
  runs.push(() => runTopOfTheHour({ ...topOfTheHour, destination: values.destination, log }));
}
let saved = "";
for (const next of runs) {
  try {
    results.push(await next());
    saved = keep();
  } catch (error) {
    saved = keep(error instanceof Error ? error.message : String(error));
    log(`bench: a scenario failed; the ${results.length} before it are kept in ${saved}`);
    throw error;
  }
}
if (values.json) console.log(JSON.stringify({ scenarios: results }, null, 2));
else console.log(renderTable(results));
log(
  `bench: this run is kept in ${saved}; to quote it, name it in a README bench block and run npm run bench:readme`,
);
