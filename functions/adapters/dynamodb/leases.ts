// The Leases port on DynamoDB: one item per lease, taken by a conditional write (free, or its
// holder's time up) and given back by its holder alone, with the cursor its run got to.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Leases } from "../../core/ports.js";
import { leaseKey } from "./jobs-table.js";

export class DynamoLeases implements Leases {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(
    name: string,
    holder: string,
    now: Date,
    until: Date,
  ): Promise<{ cursor?: string } | false> {
    try {
      const { Attributes = {} } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: leaseKey(name),
          UpdateExpression: "SET holder = :holder, heldUntil = :until",
          ConditionExpression: "attribute_not_exists(heldUntil) OR heldUntil < :now",
          ExpressionAttributeValues: {
            ":holder": holder,
            ":until": until.toISOString(),
            ":now": now.toISOString(),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return typeof Attributes.cursor === "string" ? { cursor: Attributes.cursor } : {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async finish(name: string, holder: string, cursor: string | undefined): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: leaseKey(name),
          // CURSOR is one of DynamoDB's reserved words: named through #cursor.
          UpdateExpression:
            cursor === undefined
              ? "REMOVE #cursor, heldUntil"
              : "SET #cursor = :cursor REMOVE heldUntil",
          ConditionExpression: "holder = :holder",
          ExpressionAttributeNames: { "#cursor": "cursor" },
          ExpressionAttributeValues: {
            ":holder": holder,
            ...(cursor === undefined ? {} : { ":cursor": cursor }),
          },
        }),
      );
    } catch (error) {
      // Its time ran out and another run holds it now: that run's cursor stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
