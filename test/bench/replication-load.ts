// Benchmark: distinct snapshots POSTed to a freshly started local stack, each copied into one
// region through its 20 slots: all at once (a burst), then one after another (a trickle), each
// on its own stack. Prints how the API answered and how the jobs ended.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeDistinctSnapshots, snapshotsTagged } from "../support/cloud-snapshots.js";
import { startStackProcess } from "../support/stack-process.js";

const SCENARIOS: { name: string; jobs: number; atOnce: boolean }[] = [
  { name: "burst", jobs: Number(process.env.BENCH_JOBS ?? 300), atOnce: true },
  { name: "trickle", jobs: Number(process.env.BENCH_TRICKLE_JOBS ?? 60), atOnce: false },
];
const BLOCK = 512 * 1024;
const BLOCKS = 4;
const FINAL = new Set(["COMPLETED", "PARTIAL", "FAILED", "REJECTED", "CANCELLED"]);

const run = async ({ name, jobs: JOBS, atOnce }: (typeof SCENARIOS)[number]) => {
  const dataDir = mkdtempSync(join(tmpdir(), "snaprelay-bench-"));
  const stack = await startStackProcess({
    dataDir,
    env: {
      // Two seconds a copy: 2 MiB of blocks at 1 MiB/s.
      LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(1024 * 1024),
      SNAPRELAY_WAIT_SCALE: process.env.SNAPRELAY_WAIT_SCALE ?? "0.1",
    },
  });
  try {
    console.log(`${name}: stack ready after ${stack.readyAfterMs} ms`);
    const snapshots = await makeDistinctSnapshots(stack.cloudUrl, "ap-shanghai", JOBS, {
      blocks: BLOCKS,
      blockSizeBytes: BLOCK,
      label: "bench-burst",
    });
    const headers = {
      authorization: `Bearer ${stack.token()}`,
      "content-type": "application/json",
    };
    const started = Date.now();
    const post = async (snapshotId: string) => {
      const sent = Date.now();
      const response = await fetch(`${stack.api}/replications`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          snapshotId,
          sourceRegion: "ap-shanghai",
          destinationRegions: ["ap-mumbai"],
        }),
      });
      const text = await response.text();
      return { status: response.status, text, ms: Date.now() - sent };
    };
    const answers = [];
    if (atOnce) answers.push(...(await Promise.all(snapshots.map(post))));
    else for (const snapshotId of snapshots) answers.push(await post(snapshotId));
    const answeredMs = Date.now() - started;
    const byStatus: Record<string, number> = {};
    const jobIds: string[] = [];
    let broken = 0;
    for (const answer of answers) {
      let body: { jobId?: string; error?: { code?: string } } = {};
      try {
        body = JSON.parse(answer.text);
      } catch {}
      const contract = answer.status === 202 ? body.jobId : body.error?.code;
      if (!contract || /stack|trace|errorMessage/i.test(answer.text)) broken++;
      const key = `${answer.status}${body.error?.code ? ` ${body.error.code}` : ""}`;
      byStatus[key] = (byStatus[key] ?? 0) + 1;
      if (answer.status === 202 && body.jobId) jobIds.push(body.jobId);
    }
    const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
    console.log(
      `${name}: ${JOBS} POSTs ${atOnce ? "at once" : "one after another"} answered in ${answeredMs} ms: ${JSON.stringify(byStatus)}`,
    );
    console.log(
      `${name}: latency p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms; bodies outside the contract: ${broken}`,
    );

    const outcomes: Record<string, number> = {};
    const deadline = Date.now() + Number(process.env.BENCH_TIMEOUT_MS ?? 900_000);
    let open = [...jobIds];
    while (open.length > 0 && Date.now() < deadline) {
      const still: string[] = [];
      for (const jobId of open) {
        const response = await fetch(`${stack.api}/replications/${jobId}`, { headers });
        const job = (await response.json()) as { status?: string; copies?: { error?: unknown }[] };
        if (job.status && FINAL.has(job.status)) {
          outcomes[job.status] = (outcomes[job.status] ?? 0) + 1;
          if (job.status !== "COMPLETED") {
            console.log(`  ${jobId} ${job.status}: ${JSON.stringify(job.copies?.[0]?.error)}`);
          }
        } else still.push(jobId);
      }
      open = still;
      if (open.length > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const finishedMs = Date.now() - started;
    const copies = await snapshotsTagged(stack.cloudUrl, "ap-mumbai", "snaprelay:job-id", jobIds);
    const perJob = new Map<string, number>();
    for (const copy of copies) {
      const jobId = copy.Tags?.find((tag) => tag.Key === "snaprelay:job-id")?.Value ?? "";
      perJob.set(jobId, (perJob.get(jobId) ?? 0) + 1);
    }
    const stats = (await (await fetch(`${stack.cloudUrl}/_admin/stats`)).json()) as {
      regions: Record<string, { mostPendingCopies?: number }>;
    };
    console.log(
      `${name}: jobs ended in ${finishedMs} ms: ${JSON.stringify(outcomes)}; unfinished ${open.length}`,
    );
    console.log(
      `${name}: copies in ap-mumbai: ${copies.length} for ${perJob.size} jobs; duplicates ${[...perJob.values()].filter((n) => n > 1).length}; most pending at once ${stats.regions["ap-mumbai"]?.mostPendingCopies}`,
    );
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

for (const scenario of SCENARIOS) await run(scenario);
