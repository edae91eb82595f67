// Makes one running local cloud the only owner of a data dir: two servers writing the same
// state file would each overwrite the other's snapshots.
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";

export type ReleaseLock = () => Promise<void>;

/** The live process that holds the data dir, if any. */
export async function dataDirOwner(dataDir: string): Promise<number | undefined> {
  const owner = Number(
    (await readFile(join(dataDir, "cloud.lock"), "utf8").catch(() => "")).trim(),
  );
  return Number.isInteger(owner) && owner > 0 && isAlive(owner) ? owner : undefined;
}

export async function lockDataDir(dataDir: string): Promise<ReleaseLock> {
  await mkdir(dataDir, { recursive: true });
  const lockFile = join(dataDir, "cloud.lock");
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockFile, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => unlink(lockFile).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
    }
    const owner = Number((await readFile(lockFile, "utf8").catch(() => "")).trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new Error(
        `The local cloud data dir ${dataDir} is in use by process ${owner} (${lockFile}); stop that server or use another dataDir.`,
      );
    }
    // The owner died without cleaning up: the lock is stale, take it over.
    await unlink(lockFile).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
