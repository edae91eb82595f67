// The local cloud's records: what a region holds (snapshots, volumes, their block maps) and the
// copies in flight. Plain data, written to state.json and, for block maps, one file each.
import type { Manifest, VolumeBlocks } from "./block-map.js";

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
  /** For a copy: what it moved, kept after it ends. */
  copyReport?: CopyReport;
}

/**
 * What a copy moved, as EBS moves it: the snapshot's written blocks only (a never-written block is
 * stored nowhere and sent nowhere, whatever the volume's size), and of those only the ones the
 * destination region lacked. Progress is `bytesTransferred` over `totalBytes`.
 */
export interface CopyReport {
  sourceRegion: string;
  sourceSnapshotId: string;
  /** What the copy sends in all: its written blocks that the destination lacked when it began. */
  totalBytes: number;
  /** Sent so far, at the copy bandwidth. */
  bytesTransferred: number;
  blocksTransferred: number;
  /** Written blocks not sent: the destination region already held their content when the copy began. */
  blocksSkipped: number;
  /** Block files the copy added to the destination's store (a repeated block is stored once). */
  blocksStored: number;
}

export interface Volume {
  volumeId: string;
  /** GiB, as EC2 shows it: rounded up for the admin tool's volumes of less than a GiB. */
  size: number;
  /** The real size: size × GiB, or less for a small test volume made by the admin tool. */
  sizeBytes: number;
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
  /** By snapshot id: every snapshot has one, except a copy that has not completed. */
  manifests: Map<string, Manifest>;
  /** By volume id: every volume has one. */
  volumeBlocks: Map<string, VolumeBlocks>;
}

/** Block indexes [start, end), in order and not touching: the blocks a copy has to send. */
export type BlockRanges = [number, number][];

/** One CopySnapshot in progress; the destination snapshot is `pending` for as long as this exists. */
export interface CopyRecord {
  destinationRegion: string;
  destinationSnapshotId: string;
  sourceRegion: string;
  sourceSnapshotId: string;
  /** What the copy sends in all (its report's `totalBytes`). */
  totalBytes: number;
  /**
   * The written blocks to send, decided when the copy began, so that a resumed copy sends exactly
   * what was left to send.
   */
  sendRanges: BlockRanges;
  /** Every block before this index has been sent or skipped. */
  nextBlock: number;
  /** Injected failure: this block arrives damaged; blockCount means the copy fails at the end. */
  failAtBlock?: number;
}

export const COPY_VOLUME_ID = "vol-ffffffff";
export const GIB = 1024 ** 3;
