// The SnapshotProvider port on EC2's API, through @aws-sdk/client-ec2: the same code talks to
// real EC2 in AWS and to the local cloud offline, always in the account the call names (see
// account-access.ts). EC2's and STS's error codes become domain errors here.
import {
  CopySnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  type Filter,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import { TAG_JOB_ID } from "../../core/copy-tags.js";
import { DomainError } from "../../core/errors.js";
import type { PolicySelector } from "../../core/policies/policy.js";
import type {
  CopyRequest,
  SnapshotProvider,
  SnapshotState,
  SnapshotView,
} from "../../core/ports.js";
import type { AccountRoute, Attempts } from "./account-access.js";

/** What the provider needs of account access: a client per account and region, and the route. */
export interface Ec2Clients {
  ec2(accountId: string, region: string, attempts?: Attempts): EC2Client;
  route(accountId: string): AccountRoute;
}

const errorCode = (error: unknown): string | undefined =>
  error && typeof error === "object" && "name" in error ? String(error.name) : undefined;

// STS's refusal to let snaprelay assume an account's role. (InvalidClientTokenId, say, would be
// snaprelay's own credentials at fault, not the tenant's role: it is not one of these.)
const ROLE_REFUSALS = new Set(["AccessDenied", "AccessDeniedException"]);

const accessDenied = (route: AccountRoute, error: unknown): DomainError => {
  const reason = error instanceof Error ? error.message : String(error);
  return new DomainError(
    "AccountAccessDenied",
    `snaprelay cannot act in account ${route.accountId}: assuming the role ${route.roleArn} was refused (${reason}). Create that role in account ${route.accountId}, trusting snaprelay's account with snaprelay's external id, and allow it the EC2 snapshot calls listed in snaprelay's README ("Tenant accounts"); nothing was copied.`,
    { cause: error },
  );
};

/** Turns the EC2 errors the state machine treats specially into named domain errors. */
const translate = (error: unknown, context: string, route: AccountRoute): unknown => {
  if (route.roleArn !== undefined && ROLE_REFUSALS.has(errorCode(error) ?? "")) {
    return accessDenied(route, error);
  }
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

/** The volume id EC2 shows for every copied snapshot (a copy has no link to any disk). */
const COPY_VOLUME_ID = "vol-ffffffff";

/** EC2 takes at most 200 values in one filter: longer lists are asked in parts. */
const FILTER_VALUES = 200;

const inParts = <T>(values: readonly T[]): T[][] => {
  const parts: T[][] = [];
  for (let index = 0; index < values.length; index += FILTER_VALUES) {
    parts.push(values.slice(index, index + FILTER_VALUES));
  }
  return parts;
};

const tagFilters = (tags: Record<string, readonly string[]>): Filter[] =>
  Object.entries(tags).map(([key, values]) => ({ Name: `tag:${key}`, Values: [...values] }));

export class Ec2SnapshotProvider implements SnapshotProvider {
  constructor(private readonly clients: Ec2Clients) {}

  /** Runs `call` with the account's client in `region`, its failures translated. */
  private async inAccount<T>(
    accountId: string,
    region: string,
    context: string,
    call: (client: EC2Client) => Promise<T>,
    attempts: Attempts = "retried",
  ): Promise<T> {
    try {
      return await call(this.clients.ec2(accountId, region, attempts));
    } catch (error) {
      throw translate(error, context, this.clients.route(accountId));
    }
  }

  async describe(
    accountId: string,
    region: string,
    snapshotId: string,
  ): Promise<SnapshotView | undefined> {
    return this.inAccount(
      accountId,
      region,
      `Describing ${snapshotId} in ${region}`,
      async (ec2) => {
        try {
          const { Snapshots } = await ec2.send(
            new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId], OwnerIds: ["self"] }),
          );
          const snapshot = Snapshots?.[0];
          return snapshot ? toView(region, snapshot) : undefined;
        } catch (error) {
          if (errorCode(error) === "InvalidSnapshot.NotFound") return undefined;
          throw error;
        }
      },
    );
  }

  async findCopy(
    accountId: string,
    destinationRegion: string,
    tags: Record<string, string>,
  ): Promise<SnapshotView | undefined> {
    return this.inAccount(
      accountId,
      destinationRegion,
      `Looking for an earlier copy in ${destinationRegion}`,
      async (ec2) => {
        const { Snapshots } = await ec2.send(
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
      },
    );
  }

  async startCopy(request: CopyRequest): Promise<string> {
    return this.inAccount(
      request.accountId,
      request.destinationRegion,
      `Copying ${request.sourceSnapshotId} from ${request.sourceRegion} to ${request.destinationRegion}`,
      async (ec2) => {
        const { SnapshotId } = await ec2.send(
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
      },
      // One attempt: CopySnapshot takes no client token, and a second attempt after a timeout
      // may make a second copy. The StartCopy step retries, finding the first one by its tags.
      "once",
    );
  }

  async countOwned(accountId: string, region: string): Promise<number> {
    return this.inAccount(accountId, region, `Counting the snapshots in ${region}`, async (ec2) => {
      let count = 0;
      for await (const page of paginateDescribeSnapshots(
        { client: ec2, pageSize: 1000 },
        { OwnerIds: ["self"] },
      )) {
        count += page.Snapshots?.length ?? 0;
      }
      return count;
    });
  }

  async countForeignPending(accountId: string, region: string): Promise<number> {
    return this.inAccount(
      accountId,
      region,
      `Counting the copies in progress in ${region}`,
      async (ec2) => {
        const pending = await this.snapshotsWhere(ec2, [{ Name: "status", Values: ["pending"] }]);
        // A copy shows the volume EC2 gives every copy; a snapshot being taken shows its own disk.
        return pending.filter(
          (snapshot) =>
            snapshot.VolumeId === COPY_VOLUME_ID &&
            !(snapshot.Tags ?? []).some((tag) => tag.Key === TAG_JOB_ID),
        ).length;
      },
    );
  }

  async delete(accountId: string, region: string, snapshotId: string): Promise<void> {
    return this.inAccount(accountId, region, `Deleting ${snapshotId} in ${region}`, async (ec2) => {
      try {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      } catch (error) {
        if (errorCode(error) !== "InvalidSnapshot.NotFound") throw error;
      }
    });
  }

  /** Every snapshot of the account in `region` matching `filters`, page after page. */
  private async snapshotsWhere(ec2: EC2Client, filters: Filter[]): Promise<Snapshot[]> {
    const snapshots: Snapshot[] = [];
    for await (const page of paginateDescribeSnapshots(
      { client: ec2, pageSize: 1000 },
      { OwnerIds: ["self"], Filters: filters },
    )) {
      snapshots.push(...(page.Snapshots ?? []));
    }
    return snapshots;
  }

  async findVolumes(
    accountId: string,
    region: string,
    selector: PolicySelector,
  ): Promise<string[]> {
    return this.inAccount(accountId, region, `Finding the volumes in ${region}`, async (ec2) => {
      const found = new Set<string>();
      const collect = async (filters: Filter[]) => {
        for await (const page of paginateDescribeVolumes(
          { client: ec2, pageSize: 1000 },
          { Filters: filters },
        )) {
          for (const volume of page.Volumes ?? []) if (volume.VolumeId) found.add(volume.VolumeId);
        }
      };
      // By id through a filter: an id that names no volume is left out, not an error.
      for (const ids of inParts(selector.volumeIds)) {
        await collect([{ Name: "volume-id", Values: ids }]);
      }
      const tags = Object.entries(selector.tags);
      if (tags.length > 0) {
        await collect(tagFilters(Object.fromEntries(tags.map(([key, value]) => [key, [value]]))));
      }
      return [...found].sort();
    });
  }

  async newestSnapshots(
    accountId: string,
    region: string,
    volumeIds: readonly string[],
  ): Promise<Map<string, SnapshotView>> {
    return this.inAccount(
      accountId,
      region,
      `Finding the newest snapshots in ${region}`,
      async (ec2) => {
        const newest = new Map<string, Snapshot>();
        for (const ids of inParts(volumeIds)) {
          const snapshots = await this.snapshotsWhere(ec2, [
            { Name: "volume-id", Values: ids },
            { Name: "status", Values: ["completed"] },
          ]);
          for (const snapshot of snapshots) {
            const volumeId = snapshot.VolumeId ?? "";
            const held = newest.get(volumeId);
            if (!held || (snapshot.StartTime?.getTime() ?? 0) > (held.StartTime?.getTime() ?? 0)) {
              newest.set(volumeId, snapshot);
            }
          }
        }
        return new Map(
          [...newest].map(([volumeId, snapshot]) => [volumeId, toView(region, snapshot)]),
        );
      },
    );
  }

  async findTagged(
    accountId: string,
    region: string,
    tags: Record<string, readonly string[]>,
  ): Promise<SnapshotView[]> {
    return this.inAccount(accountId, region, `Finding snapshots in ${region}`, async (ec2) => {
      // The longest list of values is asked in parts; the other filters go with each part.
      const [longest, values = []] =
        Object.entries(tags).sort(([, a], [, b]) => b.length - a.length)[0] ?? [];
      const rest = Object.fromEntries(Object.entries(tags).filter(([key]) => key !== longest));
      const parts =
        longest === undefined ? [{}] : inParts(values).map((part) => ({ [longest]: part }));
      const snapshots: Snapshot[] = [];
      for (const part of parts) {
        snapshots.push(...(await this.snapshotsWhere(ec2, tagFilters({ ...rest, ...part }))));
      }
      return snapshots.map((snapshot) => toView(region, snapshot));
    });
  }

  async findByIds(
    accountId: string,
    region: string,
    snapshotIds: readonly string[],
  ): Promise<SnapshotView[]> {
    if (snapshotIds.length === 0) return [];
    return this.inAccount(accountId, region, `Reading snapshots in ${region}`, async (ec2) => {
      // A filter, not SnapshotIds: one missing id would fail the whole call with NotFound.
      const snapshots: Snapshot[] = [];
      for (const part of inParts(snapshotIds)) {
        snapshots.push(
          ...(await this.snapshotsWhere(ec2, [{ Name: "snapshot-id", Values: part }])),
        );
      }
      return snapshots.map((snapshot) => toView(region, snapshot));
    });
  }
}
