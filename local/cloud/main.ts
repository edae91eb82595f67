// Runs the local cloud on its own: `npx tsx local/cloud/main.ts`. Port from LOCAL_CLOUD_PORT
// (default 8084), state and blocks in .local-data/cloud at the repository root (LOCAL_CLOUD_DATA_DIR).
import { fileURLToPath } from "node:url";
import { cloudLog, log } from "../log.js";
import { startLocalCloud } from "./index.js";

const DEFAULT_PORT = 8084;
const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));

const port = Number(process.env.LOCAL_CLOUD_PORT || DEFAULT_PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  log.error(`LOCAL_CLOUD_PORT must be a port number, not '${process.env.LOCAL_CLOUD_PORT}'.`);
  process.exit(1);
}
const dataDir = process.env.LOCAL_CLOUD_DATA_DIR || `${repositoryRoot}.local-data/cloud`;

const cloud = await startLocalCloud({ port, dataDir });
log.info(`local cloud (EC2, STS and SSM) listening on ${cloud.url}, state in ${dataDir}`);
log.info(
  `requests are signed with an account's keys: eval "$(npm run -s cloud-env -- <account id> --endpoint ${cloud.url})"`,
);
log.info("admin tool: npx tsx local/cloud/admin.ts help");

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // A second signal means the first stop hangs: leave at once.
    if (stopping) process.exit(1);
    stopping = true;
    cloud.close().then(
      () => process.exit(0),
      (error: unknown) => {
        cloudLog.error("stopping failed", error);
        process.exit(1);
      },
    );
  });
}
