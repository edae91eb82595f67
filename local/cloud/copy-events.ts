// The events the local cloud sends when a copy ends, as EBS does: an "EBS Snapshot Notification"
// (source aws.ec2, detail.event copySnapshot, result succeeded or failed) put on the EventBridge
// bus at `endpoint` (the local EventBridge of the stack, AWS_ENDPOINT_URL_EVENTBRIDGE). Like EBS's,
// they are best effort: a share of them can be dropped on purpose (the eventDropRate knob), and one
// that cannot be delivered is counted and let go.
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { cloudLog } from "../log.js";
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
  /** Could not be delivered (no bus listening, an error). */
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

export const copyEventSink = (
  endpoint: string | undefined,
  knobs: Pick<LocalCloudKnobs, "eventDropRate">,
  random: () => number = Math.random,
): CopyEventSink => {
  const counts: CopyEventCounts = { sent: 0, dropped: 0, undelivered: 0 };
  const inFlight = new Set<Promise<void>>();
  const clients = new Map<string, EventBridgeClient>();
  const clientFor = (region: string, url: string) => {
    let client = clients.get(region);
    if (!client) {
      client = new EventBridgeClient({
        region,
        endpoint: url,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        maxAttempts: 3,
      });
      clients.set(region, client);
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
      const sending = clientFor(ending.destinationRegion, endpoint)
        .send(new PutEventsCommand({ Entries: [copyEventEntry(ending)] }))
        .then(
          () => {
            counts.sent++;
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
