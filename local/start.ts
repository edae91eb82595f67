// `npm start`: the whole local stack, a demo snapshot to copy, and the commands to try it.
// Ctrl-C (SIGINT) or SIGTERM stops every process it started.
import { resolve } from "node:path";
import { DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { consoleLink, proofSigner } from "../scripts/cli/proof.js";
import { localCredentialsFor } from "./cloud/local-credentials.js";
import {
  LOCAL,
  localClockSpeed,
  localPorts,
  localPortsByDefault,
  localWaitScale,
} from "./defaults.js";
import { log, stackLog } from "./log.js";
import { createCompletedSnapshot } from "./seed.js";
import { type RunningStack, startStack } from "./stack.js";

const DEMO_DESCRIPTION = "demo-orders-db nightly";
/** 1 GiB of the demo volume's 8 written, in the local cloud's 512 KiB blocks. */
const DEMO_WRITTEN_BLOCKS = 2048;

/**
 * A volume with a completed snapshot in the demo account's demo region: something to replicate.
 * The local cloud keeps its data across restarts, so an earlier start's demo snapshot is used again.
 */
const seedDemoSnapshot = async (stack: RunningStack): Promise<string> => {
  const ec2 = new EC2Client({
    endpoint: stack.endpoints.cloud,
    region: LOCAL.demoRegion,
    credentials: stack.cloud.credentialsFor(LOCAL.demoAccountId),
  });
  try {
    const { Snapshots } = await ec2.send(
      new DescribeSnapshotsCommand({
        Filters: [
          { Name: "description", Values: [DEMO_DESCRIPTION] },
          { Name: "status", Values: ["completed"] },
        ],
      }),
    );
    const earlier = Snapshots?.[0]?.SnapshotId;
    if (earlier) return earlier;
    const { snapshotId } = await createCompletedSnapshot(ec2, LOCAL.demoRegion, {
      volumeName: "demo-orders-db",
      description: DEMO_DESCRIPTION,
      // A copy moves only written blocks, as EBS's do: the demo volume holds 1 GiB of data.
      write: (volumeId) =>
        stack.cloud.fillBlocks(
          LOCAL.demoRegion,
          volumeId,
          { firstBlock: 0, count: DEMO_WRITTEN_BLOCKS, seed: "demo-orders-db" },
          LOCAL.demoAccountId,
        ),
    });
    return snapshotId;
  } finally {
    ec2.destroy();
  }
};

const printWelcome = (stack: RunningStack, snapshotId: string, consoleUrl: string) => {
  const body = JSON.stringify({
    snapshotId,
    sourceRegion: LOCAL.demoRegion,
    destinationRegions: [LOCAL.demoDestination],
  });
  // Each request proves who sends it: a GetCallerIdentity presigned with the account's local keys.
  // A stack on other ports than the defaults names its own, so the command works from any shell.
  const defaults = localPortsByDefault();
  const where =
    stack.apiUrl === `http://127.0.0.1:${defaults.http}` &&
    stack.endpoints.cloud === `http://127.0.0.1:${defaults.cloud}`
      ? ""
      : ` --api ${stack.apiUrl} --cloud ${stack.endpoints.cloud}`;
  const proof = `$(npm run -s proof -- --account ${LOCAL.demoAccountId}${where})`;
  log.info(`
  HTTP API          ${stack.apiUrl}
  Step Functions    ${stack.endpoints.stepFunctions}   (state machine ${stack.stateMachineArn})
  Local cloud       ${stack.endpoints.cloud}   (EC2, STS, SSM: requests signed with an account's keys)
  DynamoDB Local    ${stack.endpoints.dynamodb}

  Demo snapshot     ${snapshotId} in ${LOCAL.demoRegion}

  Replicate the demo snapshot to ${LOCAL.demoDestination}, as account ${LOCAL.demoAccountId}:
    curl -s -X POST ${stack.apiUrl}/replications \\
      -H "Authorization: ${proof}" \\
      -H "Content-Type: application/json" \\
      -d '${body}'

  Then watch the job:
    curl -s ${stack.apiUrl}/replications/<jobId> -H "Authorization: ${proof}"

  The ops console, signed in as account ${LOCAL.demoAccountId} for an hour (npm run -s proof -- --console${where} for another):
    ${consoleUrl}

  The ops CLI and the AWS CLI, as account ${LOCAL.demoAccountId} (its keys as AWS credentials in this shell):
    eval "$(npm run -s cloud-env -- ${LOCAL.demoAccountId} --endpoint ${stack.endpoints.cloud})"
    npx snaprelay jobs --api ${stack.apiUrl}
    aws ec2 describe-snapshots --region ${LOCAL.demoRegion} --owner-ids self
`);
};

const main = async () => {
  const ports = localPorts();
  const waitScale = localWaitScale();
  const stack = await startStack({
    ports,
    clockSpeed: localClockSpeed(),
    ...(waitScale === undefined ? {} : { waitScale }),
    dataDir: resolve(process.env.SNAPRELAY_DATA_DIR ?? ".local-data"),
    log: stackLog.info,
    verbose: process.env.SNAPRELAY_VERBOSE === "1",
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    stackLog.info(`${signal}: stopping…`);
    await stack.stop();
    stackLog.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    const snapshotId = await seedDemoSnapshot(stack);
    const signer = proofSigner(
      stack.apiUrl,
      localCredentialsFor(stack.endpoints.cloud, LOCAL.demoAccountId),
    );
    const { url } = await consoleLink(stack.apiUrl, signer);
    printWelcome(stack, snapshotId, url);
    const health = await fetch(`${stack.apiUrl}/health`);
    if (!health.ok) throw new Error(`/health answered ${health.status}: ${await health.text()}`);
    stackLog.info("snaprelay ready (Ctrl-C stops everything)");
  } catch (error) {
    await stack.stop();
    throw error;
  }
};

main().catch((error: unknown) => {
  stackLog.error(`could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
