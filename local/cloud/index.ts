// The local cloud: an EC2-compatible endpoint (a subset of the EC2 Query API) with many isolated
// accounts and regions holding real block data, asynchronous snapshot copies, a local STS and SSM,
// every request's SigV4 signature checked against each account's keys, fault knobs and an admin tool.
export { WireError } from "../wire-error.js";
export type { LocalCredentials } from "./auth/local-keys.js";
export type {
  AdminVolume,
  AdminVolumeRequest,
  BlockManifest,
  FillRequest,
  FillResult,
} from "./cloud-admin.js";
export type { LocalCloud } from "./local-cloud.js";
export { startLocalCloud } from "./local-cloud.js";
export { type LocalCredentialsProvider, localCredentialsFor } from "./local-credentials.js";
export type { CopyReport } from "./model.js";
export type { LocalCloudKnobs, LocalCloudOptions } from "./options.js";
export type { CopyCounters } from "./snapshot-copies.js";
export type { AccountStats, LocalCloudStats, RegionStats, StsStats } from "./stats.js";
export type { Role } from "./sts/role-registry.js";
export type { VolumeWriteResult } from "./volume-writes.js";
export { localAccessKeyFor } from "./wire/signing-identity.js";
