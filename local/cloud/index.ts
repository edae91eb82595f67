// The local cloud: an EC2-compatible endpoint (a subset of the EC2 Query API) with many
// isolated regions, asynchronous snapshot copies and fault knobs, for running snaprelay offline.
export type { LocalCloud } from "./local-cloud.js";
export { startLocalCloud } from "./local-cloud.js";
export type { LocalCloudKnobs, LocalCloudOptions } from "./options.js";
export type { LocalCloudStats, RegionStats } from "./stats.js";
