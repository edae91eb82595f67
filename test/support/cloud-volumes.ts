// Volumes and their snapshots in a running local cloud, as an ops team's fleet would have them:
// tagged volumes, new snapshots as their data changes, and (a test knob) a snapshot dated back.
import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { localCredentialsFor } from "../../local/cloud/index.js";
import { LOCAL } from "../../local/defaults.js";

export interface CloudVolumes {
  /** A volume of `blocks` blocks, written, carrying `tags`. */
  volume(region: string, blocks: number, tags?: Record<string, string>): Promise<string>;
  /** Writes one more block (so the next snapshot differs) and snapshots it; waits until completed. */
  snapshot(region: string, volumeId: string): Promise<string>;
  /** Dates a snapshot back by `minutes`. */
  backdate(region: string, snapshotId: string, minutes: number): Promise<void>;
  ec2(region: string): EC2Client;
  close(): void;
}

export const cloudVolumes = (
  cloudUrl: string,
  accountId: string = LOCAL.demoAccountId,
): CloudVolumes => {
  const clients = new Map<string, EC2Client>();
  const writes = new Map<string, number>();
  const ec2 = (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = new EC2Client({
        region,
        endpoint: cloudUrl,
        credentials: localCredentialsFor(cloudUrl, accountId),
        maxAttempts: 10,
      });
      clients.set(region, client);
    }
    return client;
  };
  const admin = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${cloudUrl}/_admin/${path}?account=${accountId}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`admin ${path}: ${JSON.stringify(answer)}`);
    return answer;
  };
  return {
    ec2,
    async volume(region, blocks, tags = {}) {
      const created = await admin(`regions/${region}/volumes`, {
        sizeBytes: blocks * 512 * 1024,
      });
      const volumeId = String(created.volumeId);
      await admin(`regions/${region}/volumes/${volumeId}/fill`, {
        firstBlock: 0,
        count: blocks,
        seed: `${volumeId}-base`,
      });
      writes.set(volumeId, 0);
      if (Object.keys(tags).length > 0) {
        await ec2(region).send(
          new CreateTagsCommand({
            Resources: [volumeId],
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
      }
      return volumeId;
    },
    async snapshot(region, volumeId) {
      const written = (writes.get(volumeId) ?? 0) + 1;
      writes.set(volumeId, written);
      await admin(`regions/${region}/volumes/${volumeId}/fill`, {
        firstBlock: 0,
        count: 1,
        seed: `${volumeId}-${written}`,
      });
      const { SnapshotId } = await ec2(region).send(
        new CreateSnapshotCommand({ VolumeId: volumeId }),
      );
      if (!SnapshotId) throw new Error("CreateSnapshot returned no SnapshotId");
      for (;;) {
        const { Snapshots } = await ec2(region).send(
          new DescribeSnapshotsCommand({ SnapshotIds: [SnapshotId] }),
        );
        if (Snapshots?.[0]?.State === "completed") return SnapshotId;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async backdate(region, snapshotId, minutes) {
      await admin(`regions/${region}/snapshots/${snapshotId}/start-time`, {
        startTime: new Date(Date.now() - minutes * 60_000).toISOString(),
      });
    },
    close() {
      for (const client of clients.values()) client.destroy();
    },
  };
};
