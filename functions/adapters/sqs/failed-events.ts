// The FailedEvents port on SQS: the standard queue serverless.yml makes the copyEvents function's
// on-failure destination (FailedCopyEventsQueue). Short polls: a sweep never waits on an empty
// queue, and a record a short poll misses is received by a later sweep.
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { FailedEvent, FailedEvents } from "../../core/ports.js";

export class SqsFailedEvents implements FailedEvents {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async receive(max: number): Promise<FailedEvent[]> {
    const { Messages = [] } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    return Messages.flatMap((message) =>
      message.MessageId && message.ReceiptHandle
        ? [
            {
              id: message.MessageId,
              body: message.Body ?? "",
              receipt: message.ReceiptHandle,
              receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
            },
          ]
        : [],
    );
  }

  async delete(receipt: string): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }),
    );
  }
}
