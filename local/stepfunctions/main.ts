// Runs the local Step Functions endpoint: LOCAL_SFN_PORT (8083) with Task states invoking
// LOCAL_LAMBDA_ENDPOINT (serverless-offline, http://127.0.0.1:3002), keeping its machines and
// executions in LOCAL_SFN_DATA_DIR when set; stops on SIGINT/SIGTERM.

import { log } from "../log.js";
import { startLocalStepFunctions } from "./index.js";

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a number ≥ 0: '${raw}'`);
  return value;
}

const lambdaEndpoint = process.env.LOCAL_LAMBDA_ENDPOINT ?? "http://127.0.0.1:3002";
const stepFunctions = await startLocalStepFunctions({
  port: numberFromEnv("LOCAL_SFN_PORT", 8083),
  host: process.env.LOCAL_SFN_HOST,
  region: process.env.LOCAL_SFN_REGION,
  accountId: process.env.LOCAL_SFN_ACCOUNT_ID,
  lambdaEndpoint,
  waitScale: numberFromEnv("LOCAL_SFN_WAIT_SCALE", 1),
  retryScale: numberFromEnv("LOCAL_SFN_RETRY_SCALE", 1),
  dataDir: process.env.LOCAL_SFN_DATA_DIR || undefined,
  onResume: (arn, state) => log.info(`resumed ${arn} at ${state}`),
});
log.info(`local Step Functions on ${stepFunctions.url}, Lambda at ${lambdaEndpoint}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping local Step Functions`);
    void stepFunctions.close().then(() => process.exit(0));
  });
}
