// Makes a volume and a completed snapshot of it in one region of the local cloud, through the
// EC2 API: the demo's source snapshot, and the tests' too.
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { waitFor } from "./processes.js";

export const createCompletedSnapshot = async (
  ec2: EC2Client,
  region: string,
  options: {
    sizeGiB?: number;
    volumeName?: string;
    description?: string;
    /** Writes the volume's data before the snapshot is taken (a new volume holds none). */
    write?: (volumeId: string) => Promise<unknown>;
  } = {},
): Promise<{ volumeId: string; snapshotId: string }> => {
  const { VolumeId } = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: `${region}-1`,
      Size: options.sizeGiB ?? 8,
      TagSpecifications: [
        {
          ResourceType: "volume",
          Tags: [{ Key: "Name", Value: options.volumeName ?? "demo-orders-db" }],
        },
      ],
    }),
  );
  if (!VolumeId) throw new Error("the local cloud returned no VolumeId");
  await waitFor(
    `volume ${VolumeId}`,
    async () => {
      const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [VolumeId] }));
      return Volumes?.[0]?.State === "available";
    },
    30_000,
  );
  await options.write?.(VolumeId);
  const { SnapshotId } = await ec2.send(
    new CreateSnapshotCommand({ VolumeId, Description: options.description ?? "nightly" }),
  );
  if (!SnapshotId) throw new Error("the local cloud returned no SnapshotId");
  await waitFor(
    `snapshot ${SnapshotId}`,
    async () => {
      const { Snapshots } = await ec2.send(
        new DescribeSnapshotsCommand({ SnapshotIds: [SnapshotId] }),
      );
      return Snapshots?.[0]?.State === "completed";
    },
    60_000,
  );
  return { volumeId: VolumeId, snapshotId: SnapshotId };
};
