// The local SQS: moto_server (moto 5, the machine's Python), bound to the loopback interface,
// holding the queues serverless.yml declares (AWS::SQS::Queue resources), made with the same
// attributes: retention, visibility timeout, encryption, redrive. Its queues live in memory: a
// restart starts them empty (records kept there are lost, never replayed twice).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { parse } from "yaml";
import { LOCAL } from "./defaults.js";
import { type Child, startChild, waitFor } from "./processes.js";

const serverlessYml = fileURLToPath(new URL("../serverless.yml", import.meta.url));

export const sqsClient = (endpoint: string) =>
  new SQSClient({
    endpoint,
    region: LOCAL.homeRegion,
    credentials: { accessKeyId: LOCAL.accessKeyId, secretAccessKey: LOCAL.secretAccessKey },
  });

export const assertMotoInstalled = (): void => {
  const found = spawnSync("sh", ["-c", "command -v moto_server"], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new Error(
      "moto_server is needed to run the local SQS (the copy events' failure destination), and it was not found on PATH. Install moto 5 with its server (`pip install 'moto[server]'`), then start again.",
    );
  }
};

export interface LocalSqs {
  endpoint: string;
  /** The URL of each declared queue, by its logical id in serverless.yml. */
  queueUrls: Record<string, string>;
  stop(): Promise<void>;
}

type QueueProperties = Record<string, unknown>;

/** The queue attributes CloudFormation's AWS::SQS::Queue properties set, as CreateQueue takes them. */
const PLAIN_ATTRIBUTES = [
  "DelaySeconds",
  "MaximumMessageSize",
  "MessageRetentionPeriod",
  "ReceiveMessageWaitTimeSeconds",
  "VisibilityTimeout",
  "SqsManagedSseEnabled",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
  "FifoQueue",
  "ContentBasedDeduplication",
] as const;

/** `${self:service}` and `${sls:stage}`, the only variables a queue's declaration may use. */
const resolveName = (name: unknown): string => {
  const variables: Record<string, string> = {
    "self:service": LOCAL.service,
    "sls:stage": LOCAL.stage,
  };
  const resolved = String(name).replace(
    /\$\{([\w:]+)\}/g,
    (written, variable: string) => variables[variable] ?? written,
  );
  if (resolved.includes("${")) {
    throw new Error(`The local SQS cannot resolve the queue name ${String(name)}`);
  }
  return resolved;
};

/** The logical id a `{ Fn::GetAtt: [id, Arn] }` names. */
const getAttArnOf = (value: unknown): string | undefined => {
  const getAtt = (value as { "Fn::GetAtt"?: unknown } | null)?.["Fn::GetAtt"];
  return Array.isArray(getAtt) && getAtt[1] === "Arn" ? String(getAtt[0]) : undefined;
};

/** serverless.yml's queues, each after the queues its redrive policy names. */
export const declaredQueues = (
  resources: Record<string, { Type?: string; Properties?: QueueProperties }> = (
    parse(readFileSync(serverlessYml, "utf8")) as {
      resources: { Resources: Record<string, { Type?: string; Properties?: QueueProperties }> };
    }
  ).resources.Resources,
): Array<{ id: string; properties: QueueProperties }> => {
  const queues = new Map(
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === "AWS::SQS::Queue")
      .map(([id, resource]) => [id, resource.Properties ?? {}]),
  );
  const ordered: Array<{ id: string; properties: QueueProperties }> = [];
  const visit = (id: string, path: string[]) => {
    if (ordered.some((queue) => queue.id === id)) return;
    if (path.includes(id)) throw new Error(`Queues redrive to each other: ${path.join(" → ")}`);
    const properties = queues.get(id);
    if (!properties) throw new Error(`A redrive policy names ${id}, which is no declared queue`);
    const deadLetter = getAttArnOf(
      (properties.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)
        ?.deadLetterTargetArn,
    );
    if (deadLetter) visit(deadLetter, [...path, id]);
    ordered.push({ id, properties });
  };
  for (const id of queues.keys()) visit(id, []);
  return ordered;
};

/** Creates each declared queue (an existing one with the same attributes is kept). */
export const createDeclaredQueues = async (
  endpoint: string,
  queues = declaredQueues(),
): Promise<Record<string, string>> => {
  const sqs = sqsClient(endpoint);
  const urls: Record<string, string> = {};
  const arns: Record<string, string> = {};
  try {
    for (const { id, properties } of queues) {
      const known = new Set([...PLAIN_ATTRIBUTES, "QueueName", "RedrivePolicy", "Tags"]);
      const unknown = Object.keys(properties).filter((key) => !known.has(key));
      if (unknown.length > 0) {
        // A property the local queue would not honour is refused, never ignored.
        throw new Error(`The local SQS does not model ${id}'s ${unknown.join(", ")}`);
      }
      const attributes: Record<string, string> = {};
      for (const name of PLAIN_ATTRIBUTES) {
        if (properties[name] !== undefined) attributes[name] = String(properties[name]);
      }
      const redrive = properties.RedrivePolicy as
        | { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown }
        | undefined;
      if (redrive) {
        const target = getAttArnOf(redrive.deadLetterTargetArn);
        const targetArn = target ? arns[target] : String(redrive.deadLetterTargetArn);
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: targetArn,
          maxReceiveCount: Number(redrive.maxReceiveCount),
        });
      }
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({
          QueueName: resolveName(properties.QueueName),
          Attributes: attributes,
        }),
      );
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
      );
      urls[id] = String(QueueUrl);
      arns[id] = String(Attributes?.QueueArn);
    }
    return urls;
  } finally {
    sqs.destroy();
  }
};

/** Starts moto_server on `port`, as the service account, and makes the declared queues. */
export const startLocalSqs = async (options: {
  port: number;
  echo?: (line: string) => void;
}): Promise<LocalSqs> => {
  assertMotoInstalled();
  const endpoint = `http://127.0.0.1:${options.port}`;
  const child: Child = startChild(
    "moto_server",
    "moto_server",
    ["-H", "127.0.0.1", "-p", String(options.port)],
    {
      // Queues are the service account's, as in AWS, whatever key signs.
      env: { ...process.env, MOTO_ACCOUNT_ID: LOCAL.serviceAccountId },
      ...(options.echo ? { echo: options.echo } : {}),
    },
  );
  try {
    const sqs = sqsClient(endpoint);
    await waitFor(
      "the local SQS (moto_server)",
      async () => {
        await sqs.send(new ListQueuesCommand({}));
        return true;
      },
      30_000,
      () => (child.process.exitCode !== null ? child.output() : undefined),
    ).finally(() => sqs.destroy());
    const queueUrls = await createDeclaredQueues(endpoint);
    return { endpoint, queueUrls, stop: () => child.stop() };
  } catch (error) {
    await child.stop();
    throw error;
  }
};
