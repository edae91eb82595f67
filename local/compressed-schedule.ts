// The functions serverless.yml runs on a schedule (`rate(1 minute)`: the sweeper and the DR
// scheduler), run on the compressed clock. serverless-offline fires schedules in real minutes,
// which at twenty times real speed are twenty clock minutes: a lost wake-up the sweeper would
// make good within a minute in AWS would cost a slot twenty. Under a compressed clock this
// invokes them every clock minute as well (never closer than MIN_REAL_MS apart, and never while
// the last run is still going), through serverless-offline's Lambda endpoint.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";

/** How often the schedules fire, in the clock's seconds (serverless.yml: rate(1 minute)). */
const EVERY_CLOCK_SECONDS = 60;
/** Runs closer together than this would only load the machine. */
const MIN_REAL_MS = 3_000;

export interface CompressedSchedule {
  stop(): Promise<void>;
}

export const startCompressedSchedule = (options: {
  lambdaEndpoint: string;
  region: string;
  /** The functions' names, as serverless-offline knows them (service-stage-key). */
  functionNames: readonly string[];
  clockSpeed: number;
  log: (line: string) => void;
}): CompressedSchedule | undefined => {
  if (options.clockSpeed <= 1) return undefined;
  const client = new LambdaClient({
    endpoint: options.lambdaEndpoint,
    region: options.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const everyMs = Math.max(MIN_REAL_MS, (EVERY_CLOCK_SECONDS * 1000) / options.clockSpeed);
  const running = new Map<string, Promise<void>>();
  const fire = (functionName: string) => {
    if (running.has(functionName)) return;
    const run = client
      .send(
        new InvokeCommand({
          FunctionName: functionName,
          Payload: new TextEncoder().encode(
            JSON.stringify({ source: "aws.events", "detail-type": "Scheduled Event", detail: {} }),
          ),
        }),
      )
      .then(
        (result) => {
          if (result.FunctionError) {
            options.log(`the scheduled run of ${functionName} failed: ${result.FunctionError}`);
          }
        },
        (error: unknown) =>
          options.log(
            `the scheduled run of ${functionName} could not be invoked: ${error instanceof Error ? error.message : String(error)}`,
          ),
      )
      .finally(() => running.delete(functionName));
    running.set(functionName, run);
  };
  const timer = setInterval(() => {
    for (const name of options.functionNames) fire(name);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(running.values());
      client.destroy();
    },
  };
};
