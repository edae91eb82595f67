// What `npm start` says before anything runs: a missing Java, a port in use. Both are refused
// at once, with a message that says what to do, and leave nothing running. And `npm run clean`,
// which forgets what the stack kept, but never under a running stack.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.js";

const start = (env: Record<string, string>) =>
  spawnSync(process.execPath, ["--import", "tsx", "local/start.ts"], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });

let blocker: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});

describe("npm start", () => {
  it("says how to install Java when there is none", () => {
    const result = start({ PATH: "/nonexistent" });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Java 17 or newer is needed");
    expect(result.stderr).toContain("apt-get install -y openjdk-17-jdk-headless");
  });

  it("names the port that is taken and the variable that moves it", async () => {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(port, "127.0.0.1", resolve));

    const result = start({
      SNAPRELAY_HTTP_PORT: String(await freePort()),
      SNAPRELAY_LAMBDA_PORT: String(await freePort()),
      SNAPRELAY_DYNAMODB_PORT: String(await freePort()),
      SNAPRELAY_SFN_PORT: String(await freePort()),
      SNAPRELAY_CLOUD_PORT: String(port),
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Port ${port} (local cloud) is already in use`);
    expect(result.stderr).toContain("SNAPRELAY_CLOUD_PORT=<port>");
  });
});

describe("npm run clean", () => {
  const clean = (dataDir: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "local/clean.ts"], {
      env: { ...process.env, SNAPRELAY_DATA_DIR: dataDir },
      encoding: "utf8",
      timeout: 60_000,
    });

  it("removes everything the stack kept", () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), "snaprelay-clean-"));
    mkdirSync(join(dataDir, "dynamodb"));
    writeFileSync(join(dataDir, "dynamodb", "shared-local-instance.db"), "tables");

    // Act
    const result = clean(dataDir);

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`removed ${dataDir}`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("refuses while a stack is using the data folder, and removes nothing", () => {
    // Prepare: the lock a running stack's local cloud holds, here held by this live process
    const dataDir = mkdtempSync(join(tmpdir(), "snaprelay-clean-"));
    mkdirSync(join(dataDir, "cloud"));
    writeFileSync(join(dataDir, "cloud", "cloud.lock"), String(process.pid));

    // Act
    const result = clean(dataDir);

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`a local stack (process ${process.pid}) is using ${dataDir}`);
    expect(existsSync(join(dataDir, "cloud", "cloud.lock"))).toBe(true);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
