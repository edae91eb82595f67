// The PolicyStore port on the jobs table: policies, their runs, their volume targets and their
// deletions, each an item listed through the byAccount index, and what is due by a time (the next
// run, a run to take up, an RPO to check) in the sparse byDue index. A run is claimed with one
// transaction that moves the policy's next run and stores the run, guarded by the next run time
// read: two schedulers that read the same policy cannot both claim it.
import { setTimeout as sleep } from "node:timers/promises";
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { DrPolicy } from "../../core/policies/policy.js";
import type {
  Deletion,
  PolicyCopy,
  PolicyRun,
  RecoveryPoint,
  RunOutcome,
  RunVolume,
  VolumeTarget,
} from "../../core/policies/records.js";
import type { PolicyPage, PolicyStore, RunVolumePage } from "../../core/ports.js";
import { decodePageToken, encodePageToken } from "./job-list-query.js";
import {
  ACCOUNT_INDEX,
  DUE_BREACHES,
  DUE_INDEX,
  DUE_RUNS,
  deletionKey,
  deletionsPartition,
  duePoliciesPartition,
  LEGACY_DUE_POLICIES,
  POLICY_ACCOUNTS_PARTITION,
  policiesPartition,
  policyAccountKey,
  policyCopiesPartition,
  policyCopyKey,
  policyKey,
  runKey,
  runsPartition,
  runVolumeKey,
  runVolumesPartition,
  targetItemKey,
  targetsPartition,
} from "./jobs-table.js";
import { queryAll, readItem } from "./reads.js";

type Item = Record<string, unknown>;
type TargetRef = Pick<VolumeTarget, "policyId" | "volumeId" | "destinationRegion">;

/**
 * The name `policyAccounts` gives the partition where an older build queued every account's due
 * policies together (no account id looks like it): its policies are run from there, and each
 * moves to its account's own partition at its first claim.
 */
export const LEGACY_POLICY_QUEUE = "legacy";

const KEY_ATTRIBUTES = ["pk", "gsi1pk", "gsi1sk", "duepk", "dueAt"];

const withoutKeys = <T>(item: Item): T =>
  Object.fromEntries(Object.entries(item).filter(([name]) => !KEY_ATTRIBUTES.includes(name))) as T;

const policyItem = (policy: DrPolicy): Item => ({
  ...policyKey(policy.policyId),
  ...policy,
  gsi1pk: policiesPartition(policy.accountId),
  gsi1sk: `${policy.createdAt}#${policy.policyId}`,
  ...(policy.enabled && policy.nextRunAt
    ? { duepk: duePoliciesPartition(policy.accountId), dueAt: policy.nextRunAt }
    : {}),
});

const policyAccountItem = (accountId: string): Item => ({
  ...policyAccountKey(accountId),
  accountId,
  gsi1pk: POLICY_ACCOUNTS_PARTITION,
  gsi1sk: accountId,
});

const runItem = (run: PolicyRun): Item => ({
  ...runKey(run.policyId, run.runId),
  ...run,
  gsi1pk: runsPartition(run.policyId),
  gsi1sk: `${run.startedAt}#${run.runId}`,
  ...(run.status === "STARTING" && run.resumeAt ? { duepk: DUE_RUNS, dueAt: run.resumeAt } : {}),
});

const toTarget = (item: Item): VolumeTarget => {
  const target = withoutKeys<Partial<VolumeTarget>>(item);
  return {
    policyId: String(target.policyId),
    volumeId: String(target.volumeId),
    destinationRegion: String(target.destinationRegion),
    activeJobId: target.activeJobId ?? null,
    recoveryPoint: target.recoveryPoint ?? null,
    breachedSince: target.breachedSince ?? null,
    breachAt: target.breachAt ?? null,
    createdAt: String(target.createdAt),
  };
};

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException;

/** A page token is bound to the account it lists: another account's token is refused. */
const listSignature = (accountId: string) => `policies|${accountId}`;

export class DynamoPolicyStore implements PolicyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async dueItems(partition: string, now: string, limit: number): Promise<Item[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DUE_INDEX,
        KeyConditionExpression: "duepk = :due AND dueAt <= :now",
        ExpressionAttributeValues: { ":due": partition, ":now": now },
        Limit: limit,
      }),
    );
    return Items ?? [];
  }

  private async newest(partition: string, limit: number): Promise<Item[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: ACCOUNT_INDEX,
        KeyConditionExpression: "gsi1pk = :partition",
        ExpressionAttributeValues: { ":partition": partition },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items ?? [];
  }

  /**
   * BatchWriteItem, 25 requests at a time; what DynamoDB leaves unprocessed (throttled) is sent
   * again after a growing pause, as its documentation asks.
   */
  private async writeInBatches(all: readonly Record<string, unknown>[]): Promise<void> {
    for (let index = 0; index < all.length; index += 25) {
      let requests = all.slice(index, index + 25);
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(2_000, 50 * 2 ** attempt) * Math.random());
        const { UnprocessedItems } = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: [...requests] } }),
        );
        requests = (UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
      }
    }
  }

  async create(policy: DrPolicy): Promise<void> {
    // The account's marker first: a policy is never due in an account the scheduler does not list.
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: policyAccountItem(policy.accountId),
      }),
    );
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: policyItem(policy),
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  async policyAccounts(): Promise<string[]> {
    const markers = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: ACCOUNT_INDEX,
      KeyConditionExpression: "gsi1pk = :partition",
      ExpressionAttributeValues: { ":partition": POLICY_ACCOUNTS_PARTITION },
    });
    const { Items: legacy = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DUE_INDEX,
        KeyConditionExpression: "duepk = :legacy",
        ExpressionAttributeValues: { ":legacy": LEGACY_DUE_POLICIES },
        Limit: 1,
      }),
    );
    return [
      ...markers.map((marker) => String(marker.accountId)),
      ...(legacy.length > 0 ? [LEGACY_POLICY_QUEUE] : []),
    ];
  }

  async get(policyId: string): Promise<DrPolicy | undefined> {
    const Item = await readItem(this.client, this.tableName, policyKey(policyId));
    return Item ? withoutKeys<DrPolicy>(Item) : undefined;
  }

  async listByAccount(accountId: string, limit: number, nextToken?: string): Promise<PolicyPage> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: ACCOUNT_INDEX,
        KeyConditionExpression: "gsi1pk = :partition",
        ExpressionAttributeValues: { ":partition": policiesPartition(accountId) },
        Limit: limit,
        ExclusiveStartKey: decodePageToken(listSignature(accountId), nextToken),
      }),
    );
    const token = encodePageToken(listSignature(accountId), page.LastEvaluatedKey);
    return {
      policies: (page.Items ?? []).map((item) => withoutKeys<DrPolicy>(item)),
      ...(token ? { nextToken: token } : {}),
    };
  }

  async replace(policy: DrPolicy): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: policyItem(policy),
          ConditionExpression: "attribute_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async delete(policyId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: policyKey(policyId) }),
    );
    // Its targets go too, so no RPO check outlives the policy.
    const targets = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: ACCOUNT_INDEX,
      KeyConditionExpression: "gsi1pk = :partition",
      ExpressionAttributeValues: { ":partition": targetsPartition(policyId) },
      ProjectionExpression: "pk",
    });
    await this.writeInBatches(targets.map((item) => ({ DeleteRequest: { Key: { pk: item.pk } } })));
  }

  async due(accountId: string, now: string, limit: number): Promise<DrPolicy[]> {
    const partition =
      accountId === LEGACY_POLICY_QUEUE ? LEGACY_DUE_POLICIES : duePoliciesPartition(accountId);
    return (await this.dueItems(partition, now, limit)).map((item) => withoutKeys<DrPolicy>(item));
  }

  async claimRun(policy: DrPolicy, run: PolicyRun, nextRunAt: string | null): Promise<boolean> {
    const next = nextRunAt
      ? {
          // The account's own partition: a policy an older build queued with every other moves
          // there at its first claim.
          UpdateExpression:
            "SET nextRunAt = :next, dueAt = :next, duepk = :duepk, lastRunAt = :runAt",
          values: { ":next": nextRunAt, ":duepk": duePoliciesPartition(policy.accountId) },
        }
      : {
          UpdateExpression: "SET nextRunAt = :none, lastRunAt = :runAt REMOVE duepk, dueAt",
          values: { ":none": null },
        };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: policyKey(policy.policyId),
                UpdateExpression: next.UpdateExpression,
                // Unchanged since it was read: a policy replaced meanwhile is run as it is now,
                // by the next tick.
                ConditionExpression:
                  "nextRunAt = :expected AND enabled = :enabled AND updatedAt = :updated",
                ExpressionAttributeValues: {
                  ...next.values,
                  ":runAt": run.scheduledFor,
                  ":expected": policy.nextRunAt,
                  ":enabled": true,
                  ":updated": policy.updatedAt,
                },
              },
            },
            // The claim above is the guard: a run of the same time stored before (a policy whose
            // replacement gave it the same next run) is written over, never left to block it.
            { Put: { TableName: this.tableName, Item: runItem(run) } },
            // The account listed for the scheduler (already, unless an older build made it).
            { Put: { TableName: this.tableName, Item: policyAccountItem(policy.accountId) } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async addRun(run: PolicyRun): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: runItem(run),
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getRun(policyId: string, runId: string): Promise<PolicyRun | undefined> {
    const Item = await readItem(this.client, this.tableName, runKey(policyId, runId));
    return Item ? withoutKeys<PolicyRun>(Item) : undefined;
  }

  async saveRun(run: PolicyRun): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: runItem(run) }));
  }

  async recordRunVolumes(
    policyId: string,
    runId: string,
    volumes: readonly RunVolume[],
  ): Promise<void> {
    await this.writeInBatches(
      volumes.map((volume) => ({
        PutRequest: {
          Item: {
            ...runVolumeKey(policyId, runId, volume.volumeId),
            ...volume,
            // Listed by outcome, then volume id: one outcome is one range of the run's partition.
            gsi1pk: runVolumesPartition(policyId, runId),
            gsi1sk: `${volume.outcome}#${volume.volumeId}`,
          },
        },
      })),
    );
  }

  async runVolumes(
    policyId: string,
    runId: string,
    query: { limit: number; outcome?: RunOutcome; nextToken?: string },
  ): Promise<RunVolumePage> {
    const signature = `run-volumes|${policyId}|${runId}|${query.outcome ?? ""}`;
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: ACCOUNT_INDEX,
        KeyConditionExpression: query.outcome
          ? "gsi1pk = :partition AND begins_with(gsi1sk, :outcome)"
          : "gsi1pk = :partition",
        ExpressionAttributeValues: {
          ":partition": runVolumesPartition(policyId, runId),
          ...(query.outcome ? { ":outcome": `${query.outcome}#` } : {}),
        },
        Limit: query.limit,
        ExclusiveStartKey: decodePageToken(signature, query.nextToken),
      }),
    );
    const token = encodePageToken(signature, page.LastEvaluatedKey);
    return {
      volumes: (page.Items ?? []).map((item) => withoutKeys<RunVolume>(item)),
      ...(token ? { nextToken: token } : {}),
    };
  }

  async claimResume(run: PolicyRun, resumeAt: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(run.policyId, run.runId),
          UpdateExpression: "SET resumeAt = :resumeAt, dueAt = :resumeAt",
          ConditionExpression: "#status = :starting AND resumeAt = :seen",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":resumeAt": resumeAt,
            ":starting": "STARTING",
            ":seen": run.resumeAt,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async runsToResume(now: string, limit: number): Promise<PolicyRun[]> {
    return (await this.dueItems(DUE_RUNS, now, limit)).map((item) => withoutKeys<PolicyRun>(item));
  }

  async recentRuns(policyId: string, limit: number): Promise<PolicyRun[]> {
    return (await this.newest(runsPartition(policyId), limit)).map((item) =>
      withoutKeys<PolicyRun>(item),
    );
  }

  async targets(policyId: string): Promise<VolumeTarget[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: ACCOUNT_INDEX,
      KeyConditionExpression: "gsi1pk = :partition",
      ExpressionAttributeValues: { ":partition": targetsPartition(policyId) },
    });
    return items.map(toTarget);
  }

  async assignJob(
    target: TargetRef,
    jobId: string,
    now: string,
    breachAt: string,
    seenJobId: string | null,
  ): Promise<boolean> {
    const Key = targetItemKey(target.policyId, target.volumeId, target.destinationRegion);
    try {
      // A new target: its RPO clock starts now.
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...Key,
            ...target,
            activeJobId: jobId,
            recoveryPoint: null,
            breachAt,
            createdAt: now,
            gsi1pk: targetsPartition(target.policyId),
            gsi1sk: `${target.volumeId}#${target.destinationRegion}`,
            duepk: DUE_BREACHES,
            dueAt: breachAt,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const seen =
      seenJobId === null
        ? "attribute_not_exists(activeJobId) OR attribute_type(activeJobId, :null)"
        : "activeJobId = :seen";
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: "SET activeJobId = :job",
          ConditionExpression: `${seen} OR activeJobId = :job`,
          ExpressionAttributeValues: {
            ":job": jobId,
            ...(seenJobId === null ? { ":null": "NULL" } : { ":seen": seenJobId }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordCopy(
    target: TargetRef,
    point: RecoveryPoint,
    breachAt: string,
    now: string,
  ): Promise<VolumeTarget | undefined> {
    const Key = targetItemKey(target.policyId, target.volumeId, target.destinationRegion);
    const Item = await readItem(this.client, this.tableName, Key);
    const before = Item ? toTarget(Item) : undefined;
    // Within the RPO again: the breach ends and the next check is set. Still beyond it: the
    // breach stands (or is reported by the next tick, if it never was).
    const recovers = Date.parse(breachAt) > Date.parse(now);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: [
            "SET recoveryPoint = :point, breachAt = :breachAt, dueAt = :breachAt",
            "policyId = :policyId, volumeId = :volumeId, destinationRegion = :region",
            "gsi1pk = :partition, gsi1sk = :sort, createdAt = if_not_exists(createdAt, :now)",
            "activeJobId = if_not_exists(activeJobId, :job)",
            ...(recovers ? ["duepk = :due REMOVE breachedSince"] : []),
          ].join(", "),
          ConditionExpression:
            "attribute_not_exists(recoveryPoint.sourceTime) OR recoveryPoint.sourceTime < :sourceTime",
          ExpressionAttributeValues: {
            ":point": point,
            ":breachAt": breachAt,
            ":policyId": target.policyId,
            ":volumeId": target.volumeId,
            ":region": target.destinationRegion,
            ":partition": targetsPartition(target.policyId),
            ":sort": `${target.volumeId}#${target.destinationRegion}`,
            ":now": now,
            ":job": point.jobId,
            ":sourceTime": point.sourceTime,
            ...(recovers ? { ":due": DUE_BREACHES } : {}),
          },
        }),
      );
    } catch (error) {
      // A copy of an older snapshot finished after a newer one: the newer stays the point.
      if (!isConditionFailure(error)) throw error;
    }
    return before;
  }

  async dueBreaches(now: string, limit: number): Promise<VolumeTarget[]> {
    return (await this.dueItems(DUE_BREACHES, now, limit)).map(toTarget);
  }

  async markBreached(target: VolumeTarget, now: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: targetItemKey(target.policyId, target.volumeId, target.destinationRegion),
          UpdateExpression: "SET breachedSince = :now REMOVE duepk, dueAt",
          ConditionExpression: "breachAt = :breachAt AND attribute_not_exists(breachedSince)",
          ExpressionAttributeValues: { ":now": now, ":breachAt": target.breachAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async rescheduleBreach(target: VolumeTarget, breachAt: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: targetItemKey(target.policyId, target.volumeId, target.destinationRegion),
          UpdateExpression: "SET breachAt = :breachAt, dueAt = :breachAt",
          ConditionExpression: "breachAt = :was",
          ExpressionAttributeValues: { ":breachAt": breachAt, ":was": target.breachAt },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async retireBreachCheck(target: VolumeTarget): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: targetItemKey(target.policyId, target.volumeId, target.destinationRegion),
          UpdateExpression: "REMOVE duepk, dueAt",
          ConditionExpression: "attribute_exists(pk)",
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  async recordPolicyCopy(copy: PolicyCopy): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...policyCopyKey(copy.policyId, copy.volumeId, copy.destinationRegion, copy.snapshotId),
          ...copy,
          gsi1pk: policyCopiesPartition(copy.policyId, copy.volumeId, copy.destinationRegion),
          gsi1sk: `${copy.sourceTime}#${copy.snapshotId}`,
        },
      }),
    );
  }

  async policyCopies(target: TargetRef): Promise<PolicyCopy[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: ACCOUNT_INDEX,
      KeyConditionExpression: "gsi1pk = :partition",
      ExpressionAttributeValues: {
        ":partition": policyCopiesPartition(
          target.policyId,
          target.volumeId,
          target.destinationRegion,
        ),
      },
    });
    return items.map((item) => withoutKeys<PolicyCopy>(item));
  }

  async forgetPolicyCopy(
    copy: Pick<PolicyCopy, "policyId" | "volumeId" | "destinationRegion" | "snapshotId">,
  ): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: policyCopyKey(copy.policyId, copy.volumeId, copy.destinationRegion, copy.snapshotId),
      }),
    );
  }

  async saveDeletion(deletion: Deletion): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...deletionKey(deletion.policyId, deletion.destinationRegion, deletion.snapshotId),
          ...deletion,
          gsi1pk: deletionsPartition(deletion.policyId),
          gsi1sk: `${deletion.at}#${deletion.snapshotId}`,
        },
      }),
    );
  }

  async recentDeletions(policyId: string, limit: number): Promise<Deletion[]> {
    return (await this.newest(deletionsPartition(policyId), limit)).map((item) =>
      withoutKeys<Deletion>(item),
    );
  }
}
