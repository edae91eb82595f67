// serverless-offline: the HTTP API on one port and the Lambda Invoke API (used by the local
// Step Functions endpoint) on another, serving the handlers bundled in dist/.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Child, startChild, waitFor } from "./processes.js";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));

export const startServerlessOffline = async (options: {
  httpPort: number;
  lambdaPort: number;
  env: NodeJS.ProcessEnv;
  echo?: (line: string) => void;
}): Promise<Child> => {
  if (!existsSync(`${projectRoot}dist/api/handler.js`)) {
    throw new Error("The handlers are not built: run `npm run build` (npm start does it for you).");
  }
  const child = startChild(
    "serverless-offline",
    process.execPath,
    [
      // The handlers run in this process (useInProcess): their stack traces name our sources.
      "--enable-source-maps",
      `${projectRoot}node_modules/osls/bin/serverless.js`,
      "offline",
      "start",
      "--httpPort",
      String(options.httpPort),
      "--lambdaPort",
      String(options.lambdaPort),
      "--host",
      "127.0.0.1",
    ],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        ...options.env,
        SLS_TELEMETRY_DISABLED: "1",
        SLS_NOTIFICATIONS_MODE: "off",
      },
      ...(options.echo ? { echo: options.echo } : {}),
    },
  );
  try {
    await waitFor(
      "serverless-offline",
      async () => (await fetch(`http://127.0.0.1:${options.httpPort}/health`)).status !== 0,
      60_000,
      () => (child.process.exitCode !== null ? child.output() : undefined),
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  return child;
};
