// The seed's rules for a replication request: supported regions, destinations that are given,
// distinct and not the source, and the snapshot name (the allowlist is core/access.ts's).
import type { Config } from "./config.js";
import { DomainError } from "./errors.js";
import { MAX_NAME_LENGTH, type ReplicationRequest } from "./request.js";

/** The seed's rules a request is checked against (who may ask is the allowlist's to say). */
export type ReplicationPolicy = Pick<Config, "supportedRegions">;

/** A request that passed every rule, with the default name filled in. */
export interface CheckedRequest {
  snapshotId: string;
  sourceRegion: string;
  destinationRegions: string[];
  name: string;
  tags: Record<string, string>;
}

export const defaultSnapshotName = (snapshotId: string, sourceRegion: string): string =>
  `Copied ${snapshotId} from ${sourceRegion}`;

export const assertSupportedRegion = (
  region: string,
  role: string,
  policy: ReplicationPolicy,
): void => {
  if (!policy.supportedRegions.includes(region)) {
    throw new DomainError(
      "UnsupportedRegion",
      `${role} ${region} does not support cross-region replication; supported regions: ${policy.supportedRegions.join(", ")}.`,
    );
  }
};

export const assertDestinations = (sourceRegion: string, destinations: readonly string[]): void => {
  if (destinations.length === 0) {
    throw new DomainError(
      "InvalidDestination",
      "destinationRegions: at least one destination region is required.",
    );
  }
  if (destinations.includes(sourceRegion)) {
    throw new DomainError(
      "InvalidDestination",
      `destinationRegions: ${sourceRegion} is the source region; a destination must be another region.`,
    );
  }
  const seen = new Set<string>();
  const repeated = new Set(destinations.filter((region) => seen.size === seen.add(region).size));
  if (repeated.size > 0) {
    throw new DomainError(
      "InvalidDestination",
      `destinationRegions: ${[...repeated].join(", ")} is listed more than once; each destination may appear once.`,
    );
  }
};

const checkName = (name: string | undefined, snapshotId: string, sourceRegion: string): string => {
  if (name === undefined) return defaultSnapshotName(snapshotId, sourceRegion);
  // Count characters, not UTF-16 units: the console's limit is what a person sees.
  const length = [...name].length;
  if (length === 0 || name.trim().length === 0) {
    throw new DomainError(
      "InvalidRequest",
      `name: must not be blank; leave it out to get "${defaultSnapshotName(snapshotId, sourceRegion)}".`,
    );
  }
  if (length > MAX_NAME_LENGTH) {
    throw new DomainError(
      "NameTooLong",
      `name: ${length} characters is too long; a snapshot name has at most ${MAX_NAME_LENGTH} characters.`,
    );
  }
  return name;
};

/** Applies every rule the API and the Validate step share; throws the first one broken. */
export const checkReplicationRequest = (
  request: ReplicationRequest,
  policy: ReplicationPolicy,
): CheckedRequest => {
  assertSupportedRegion(request.sourceRegion, "Source region", policy);
  assertDestinations(request.sourceRegion, request.destinationRegions);
  for (const region of request.destinationRegions) {
    assertSupportedRegion(region, "Destination region", policy);
  }
  return {
    snapshotId: request.snapshotId,
    sourceRegion: request.sourceRegion,
    destinationRegions: [...request.destinationRegions],
    name: checkName(request.name, request.snapshotId, request.sourceRegion),
    tags: { ...(request.tags ?? {}) },
  };
};
