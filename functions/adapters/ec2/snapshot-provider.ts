// The SnapshotProvider port on EC2's API, through @aws-sdk/client-ec2: the same code talks to
// real EC2 in AWS and to the local cloud offline. EC2's error codes become domain errors here.
import {
  CopySnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  paginateDescribeSnapshots,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import { DomainError } from "../../core/errors.js";
import type {
  CopyRequest,
  SnapshotProvider,
  SnapshotState,
  SnapshotView,
} from "../../core/ports.js";

export type Ec2ClientForRegion = (region: string) => EC2Client;

const errorCode = (error: unknown): string | undefined =>
  error && typeof error === "object" && "name" in error ? String(error.name) : undefined;

/** Turns the EC2 errors the state machine treats specially into named domain errors. */
const translate = (error: unknown, context: string): unknown => {
  switch (errorCode(error)) {
    case "RequestLimitExceeded":
      return new DomainError("CloudThrottled", `${context}: EC2 throttled the request.`, {
        cause: error,
      });
    case "ResourceLimitExceeded":
      return new DomainError(
        "CopyCapacityExceeded",
        `${context}: the destination region has as many copies in progress as EC2 allows.`,
        { cause: error },
      );
    default:
      return error;
  }
};

const toView = (region: string, snapshot: Snapshot): SnapshotView => ({
  snapshotId: snapshot.SnapshotId ?? "",
  region,
  state: (snapshot.State ?? "pending") as SnapshotState,
  progress: Number.parseInt(snapshot.Progress ?? "0", 10) || 0,
  volumeId: snapshot.VolumeId ?? "",
  volumeSizeGiB: snapshot.VolumeSize ?? 0,
  description: snapshot.Description ?? "",
  startTime: (snapshot.StartTime ?? new Date(0)).toISOString(),
  ...(snapshot.StateMessage ? { stateMessage: snapshot.StateMessage } : {}),
  tags: Object.fromEntries((snapshot.Tags ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
});

export class Ec2SnapshotProvider implements SnapshotProvider {
  constructor(private readonly clientFor: Ec2ClientForRegion) {}

  async describe(region: string, snapshotId: string): Promise<SnapshotView | undefined> {
    try {
      const { Snapshots } = await this.clientFor(region).send(
        new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId], OwnerIds: ["self"] }),
      );
      const snapshot = Snapshots?.[0];
      return snapshot ? toView(region, snapshot) : undefined;
    } catch (error) {
      if (errorCode(error) === "InvalidSnapshot.NotFound") return undefined;
      throw translate(error, `Describing ${snapshotId} in ${region}`);
    }
  }

  async findCopy(
    destinationRegion: string,
    tags: Record<string, string>,
  ): Promise<SnapshotView | undefined> {
    try {
      const { Snapshots } = await this.clientFor(destinationRegion).send(
        new DescribeSnapshotsCommand({
          OwnerIds: ["self"],
          Filters: Object.entries(tags).map(([key, value]) => ({
            Name: `tag:${key}`,
            Values: [value],
          })),
        }),
      );
      // A copy that failed is not one to resume; the newest live one wins.
      const live = (Snapshots ?? [])
        .filter((snapshot) => snapshot.State !== "error")
        .sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0));
      return live[0] ? toView(destinationRegion, live[0]) : undefined;
    } catch (error) {
      throw translate(error, `Looking for an earlier copy in ${destinationRegion}`);
    }
  }

  async startCopy(request: CopyRequest): Promise<string> {
    try {
      const { SnapshotId } = await this.clientFor(request.destinationRegion).send(
        new CopySnapshotCommand({
          SourceRegion: request.sourceRegion,
          SourceSnapshotId: request.sourceSnapshotId,
          Description: request.description,
          TagSpecifications: [
            {
              ResourceType: "snapshot",
              Tags: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })),
            },
          ],
        }),
      );
      if (!SnapshotId) throw new Error("EC2 CopySnapshot returned no SnapshotId");
      return SnapshotId;
    } catch (error) {
      throw translate(
        error,
        `Copying ${request.sourceSnapshotId} from ${request.sourceRegion} to ${request.destinationRegion}`,
      );
    }
  }

  async countOwned(region: string): Promise<number> {
    let count = 0;
    try {
      for await (const page of paginateDescribeSnapshots(
        { client: this.clientFor(region), pageSize: 1000 },
        { OwnerIds: ["self"] },
      )) {
        count += page.Snapshots?.length ?? 0;
      }
    } catch (error) {
      throw translate(error, `Counting the snapshots in ${region}`);
    }
    return count;
  }

  async delete(region: string, snapshotId: string): Promise<void> {
    try {
      await this.clientFor(region).send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    } catch (error) {
      if (errorCode(error) === "InvalidSnapshot.NotFound") return;
      throw translate(error, `Deleting ${snapshotId} in ${region}`);
    }
  }
}
