// The AccessStore port on DynamoDB, in the jobs table. A request is one item, listed by status
// newest first through the account index (its partition is the status). An account's open
// request is marked by an item of its own, written with the request in one transaction, so a
// second open request is refused by a condition, not by a read. A decision changes the request,
// drops the mark and (approving) grants the account in one transaction. The grant is one item per
// account; its status moves PENDING_CONNECTION → CONNECTED → REVOKED under conditions, and a
// revoke records itself on the request that granted it, in the same transaction.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { DomainError } from "../../core/errors.js";
import type {
  AccessDecision,
  AccessOutcome,
  AccessRequest,
  AccessRequestPage,
  AccessRequestStatus,
  AccessStore,
  AccountGrant,
  GrantStatus,
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
  ...(item.revocation ? { revocation: item.revocation as AccessDecision } : {}),
});

const textOrNull = (value: unknown): string | null => (typeof value === "string" ? value : null);

const toGrant = (item: Record<string, unknown>): AccountGrant => {
  // A grant an older build wrote has no status: it let the account in at once, as CONNECTED does.
  const legacy = item.status === undefined;
  return {
    accountId: String(item.accountId),
    requestId: String(item.requestId),
    status: legacy ? "CONNECTED" : (item.status as GrantStatus),
    externalId: typeof item.externalId === "string" ? item.externalId : undefined,
    grantedBy: String(item.grantedBy),
    grantedAt: String(item.grantedAt),
    connectedAt: legacy ? String(item.grantedAt) : textOrNull(item.connectedAt),
    connectAttemptAt: textOrNull(item.connectAttemptAt),
    connectFailure: (item.connectFailure as AccountGrant["connectFailure"]) ?? null,
    revocation: (item.revocation as AccessDecision | undefined) ?? null,
  };
};

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

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

  async grant(accountId: string): Promise<AccountGrant | undefined> {
    const Item = await readItem(this.client, this.tableName, grantKey(accountId));
    return Item ? toGrant(Item) : undefined;
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
    outcome: AccessOutcome,
    decision: AccessDecision,
  ): Promise<AccessRequest> {
    const current = await this.get(requestId);
    if (!current) {
      throw new DomainError("AccessRequestNotFound", `No access request ${requestId}.`);
    }
    const { status } = outcome;
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
                // A decision is taken once.
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
            ...(outcome.status === "APPROVED"
              ? [
                  {
                    Put: {
                      TableName: this.tableName,
                      Item: {
                        ...grantKey(current.accountId),
                        accountId: current.accountId,
                        requestId,
                        status: "PENDING_CONNECTION" satisfies GrantStatus,
                        externalId: outcome.externalId,
                        grantedBy: decision.by,
                        grantedAt: decision.at,
                      },
                      // A new grant replaces a revoked one only: never one that lets the account
                      // in (an older build's has no status, and is live).
                      ConditionExpression: "attribute_not_exists(pk) OR #status = :revoked",
                      ExpressionAttributeNames: { "#status": "status" },
                      ExpressionAttributeValues: { ":revoked": "REVOKED" satisfies GrantStatus },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
      return decided;
    } catch (error) {
      if (refusedAt(error, 0) || isConditionFailure(error)) {
        const now = await this.get(requestId);
        throw new DomainError(
          "AccessRequestDecided",
          `Access request ${requestId} was decided already: ${now?.status ?? "gone"}${now?.decision ? ` by ${now.decision.by} at ${now.decision.at}` : ""}.`,
        );
      }
      if (refusedAt(error, 2)) {
        throw new DomainError(
          "AlreadyAllowlisted",
          `Account ${current.accountId} has access already; access request ${requestId} stays OPEN. Revoke the account's access first to approve it anew.`,
        );
      }
      throw error;
    }
  }

  async claimConnectAttempt(accountId: string, now: string, triedBefore: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: grantKey(accountId),
          UpdateExpression: "SET connectAttemptAt = :now",
          // One try per window for the account, whichever Lambda instance asks first.
          ConditionExpression:
            "#status = :pending AND (attribute_not_exists(connectAttemptAt) OR connectAttemptAt <= :triedBefore)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":now": now,
            ":pending": "PENDING_CONNECTION" satisfies GrantStatus,
            ":triedBefore": triedBefore,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markConnected(accountId: string, at: string): Promise<AccountGrant | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: grantKey(accountId),
          UpdateExpression:
            "SET #status = :connected, connectedAt = :at REMOVE connectFailure, connectAttemptAt",
          // Only a pending grant connects: a revoke that came first stands.
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":connected": "CONNECTED" satisfies GrantStatus,
            ":pending": "PENDING_CONNECTION" satisfies GrantStatus,
            ":at": at,
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes ? toGrant(Attributes) : undefined;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return this.grant(accountId);
    }
  }

  async recordConnectFailure(accountId: string, at: string, reason: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: grantKey(accountId),
          UpdateExpression: "SET connectFailure = :failure, connectAttemptAt = :at",
          // Never makes a grant out of nothing.
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: {
            ":failure": { at, reason: reason.slice(0, 1000) },
            ":at": at,
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async revoke(accountId: string, revocation: AccessDecision): Promise<AccountGrant> {
    const current = await this.grant(accountId);
    if (!current) {
      throw new DomainError(
        "AccountNotGranted",
        `No approval granted account ${accountId} access: there is nothing to revoke.`,
      );
    }
    if (current.status === "REVOKED") return current;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: grantKey(accountId),
                UpdateExpression: "SET #status = :revoked, revocation = :revocation",
                // The grant read above, still live: a revoke is recorded once, on its own grant.
                ConditionExpression:
                  "requestId = :requestId AND (attribute_not_exists(#status) OR #status <> :revoked)",
                ExpressionAttributeNames: { "#status": "status" },
                ExpressionAttributeValues: {
                  ":revoked": "REVOKED" satisfies GrantStatus,
                  ":revocation": revocation,
                  ":requestId": current.requestId,
                },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: requestKey(current.requestId),
                UpdateExpression: "SET revocation = :revocation",
                ConditionExpression: "attribute_exists(pk)",
                ExpressionAttributeValues: { ":revocation": revocation },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!refusedAt(error, 0)) throw error;
      // Revoked (or approved anew) by another admin meanwhile: answer the grant as it is.
      const now = await this.grant(accountId);
      if (now) return now;
      throw error;
    }
    return { ...current, status: "REVOKED", revocation };
  }
}
