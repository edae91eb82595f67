// `npm run clean`: forgets everything the local stack keeps between starts (jobs, executions,
// volumes and snapshots), so the next `npm start` begins from nothing. Refuses while it runs.
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { dataDirOwner } from "./cloud/data-dir-lock.js";
import { stackLog } from "./log.js";

const dataDir = resolve(process.env.SNAPRELAY_DATA_DIR ?? ".local-data");
if (!existsSync(dataDir)) {
  stackLog.info(`nothing to clean: ${dataDir} does not exist`);
  process.exit(0);
}
const owner = await dataDirOwner(join(dataDir, "cloud"));
if (owner !== undefined) {
  stackLog.error(
    `a local stack (process ${owner}) is using ${dataDir}: stop it (Ctrl-C) first, then run npm run clean again.`,
  );
  process.exit(1);
}
rmSync(dataDir, { recursive: true, force: true });
stackLog.info(`removed ${dataDir}: jobs, executions, volumes and snapshots are gone`);
