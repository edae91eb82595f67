// The SQS failed events against a real SQS API (moto_server, the local stack's SQS), through the
// port's contract suite; and the local SQS holds the queues serverless.yml declares, as declared.
import { randomUUID } from "node:crypto";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqsFailedEvents } from "../../functions/adapters/sqs/failed-events.js";
import { LOCAL } from "../../local/defaults.js";
import { type LocalSqs, sqsClient, startLocalSqs } from "../../local/sqs.js";
import { failedEventsContract } from "../support/failed-events-contract.js";
import { freePort } from "../support/free-port.js";

let sqs: LocalSqs;
let client: SQSClient;

beforeAll(async () => {
  sqs = await startLocalSqs({ port: await freePort() });
  client = sqsClient(sqs.endpoint);
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await sqs?.stop();
}, 30_000);

failedEventsContract("the SQS queue", async () => {
  // A queue of its own for each test, hiding a received record for 1 s.
  const { QueueUrl } = await client.send(
    new CreateQueueCommand({
      QueueName: `failed-events-${randomUUID()}`,
      Attributes: { VisibilityTimeout: "1" },
    }),
  );
  const queueUrl = String(QueueUrl);
  return {
    queue: new SqsFailedEvents(client, queueUrl),
    put: async (body) => {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    },
    passVisibilityTimeout: () => new Promise((resolve) => setTimeout(resolve, 1_300)),
  };
});

describe("the local SQS", () => {
  it("holds the failed copy events' queue as serverless.yml declares it", async () => {
    // Act
    const url = String(sqs.queueUrls.FailedCopyEventsQueue);
    const { Attributes = {} } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
    );

    // Assess
    expect(url).toBe(
      `${sqs.endpoint}/${LOCAL.serviceAccountId}/${LOCAL.service}-${LOCAL.stage}-failed-copy-events`,
    );
    expect(Attributes).toMatchObject({
      MessageRetentionPeriod: "1209600",
      VisibilityTimeout: "60",
      SqsManagedSseEnabled: "true",
    });
    expect(JSON.parse(String(Attributes.RedrivePolicy))).toEqual({
      deadLetterTargetArn: `arn:aws:sqs:${LOCAL.homeRegion}:${LOCAL.serviceAccountId}:${LOCAL.service}-${LOCAL.stage}-failed-copy-events-dead`,
      maxReceiveCount: 100,
    });
  });
});
