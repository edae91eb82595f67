// The AccessStore port on DynamoDB, in the jobs table. A request is one item, listed by status
// newest first through the account index (its partition is the status). An account's open
// request is marked by an item of its own, written with the request in one transaction, so a
// second open request is refused by a condition, not by a read. A decision changes the request,
// drops the mark and (approving) grants the account in one transaction.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { DomainError } from "../../core/errors.js";
import type {
  AccessRequest,
  AccessRequestPage,
  AccessRequestStatus,
  AccessStore,
} from "../../core/ports.js";
import { ACCOUNT_INDEX } from "./jobs-table.js";
import { readItem } from "./reads.js";
import { refusedAt } from "./transaction-refusal.js";

const requestKey = (requestId: string) => ({ pk: `ACCESSREQ#${requestId}` });
const openKey = (accountId: string) => ({ pk: `ACCESSOPEN#${accountId}` });
const grantKey = (accountId: string) => ({ pk: `ALLOW#${accountId}` });
const statusPartition = (status: AccessRequestStatus) => `ACCESSREQUESTS#${status}`;
const sortKey = (request: Pick<AccessRequest, "createdAt" | "requestId">) =>
  `${request.createdAt}#${request.requestId}`;

const toRequest = (item: Record<string, unknown>): AccessRequest => ({
  requestId: String(item.requestId),
  accountId: String(item.accountId),
  reason: String(item.reason),
  contact: String(item.contact),
  status: item.status as AccessRequestStatus,
  createdAt: String(item.createdAt),
  decision: (item.decision as AccessRequest["decision"]) ?? null,
});

const badToken = () =>
  new DomainError(
    "InvalidRequest",
    "nextToken is not one this listing gave: pass on the nextToken of the previous page as it came.",
  );

export class DynamoAccessStore implements AccessStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async isGranted(accountId: string): Promise<boolean> {
    const Item = await readItem(this.client, this.tableName, grantKey(accountId));
    return Item !== undefined;
  }

  async submit(request: AccessRequest): Promise<void> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...openKey(request.accountId), requestId: request.requestId },
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...requestKey(request.requestId),
                  ...request,
                  gsi1pk: statusPartition(request.status),
                  gsi1sk: sortKey(request),
                },
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!refusedAt(error, 0)) throw error;
      const Item = await readItem(this.client, this.tableName, openKey(request.accountId));
      throw new DomainError(
        "AccessRequestOpen",
        `Account ${request.accountId} has an access request open already (${String(Item?.requestId ?? "being written")}); an admin decides it before another can be made.`,
      );
    }
  }

  async get(requestId: string): Promise<AccessRequest | undefined> {
    const Item = await readItem(this.client, this.tableName, requestKey(requestId));
    return Item ? toRequest(Item) : undefined;
  }

  async list(
    status: AccessRequestStatus,
    limit: number,
    nextToken?: string,
  ): Promise<AccessRequestPage> {
    let startKey: Record<string, unknown> | undefined;
    if (nextToken) {
      try {
        startKey = JSON.parse(Buffer.from(nextToken, "base64url").toString("utf8"));
      } catch {
        throw badToken();
      }
      if (startKey?.gsi1pk !== statusPartition(status)) throw badToken();
    }
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: ACCOUNT_INDEX,
        KeyConditionExpression: "gsi1pk = :status",
        ExpressionAttributeValues: { ":status": statusPartition(status) },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      requests: Items.map(toRequest),
      ...(LastEvaluatedKey
        ? {
            nextToken: Buffer.from(JSON.stringify(LastEvaluatedKey)).toString("base64url"),
          }
        : {}),
    };
  }

  async decide(
    requestId: string,
    status: "APPROVED" | "REJECTED",
    decision: NonNullable<AccessRequest["decision"]>,
  ): Promise<AccessRequest> {
    const current = await this.get(requestId);
    if (!current) {
      throw new DomainError("AccessRequestNotFound", `No access request ${requestId}.`);
    }
    const decided: AccessRequest = { ...current, status, decision };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: requestKey(requestId),
                UpdateExpression:
                  "SET #status = :status, decision = :decision, gsi1pk = :partition",
                ConditionExpression: "#status = :open",
                ExpressionAttributeNames: { "#status": "status" },
                ExpressionAttributeValues: {
                  ":status": status,
                  ":decision": decision,
                  ":partition": statusPartition(status),
                  ":open": "OPEN",
                },
              },
            },
            {
              Delete: {
                TableName: this.tableName,
                Key: openKey(current.accountId),
              },
            },
            ...(status === "APPROVED"
              ? [
                  {
                    Put: {
                      TableName: this.tableName,
                      Item: {
                        ...grantKey(current.accountId),
                        accountId: current.accountId,
                        requestId,
                        grantedBy: decision.by,
                        grantedAt: decision.at,
                      },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
      return decided;
    } catch (error) {
      if (!refusedAt(error, 0) && !(error instanceof ConditionalCheckFailedException)) {
        throw error;
      }
      const now = await this.get(requestId);
      throw new DomainError(
        "AccessRequestDecided",
        `Access request ${requestId} was decided already: ${now?.status ?? "gone"}${now?.decision ? ` by ${now.decision.by} at ${now.decision.at}` : ""}.`,
      );
    }
  }
}
