// Distinct small snapshots in a running local cloud, made through its admin routes and the EC2
// API: each holds blocks of its own, so its first copy into a region moves real bytes.
import {
  CreateSnapshotCommand,
  DescribeSnapshotsCommand,
  type DescribeSnapshotsCommandOutput,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { localCredentialsFor } from "../../local/cloud/index.js";
import { LOCAL } from "../../local/defaults.js";

const admin = async (
  cloudUrl: string,
  accountId: string,
  path: string,
  body: unknown,
): Promise<unknown> => {
  const response = await fetch(`${cloudUrl}/_admin/${path}?account=${accountId}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer: unknown = await response.json();
  if (!response.ok) throw new Error(`admin ${path}: ${JSON.stringify(answer)}`);
  return answer;
};

/**
 * `count` completed snapshots in `region` of an account (default: the demo account), each of a
 * volume of `blocks` blocks all written with a seed of its own (`blockSizeBytes` must be the
 * cloud's block size).
 */
export const makeDistinctSnapshots = async (
  cloudUrl: string,
  region: string,
  count: number,
  options: { blocks: number; blockSizeBytes: number; label: string; accountId?: string },
): Promise<string[]> => {
  const accountId = options.accountId ?? LOCAL.demoAccountId;
  const ec2 = new EC2Client({
    region,
    endpoint: cloudUrl,
    credentials: localCredentialsFor(cloudUrl, accountId),
    maxAttempts: 10,
  });
  try {
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const volume = (await admin(cloudUrl, accountId, `regions/${region}/volumes`, {
        sizeBytes: options.blocks * options.blockSizeBytes,
      })) as { volumeId: string };
      await admin(cloudUrl, accountId, `regions/${region}/volumes/${volume.volumeId}/fill`, {
        firstBlock: 0,
        count: options.blocks,
        seed: `${options.label}-${index}`,
      });
      const { SnapshotId } = await ec2.send(
        new CreateSnapshotCommand({
          VolumeId: volume.volumeId,
          Description: `${options.label} ${index}`,
        }),
      );
      if (!SnapshotId) throw new Error("CreateSnapshot returned no SnapshotId");
      ids.push(SnapshotId);
    }
    for (;;) {
      const pending: DescribeSnapshotsCommandOutput = await ec2.send(
        new DescribeSnapshotsCommand({
          SnapshotIds: ids,
          Filters: [{ Name: "status", Values: ["pending"] }],
        }),
      );
      if ((pending.Snapshots ?? []).length === 0) return ids;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    ec2.destroy();
  }
};

/** Every snapshot of an account (default: the demo account) in `region` whose tag `key` has one of `values`. */
export const snapshotsTagged = async (
  cloudUrl: string,
  region: string,
  key: string,
  values: string[],
  accountId: string = LOCAL.demoAccountId,
) => {
  const ec2 = new EC2Client({
    region,
    endpoint: cloudUrl,
    credentials: localCredentialsFor(cloudUrl, accountId),
    maxAttempts: 10,
  });
  try {
    const found: NonNullable<DescribeSnapshotsCommandOutput["Snapshots"]> = [];
    let NextToken: string | undefined;
    do {
      const page: DescribeSnapshotsCommandOutput = await ec2.send(
        new DescribeSnapshotsCommand({
          Filters: [{ Name: `tag:${key}`, Values: values }],
          NextToken,
        }),
      );
      found.push(...(page.Snapshots ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return found;
  } finally {
    ec2.destroy();
  }
};
