// The local cloud's records: what a region holds (snapshots, volumes) and the copies in flight.
// Plain data, so the whole state can be written to and read from one JSON file.

export interface Tag {
  key: string;
  value: string;
}

export type SnapshotState = "pending" | "completed" | "error";

export interface Snapshot {
  snapshotId: string;
  /** The source volume, or `vol-ffffffff` for a copy: a copy has no link to any disk. */
  volumeId: string;
  state: SnapshotState;
  /** Whole percent, 0–100. */
  progress: number;
  startTime: string;
  completionTime?: string;
  stateMessage?: string;
  ownerId: string;
  /** GiB. */
  volumeSize: number;
  description: string;
  tags: Tag[];
}

export interface Volume {
  volumeId: string;
  /** GiB. */
  size: number;
  snapshotId?: string;
  availabilityZone: string;
  state: "available";
  createTime: string;
  volumeType: string;
  iops?: number;
  throughput?: number;
  tags: Tag[];
}

/** A CreateVolume ClientToken, kept so that a retried request returns the same volume. */
export interface VolumeClientToken {
  token: string;
  volumeId: string;
  /** The request's parameters, to tell a retry from a different request reusing the token. */
  fingerprint: string;
}

export interface RegionWorld {
  snapshots: Map<string, Snapshot>;
  volumes: Map<string, Volume>;
  volumeClientTokens: Map<string, VolumeClientToken>;
}

/** One CopySnapshot in progress; the destination snapshot is `pending` for as long as this exists. */
export interface CopyRecord {
  destinationRegion: string;
  destinationSnapshotId: string;
  sourceRegion: string;
  sourceSnapshotId: string;
  totalBytes: number;
  copiedBytes: number;
  /** Set when fault injection decided this copy fails; it fails once this many bytes are copied. */
  failAtBytes?: number;
}

export const COPY_VOLUME_ID = "vol-ffffffff";
export const GIB = 1024 ** 3;
