// The SessionStore on DynamoDB, in the jobs table: an item per session under the SHA-256 of its
// token, which DynamoDB's TTL removes a day after it expired (the API refuses it at its expiry).
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { SessionStore, SignInSession } from "../../core/ports.js";
import { sessionKey, TTL_ATTRIBUTE } from "./jobs-table.js";
import { readItem } from "./reads.js";

const KEEP_AFTER_EXPIRY_SECONDS = 24 * 3600;

export class DynamoSessionStore implements SessionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(tokenHash: string, session: SignInSession): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...sessionKey(tokenHash),
          accountId: session.accountId,
          principalArn: session.principalArn,
          createdAt: session.createdAt,
          // The table's TTL attribute is `expiresAt` (epoch seconds): the session's end is kept apart.
          endsAt: session.expiresAt,
          [TTL_ATTRIBUTE]:
            Math.floor(Date.parse(session.expiresAt) / 1000) + KEEP_AFTER_EXPIRY_SECONDS,
        },
        // A token is 256 random bits: a clash is a bug, never a session to overwrite.
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  async find(tokenHash: string): Promise<SignInSession | undefined> {
    const item = await readItem(this.client, this.tableName, sessionKey(tokenHash));
    if (!item) return undefined;
    return {
      accountId: String(item.accountId),
      principalArn: String(item.principalArn),
      createdAt: String(item.createdAt),
      expiresAt: String(item.endsAt),
    };
  }

  async remove(tokenHash: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: sessionKey(tokenHash) }),
    );
  }
}
