// The events Step Functions sends as a Standard execution's status changes: a "Step Functions
// Execution Status Change" (source aws.states) on the default bus of the execution's account and
// region, when it starts (RUNNING) and when it ends (SUCCEEDED, FAILED, TIMED_OUT or ABORTED):
// https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
// Here that bus is the local EventBridge at `endpoint`. Each event is signed with the keys of the
// endpoint's account, for its region, and carries the token the stack gave this endpoint and the
// bus's gate alone, the mark of the service's own delivery: the gate takes an aws.* event from
// nothing else (local/event-bus/gate.ts). As AWS's, the events are best effort: an execution
// neither waits for them nor fails for them, one that cannot be delivered, or that the bus
// refuses, is counted and let go, and they may arrive out of order, as AWS warns they may.
import {
  type EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
} from "@aws-sdk/client-eventbridge";
import { AWS_SERVICE_TOKEN } from "../event-bus/gate.js";
import { signedHeaderClient } from "../event-bus/signed-header-client.js";
import { log } from "../log.js";
import type { ExecutionStatus } from "./execution.js";

export interface StatusEventsOptions {
  /** The EventBridge endpoint whose bus takes the events (the stack's local EventBridge). */
  endpoint: string;
  /** The token that marks a PutEvents as the service's own; the bus's gate holds the same. */
  token: string;
  /** The keys of the endpoint's account (the bus's owner), which sign every event. */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface StatusEventCounts {
  sent: number;
  /** Could not be delivered (no bus listening, an error, or refused by the bus), and dropped. */
  undelivered: number;
}

/** An execution as its status change tells it. */
export interface ExecutionStatusView {
  arn: string;
  name: string;
  machine: { arn: string };
  status: ExecutionStatus;
  startDate: number;
  stopDate: number | undefined;
  input: string;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
}

export interface StatusEventSink {
  /** Sends the execution's new status, without waiting for it or failing for it. */
  statusChanged(execution: ExecutionStatusView): void;
  counts(): StatusEventCounts;
  /** Waits for the events being sent to be delivered or given up, `withinMs` at most; sends no more. */
  close(withinMs: number): Promise<void>;
}

export const STATUS_CHANGE = "Step Functions Execution Status Change";

/**
 * EventBridge takes an entry of 256 KB at most: Step Functions leaves the input out of an event
 * when the escaped input and output together exceed 248 KiB, and the output when the escaped
 * output alone does, saying so in inputDetails/outputDetails.included.
 */
export const EVENT_PAYLOAD_LIMIT = 248 * 1024;

/** The size of a payload as the event carries it: escaped as a JSON string, in UTF-8. */
const escapedSize = (text: string): number => Buffer.byteLength(JSON.stringify(text)) - 2;

/** The event's detail: what DescribeExecution says of the execution at this status. */
export const statusEventDetail = (execution: ExecutionStatusView) => {
  const { status, input } = execution;
  const output = status === "SUCCEEDED" ? execution.output : undefined;
  const outputSize = output === undefined ? 0 : escapedSize(output);
  const inputIncluded = escapedSize(input) + outputSize <= EVENT_PAYLOAD_LIMIT;
  const outputIncluded = outputSize <= EVENT_PAYLOAD_LIMIT;
  const ended = status !== "RUNNING" && status !== "SUCCEEDED";
  return {
    executionArn: execution.arn,
    stateMachineArn: execution.machine.arn,
    name: execution.name,
    status,
    startDate: execution.startDate,
    stopDate: execution.stopDate ?? null,
    input: inputIncluded ? input : null,
    inputDetails: { included: inputIncluded },
    // AWS's examples give output and outputDetails only when the execution succeeded.
    output: output !== undefined && outputIncluded ? output : null,
    outputDetails: output === undefined ? null : { included: outputIncluded },
    error: ended ? (execution.error ?? null) : null,
    cause: ended ? (execution.cause ?? null) : null,
  };
};

/** The event Step Functions sends about an execution's status, in PutEvents' entry form. */
export const statusEventEntry = (execution: ExecutionStatusView) => ({
  Source: "aws.states",
  DetailType: STATUS_CHANGE,
  Resources: [execution.arn],
  Time: new Date(execution.stopDate ?? execution.startDate),
  Detail: JSON.stringify(statusEventDetail(execution)),
});

/**
 * An EventBridge client that puts events as the local Step Functions service delivers them: signed
 * with `credentials` for `region`, carrying `token` in AWS_SERVICE_TOKEN, set before signing so
 * that the signature covers it (the gate takes the token in no unsigned header).
 */
export const serviceDeliveryClient = (options: {
  region: string;
  endpoint: string;
  credentials: EventBridgeClientConfig["credentials"];
  token: string;
}): EventBridgeClient =>
  signedHeaderClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    header: { name: AWS_SERVICE_TOKEN, value: options.token },
  });

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const statusEventSink = (options: StatusEventsOptions, region: string): StatusEventSink => {
  const counts: StatusEventCounts = { sent: 0, undelivered: 0 };
  const inFlight = new Set<Promise<void>>();
  const client = serviceDeliveryClient({
    region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    token: options.token,
  });
  let closed = false;
  const undelivered = (what: string, why: string) => {
    counts.undelivered++;
    log.warn(`local Step Functions: ${what} could not be delivered to ${options.endpoint}: ${why}`);
  };
  return {
    statusChanged(execution) {
      const what = `the ${execution.status} event of ${execution.arn}`;
      if (closed) {
        undelivered(what, "the endpoint is closing");
        return;
      }
      let sending: Promise<void>;
      try {
        sending = client
          .send(new PutEventsCommand({ Entries: [statusEventEntry(execution)] }))
          .then(
            (answer) => {
              const refused = answer.Entries?.find((entry) => entry.ErrorCode);
              if (!refused) {
                counts.sent++;
                return;
              }
              undelivered(
                what,
                `the bus refused it: ${refused.ErrorCode}: ${refused.ErrorMessage}`,
              );
            },
            (error: unknown) => undelivered(what, messageOf(error)),
          );
      } catch (error) {
        // Whatever goes wrong here is the event's loss, never the execution's.
        undelivered(what, messageOf(error));
        return;
      }
      const settled = sending.finally(() => inFlight.delete(settled));
      inFlight.add(settled);
    },
    counts: () => ({ ...counts }),
    async close(withinMs) {
      closed = true;
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, withinMs);
      });
      await Promise.race([Promise.all([...inFlight]), bound]);
      clearTimeout(timer);
      // Whatever is still being sent is cut off and counted undelivered.
      client.destroy();
    },
  };
};
