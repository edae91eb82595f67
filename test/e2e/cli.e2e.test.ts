// The ops CLI (`npx snaprelay …`, the package's bin) against the real local stack, signing with the
// AWS credentials in its environment: it says who they prove, makes a proof for curl, lists jobs,
// shows and watches one with progress bars until it ends, cancels one, reads a history, and
// answers a refusal with the API's code and message and exit 1, never a stack trace.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL } from "../../local/defaults.js";
import { apiCall, replicateNewSnapshot } from "../support/api-call.js";
import { type Signer, shellSignedAs } from "../support/signed-as.js";
import { type StackProcess, startStackProcess } from "../support/stack-process.js";

const DESTINATION = "ap-mumbai";
const _BLOCK = 512 * 1024;

let dataDir: string;
let stack: StackProcess;
let token: Signer;
/** A shell holding the demo account's local keys as its AWS credentials. */
let shell: NodeJS.ProcessEnv;

/** Runs the CLI's bin as `npx snaprelay` does; the API and the credentials come from the shell. */
const cli = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["scripts/cli/snaprelay.mjs", ...args],
      {
        env: { ...shell, ...env },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });

const startJob = (blocks: number, label: string) =>
  replicateNewSnapshot(stack, token, { blocks, label });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "snaprelay-cli-"));
  stack = await startStackProcess({
    dataDir,
    // 1 MiB/s: a copy of n blocks of 512 KiB lasts n/2 seconds.
    env: { LOCAL_CLOUD_COPY_BYTES_PER_SECOND: String(1024 * 1024) },
  });
  token = stack.token();
  shell = await shellSignedAs(stack, LOCAL.demoAccountId);
}, 200_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("the snaprelay CLI", () => {
  it("says which principal and account the shell's AWS credentials prove", async () => {
    // Act
    const whoami = await cli(["whoami"]);
    const asJson = await cli(["whoami", "--json"]);

    // Assess
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout.trim()).toBe(
      `arn:aws:iam::${LOCAL.demoAccountId}:user/local (account ${LOCAL.demoAccountId})`,
    );
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      accountId: LOCAL.demoAccountId,
      principalArn: `arn:aws:iam::${LOCAL.demoAccountId}:user/local`,
      admin: false,
      via: "proof",
    });
  }, 60_000);

  it("prints a proof on one line that curl can send as its Authorization header", async () => {
    // Act
    const proof = await cli(["proof"]);
    const curled = await promisify(execFile)(
      "bash",
      [
        "-c",
        'curl -s "$SNAPRELAY_API_URL/session" -H "Authorization: $(node scripts/cli/snaprelay.mjs proof)"',
      ],
      { env: shell, timeout: 60_000 },
    );

    // Assess
    expect(proof.code, proof.stderr).toBe(0);
    expect(proof.stdout).toMatch(/^SnapRelay-STS [A-Za-z0-9_-]+\n$/);
    expect(JSON.parse(curled.stdout)).toMatchObject({
      accountId: LOCAL.demoAccountId,
      principalArn: `arn:aws:iam::${LOCAL.demoAccountId}:user/local`,
    });
  }, 60_000);

  it("watches a job with a progress bar per copy until it completes, and exits 0", async () => {
    // Prepare: a copy of about 6 s
    const jobId = await startJob(12, "cli-watch");

    // Act
    const watched = await cli(["watch", jobId, "--every", "0.5"]);

    // Assess
    expect(watched.stderr).toBe("");
    expect(watched.code).toBe(0);
    const percents = [...watched.stdout.matchAll(/\] +(\d+)%/g)].map((match) => Number(match[1]));
    expect(new Set(percents).size, watched.stdout).toBeGreaterThan(2);
    expect(percents.at(-1)).toBe(100);
    const titles = watched.stdout.split("\n").filter((line) => line.startsWith(jobId));
    expect(titles.at(-1)).toContain(`${jobId}  COMPLETED`);
  }, 120_000);

  it("lists the account's jobs, and prints the API's JSON with --json", async () => {
    // Prepare
    const jobId = await startJob(2, "cli-list");

    // Act
    const listed = await cli(["jobs"]);
    const asJson = await cli(["jobs", "--json"]);

    // Assess
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n")[0]).toMatch(/^job +status +snapshot +from +copies +created$/);
    expect(listed.stdout).toContain(jobId);
    const page = JSON.parse(asJson.stdout) as { jobs: { jobId: string }[] };
    expect(page.jobs.map((job) => job.jobId)).toContain(jobId);
  }, 60_000);

  it("cancels a running job, says its partial copy was deleted, and reads its history", async () => {
    // Prepare: a copy of about 100 s, under way
    const jobId = await startJob(200, "cli-cancel");
    for (let look = 0; look < 200; look++) {
      const { body } = await apiCall(stack.api, "GET", `/replications/${jobId}`, { token });
      if ((body.copies as { status: string }[])[0]?.status === "COPYING") break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // Act
    const cancelled = await cli(["cancel", jobId, "--reason", "wrong disk"]);
    const history = await cli(["history", jobId]);

    // Assess
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`${jobId}  CANCELLED`);
    expect(cancelled.stdout).toMatch(/partial copy snap-\w+ deleted/);
    expect(cancelled.stdout).toContain("wrong disk");
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/StartCopy +ap-mumbai +Succeeded/);
    expect(history.stdout).toMatch(/Execution +Aborted/);
  }, 120_000);

  it("shows a region's copy slots", async () => {
    // Act
    const slots = await cli(["slots", DESTINATION]);

    // Assess
    expect(slots.code).toBe(0);
    expect(slots.stdout).toMatch(/^ap-mumbai: \d+ of 20 slots in use \[[#-]+\] +\d+%, \d+ waiting/);
  }, 60_000);

  it("answers credentials STS refuses with the API's code and message, exit 1, and no stack trace", async () => {
    // Act
    const refused = await cli(["jobs"], { AWS_SECRET_ACCESS_KEY: "not-the-account-secret" });

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/^snaprelay: Unauthorized: /);
    expect(refused.stderr).toContain("SignatureDoesNotMatch");
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("answers a job that does not exist with 404's code, and bad usage with exit 2", async () => {
    // Act
    const missing = await cli(["job", "job-does-not-exist"]);
    const unknown = await cli(["frobnicate"]);

    // Assess
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^snaprelay: JobNotFound: No replication job job-does-not-exist/,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^snaprelay: no command frobnicate\n\nusage: snaprelay/);
  }, 60_000);
});
