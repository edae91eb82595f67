// CreateVolume: an empty volume (all zeros, no blocks stored), or one restored from a completed
// snapshot of the same region, holding its blocks. A repeated ClientToken returns the first volume.
import { WireError } from "../../wire-error.js";
import { emptyVolumeBlocks, sizeBytesOf, volumeFrom } from "../block-map.js";
import { GIB, type Volume } from "../model.js";
import {
  incorrectState,
  invalidParameterValue,
  missingParameter,
  snapshotNotFound,
} from "../wire/errors.js";
import type { QueryParams } from "../wire/query-params.js";
import type { Operation } from "./context.js";
import { volumeMembers } from "./present.js";
import { tagsFromSpecifications } from "./tags.js";

const VOLUME_TYPES = ["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"];
const MAX_SIZE_GIB = 16384;

export const createVolume: Operation = {
  changesState: true,
  run({ region, params, store }) {
    const availabilityZone = params.required("AvailabilityZone");
    // Zones are named after their region in AWS (us-east-1a) and in the seed's clouds alike.
    if (!availabilityZone.startsWith(region)) {
      throw invalidParameterValue(
        `Invalid availability zone: [${availabilityZone}]; zones of ${region} start with '${region}'.`,
      );
    }
    const volumeType = params.optional("VolumeType") ?? "gp2";
    if (!VOLUME_TYPES.includes(volumeType)) {
      throw invalidParameterValue(
        `Value (${volumeType}) for parameter VolumeType is invalid; use one of ${VOLUME_TYPES.join(", ")}.`,
      );
    }
    const world = store.peekRegion(region);
    const snapshotId = params.optional("SnapshotId") || undefined;
    const snapshot = snapshotId === undefined ? undefined : world?.snapshots.get(snapshotId);
    if (snapshotId !== undefined && !snapshot) throw snapshotNotFound([snapshotId]);
    if (snapshot && snapshot.state !== "completed") {
      throw incorrectState(
        `Snapshot '${snapshot.snapshotId}' is ${snapshot.state}; a volume can only be created from a completed snapshot.`,
      );
    }
    const size = volumeSize(params, snapshot?.volumeSize);
    const manifest = snapshot && store.manifest(region, snapshot.snapshotId);
    // Size left out of a restore means the snapshot's own size, which for a small test volume of
    // the admin tool is less than the whole GiB EC2 shows.
    const sizeBytes =
      manifest && params.optional("Size") === undefined ? sizeBytesOf(manifest) : size * GIB;
    const tags = tagsFromSpecifications(params, "volume");
    const clientToken = params.optional("ClientToken") || undefined;
    const fingerprint = JSON.stringify([availabilityZone, size, snapshotId, volumeType, tags]);

    const remembered = clientToken && world?.volumeClientTokens.get(clientToken);
    if (remembered) {
      const volume = world?.volumes.get(remembered.volumeId);
      if (remembered.fingerprint !== fingerprint || !volume) {
        throw new WireError(
          "IdempotentParameterMismatch",
          `ClientToken '${clientToken}' was already used by a CreateVolume call with other parameters.`,
        );
      }
      return volumeMembers(volume);
    }

    const volume: Volume = {
      volumeId: store.newVolumeId(),
      size,
      sizeBytes,
      snapshotId,
      availabilityZone,
      state: "available",
      createTime: new Date().toISOString(),
      volumeType,
      ...performance(params, volumeType, size),
      tags,
    };
    const target = store.region(region);
    target.volumes.set(volume.volumeId, volume);
    const blockCount = sizeBytes / store.blockSizeBytes;
    store.setVolumeBlocks(
      region,
      volume.volumeId,
      manifest
        ? volumeFrom(manifest, blockCount)
        : emptyVolumeBlocks(store.blockSizeBytes, blockCount),
    );
    if (clientToken) {
      target.volumeClientTokens.set(clientToken, {
        token: clientToken,
        volumeId: volume.volumeId,
        fingerprint,
      });
    }
    return volumeMembers(volume);
  },
};

function volumeSize(params: QueryParams, snapshotSize: number | undefined): number {
  const size = params.integer("Size", { min: 1, max: MAX_SIZE_GIB });
  if (size === undefined) {
    if (snapshotSize === undefined) {
      throw missingParameter("Size or SnapshotId");
    }
    return snapshotSize;
  }
  if (snapshotSize !== undefined && size < snapshotSize) {
    throw invalidParameterValue(
      `Size ${size} GiB is smaller than the snapshot's volume size of ${snapshotSize} GiB.`,
    );
  }
  return size;
}

// The figures AWS reports by default, so that callers reading them see plausible values.
function performance(
  params: QueryParams,
  volumeType: string,
  size: number,
): Pick<Volume, "iops" | "throughput"> {
  const iops = params.integer("Iops", { min: 100, max: 256000 });
  const throughput = params.integer("Throughput", { min: 125, max: 2000 });
  switch (volumeType) {
    case "gp2":
      return { iops: Math.min(16000, Math.max(100, 3 * size)) };
    case "gp3":
      return { iops: iops ?? 3000, throughput: throughput ?? 125 };
    case "io1":
    case "io2":
      if (iops === undefined) throw missingParameter(`Iops for ${volumeType} volumes`);
      return { iops };
    default:
      return {};
  }
}
