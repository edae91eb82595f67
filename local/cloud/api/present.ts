// How snapshots and volumes appear in EC2's XML (`status` on the wire is the SDK's `State`).
import type { Snapshot, Tag, Volume } from "../model.js";
import type { XmlMembers, XmlValue } from "../wire/xml.js";

export const tagSet = (tags: readonly Tag[]): XmlValue =>
  tags.map(({ key, value }) => ({ key, value }));

export function snapshotMembers(snapshot: Snapshot): XmlMembers {
  return {
    snapshotId: snapshot.snapshotId,
    volumeId: snapshot.volumeId,
    status: snapshot.state,
    statusMessage: snapshot.state === "error" ? snapshot.stateMessage : undefined,
    startTime: snapshot.startTime,
    completionTime: snapshot.state === "completed" ? snapshot.completionTime : undefined,
    progress: `${snapshot.progress}%`,
    ownerId: snapshot.ownerId,
    volumeSize: snapshot.volumeSize,
    description: snapshot.description,
    encrypted: false,
    storageTier: "standard",
    tagSet: tagSet(snapshot.tags),
  };
}

export function volumeMembers(volume: Volume): XmlMembers {
  return {
    volumeId: volume.volumeId,
    size: volume.size,
    snapshotId: volume.snapshotId ?? "",
    availabilityZone: volume.availabilityZone,
    status: volume.state,
    createTime: volume.createTime,
    attachmentSet: [],
    encrypted: false,
    volumeType: volume.volumeType,
    iops: volume.iops,
    throughput: volume.throughput,
    multiAttachEnabled: false,
    tagSet: tagSet(volume.tags),
  };
}
