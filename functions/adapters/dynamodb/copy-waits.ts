// The CopyWaits port on DynamoDB, in the jobs table: one item per copy, keyed by its destination
// region and snapshot id. The wait and the event each write their half with one update that
// returns the item as it now stands, so whichever comes second sees the other's half: no read
// between two writes, no race. The item expires a day or so after its copy (time to live), as
// do the items of events about snapshots snaprelay never started.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { CopyEnd, CopyWaiter, CopyWaits } from "../../core/ports.js";
import { copyWaitKey, TTL_ATTRIBUTE } from "./jobs-table.js";

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

const endOf = (item: Record<string, unknown>): CopyEnd | undefined => {
  const result = item.endResult;
  if (result !== "succeeded" && result !== "failed") return undefined;
  return {
    account: String(item.endAccount ?? ""),
    result,
    ...(typeof item.endCause === "string" ? { cause: item.endCause } : {}),
    ...(typeof item.endedAt === "string" ? { endedAt: item.endedAt } : {}),
  };
};

const waiterOf = (item: Record<string, unknown>): CopyWaiter | undefined =>
  typeof item.waitToken === "string"
    ? { jobId: String(item.jobId), accountId: String(item.accountId), token: item.waitToken }
    : undefined;

export class DynamoCopyWaits implements CopyWaits {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async wait(
    region: string,
    snapshotId: string,
    waiter: CopyWaiter,
    expiresAt: Date,
  ): Promise<CopyEnd | undefined> {
    const { Attributes = {} } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: copyWaitKey(region, snapshotId),
        UpdateExpression:
          "SET jobId = :jobId, accountId = :accountId, waitToken = :token, #expires = :expires",
        ExpressionAttributeNames: { "#expires": TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ":jobId": waiter.jobId,
          ":accountId": waiter.accountId,
          ":token": waiter.token,
          ":expires": epochSeconds(expiresAt),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return endOf(Attributes);
  }

  async end(
    region: string,
    snapshotId: string,
    end: CopyEnd,
    expiresAt: Date,
  ): Promise<CopyWaiter | undefined> {
    const { Attributes = {} } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: copyWaitKey(region, snapshotId),
        UpdateExpression: `SET endAccount = :account, endResult = :result, endCause = :cause, endedAt = :endedAt, #expires = if_not_exists(#expires, :expires)`,
        ExpressionAttributeNames: { "#expires": TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ":account": end.account,
          ":result": end.result,
          ":cause": end.cause ?? null,
          ":endedAt": end.endedAt ?? null,
          ":expires": epochSeconds(expiresAt),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return waiterOf(Attributes);
  }
}
