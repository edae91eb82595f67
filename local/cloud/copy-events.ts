// The events the local cloud sends when a copy ends, as EBS does: an "EBS Snapshot Notification"
// (source aws.ec2, detail.event copySnapshot, result succeeded or failed) put on the EventBridge
// bus at `endpoint` (the local EventBridge of the stack, AWS_ENDPOINT_URL_EVENTBRIDGE). The cloud
// plays EBS and the copy's account's forwarding rule at once (docs/deploy/tenant-copy-events.yml):
// each event is signed with the keys of the account whose copy ended, for the copy's region, and
// names that rule, so the bus takes it as that account's rule's delivery and applies its policy to
// it (local/event-bus/gate.ts). Like EBS's, the events are best effort: a share of them can be
// dropped on purpose (the eventDropRate knob), and one that cannot be delivered, or that the bus
// refuses, is counted and let go.
import {
  type EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
} from "@aws-sdk/client-eventbridge";
import { FORWARDED_BY } from "../event-bus/gate.js";
import { signedHeaderClient } from "../event-bus/signed-header-client.js";
import { cloudLog } from "../log.js";
import type { LocalCredentials } from "./auth/local-keys.js";
import type { LocalCloudKnobs } from "./options.js";

/** What the cloud knows of a copy when it ends. */
export interface CopyEnding {
  accountId: string;
  sourceRegion: string;
  sourceSnapshotId: string;
  destinationRegion: string;
  destinationSnapshotId: string;
  result: "succeeded" | "failed";
  cause?: string;
  startTime: string;
  endTime: string;
  incremental: boolean;
}

export interface CopyEventCounts {
  sent: number;
  dropped: number;
  /** Could not be delivered (no bus listening, an error, or refused by the bus). */
  undelivered: number;
}

export interface CopyEventSink {
  copyEnded(ending: CopyEnding): void;
  counts(): CopyEventCounts;
  /** Resolves once every event being sent has been delivered or given up. */
  settle(): Promise<void>;
}

/** EBS names snapshots in its events as `arn:aws:ec2::<region>:snapshot/<id>`. */
export const snapshotArn = (region: string, snapshotId: string) =>
  `arn:aws:ec2::${region}:snapshot/${snapshotId}`;

/** The event EBS sends about a copy that ended, in PutEvents' entry form. */
export const copyEventEntry = (ending: CopyEnding) => ({
  Source: "aws.ec2",
  DetailType: "EBS Snapshot Notification",
  Resources: [snapshotArn(ending.destinationRegion, ending.destinationSnapshotId)],
  Detail: JSON.stringify({
    event: "copySnapshot",
    result: ending.result,
    cause: ending.cause ?? "",
    "request-id": "",
    snapshot_id: snapshotArn(ending.destinationRegion, ending.destinationSnapshotId),
    source: snapshotArn(ending.sourceRegion, ending.sourceSnapshotId),
    startTime: ending.startTime,
    endTime: ending.endTime,
    incremental: String(ending.incremental),
  }),
});

/** The rule of the account's that forwards its copies' events from `region` to snaprelay's bus. */
export const forwardingRuleArn = (accountId: string, region: string) =>
  `arn:aws:events:${region}:${accountId}:rule/snaprelay-copy-events`;

/**
 * An EventBridge client that puts events as `accountId`'s forwarding rule in `region` delivers
 * them: signed with the account's keys, naming the rule (before signing, so the signature covers it).
 */
export const ruleDeliveryClient = (options: {
  accountId: string;
  region: string;
  endpoint: string;
  credentials: EventBridgeClientConfig["credentials"];
}): EventBridgeClient =>
  signedHeaderClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    header: { name: FORWARDED_BY, value: forwardingRuleArn(options.accountId, options.region) },
  });

export const copyEventSink = (
  endpoint: string | undefined,
  knobs: Pick<LocalCloudKnobs, "eventDropRate">,
  /** Each account's local keys, which its events are signed with. */
  credentialsFor: (accountId: string) => LocalCredentials,
  random: () => number = Math.random,
): CopyEventSink => {
  const counts: CopyEventCounts = { sent: 0, dropped: 0, undelivered: 0 };
  const inFlight = new Set<Promise<void>>();
  const clients = new Map<string, EventBridgeClient>();
  const clientFor = (accountId: string, region: string, url: string) => {
    let client = clients.get(`${accountId}/${region}`);
    if (!client) {
      const { accessKeyId, secretAccessKey } = credentialsFor(accountId);
      client = ruleDeliveryClient({
        accountId,
        region,
        endpoint: url,
        credentials: { accessKeyId, secretAccessKey },
      });
      clients.set(`${accountId}/${region}`, client);
    }
    return client;
  };
  return {
    copyEnded(ending) {
      if (!endpoint) return;
      if (random() < knobs.eventDropRate) {
        counts.dropped++;
        return;
      }
      const sending = clientFor(ending.accountId, ending.destinationRegion, endpoint)
        .send(new PutEventsCommand({ Entries: [copyEventEntry(ending)] }))
        .then(
          (answer) => {
            const refused = answer.Entries?.find((entry) => entry.ErrorCode);
            if (!refused) {
              counts.sent++;
              return;
            }
            counts.undelivered++;
            cloudLog.warn(
              `the bus refused the copySnapshot event of ${ending.destinationSnapshotId} (account ${ending.accountId}): ${refused.ErrorCode}: ${refused.ErrorMessage}`,
            );
          },
          (error: unknown) => {
            counts.undelivered++;
            cloudLog.warn(
              `the copySnapshot event of ${ending.destinationSnapshotId} could not be delivered to ${endpoint}: ${error instanceof Error ? error.message : String(error)}`,
            );
          },
        )
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    },
    counts: () => ({ ...counts }),
    async settle() {
      await Promise.all([...inFlight]);
    },
  };
};
