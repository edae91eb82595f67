// The CopyWaits port on DynamoDB, in the jobs table: one item per copy, keyed by its destination
// region and snapshot id. The wait and the event each write their half with one update that
// returns the item as it now stands, so whichever comes second sees the other's half: no read
// between two writes, no race. An end is written only if no other account's wait holds the item
// (checked in the write itself), and under its account's own attribute, so an event of another
// account that comes before the wait can neither overwrite a genuine end nor be taken for one. The item expires a day or so after its copy (time to live), as
// do the items of events about snapshots snaprelay never started.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { CopyEnd, CopyWaiter, CopyWaits, EndRecorded } from "../../core/ports.js";
import { copyWaitKey, TTL_ATTRIBUTE } from "./jobs-table.js";

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The attribute holding the end an account's event told; each account's apart. */
const endAttribute = (account: string) => `end#${account}`;

const endOf = (item: Record<string, unknown>, account: string): CopyEnd | undefined => {
  const recorded = item[endAttribute(account)] as Record<string, unknown> | undefined;
  const result = recorded?.result;
  if (result !== "succeeded" && result !== "failed") return undefined;
  return {
    account,
    result,
    ...(typeof recorded?.cause === "string" ? { cause: recorded.cause } : {}),
    ...(typeof recorded?.endedAt === "string" ? { endedAt: recorded.endedAt } : {}),
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
    return endOf(Attributes, waiter.accountId);
  }

  async end(
    region: string,
    snapshotId: string,
    end: CopyEnd,
    expiresAt: Date,
  ): Promise<EndRecorded> {
    try {
      const { Attributes = {} } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: copyWaitKey(region, snapshotId),
          // The account is checked first: a copy another account waits for is left untouched.
          ConditionExpression: "attribute_not_exists(accountId) OR accountId = :account",
          UpdateExpression: "SET #end = :end, #expires = if_not_exists(#expires, :expires)",
          ExpressionAttributeNames: {
            "#end": endAttribute(end.account),
            "#expires": TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ":account": end.account,
            ":end": {
              result: end.result,
              ...(end.cause ? { cause: end.cause } : {}),
              ...(end.endedAt ? { endedAt: end.endedAt } : {}),
            },
            ":expires": epochSeconds(expiresAt),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      const waiter = waiterOf(Attributes);
      return waiter ? { kind: "waiting", waiter } : { kind: "unclaimed" };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { kind: "foreign" };
      throw error;
    }
  }
}
