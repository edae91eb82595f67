// How a listing of an account's jobs reads the table: which index answers it, its key condition
// and filter, and the page token that resumes it. Pure, so the expressions are tested alone.
import { DomainError } from "../../core/errors.js";
import type { JobStatus } from "../../core/job.js";
import { ExpressionBuilder } from "./expression-builder.js";
import {
  ACCOUNT_INDEX,
  accountPartition,
  SNAPSHOT_INDEX,
  STATUS_INDEX,
  snapshotPartition,
  statusPartition,
} from "./jobs-table.js";

export interface ListFilter {
  status?: JobStatus;
  snapshotId?: string;
}

export interface ListPlan {
  /** The Query's index, key condition, filter and placeholders (TableName, Limit and paging aside). */
  query: {
    IndexName: string;
    KeyConditionExpression: string;
    FilterExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  };
  /** The index holds keys only: a page's jobs are then read from the table by key. */
  readsItems: boolean;
  /** Names this listing, so a page token is only taken back by the listing that gave it. */
  signature: string;
}

/**
 * A status (with or without a snapshot) reads the status index, which carries snapshotId to
 * filter on; a snapshot alone reads the snapshot index; no filter reads the account index. Each
 * index is sorted by creation time, so every listing is newest first.
 */
export const listPlan = (accountId: string, filter: ListFilter): ListPlan => {
  const { indexName, keyName, keyValue } = filter.status
    ? {
        indexName: STATUS_INDEX,
        keyName: "gsi3pk",
        keyValue: statusPartition(accountId, filter.status),
      }
    : filter.snapshotId
      ? {
          indexName: SNAPSHOT_INDEX,
          keyName: "gsi4pk",
          keyValue: snapshotPartition(accountId, filter.snapshotId),
        }
      : { indexName: ACCOUNT_INDEX, keyName: "gsi1pk", keyValue: accountPartition(accountId) };
  const expression = new ExpressionBuilder();
  const keyCondition = `${expression.name(keyName)} = ${expression.value(keyValue)}`;
  // Only the status index is read with a snapshot filter; the snapshot index already is one.
  const filterExpression =
    filter.status && filter.snapshotId
      ? `${expression.name("snapshotId")} = ${expression.value(filter.snapshotId)}`
      : undefined;
  return {
    query: {
      IndexName: indexName,
      KeyConditionExpression: keyCondition,
      ...(filterExpression ? { FilterExpression: filterExpression } : {}),
      ...expression.attributes(),
    },
    readsItems: indexName !== ACCOUNT_INDEX,
    signature: `${indexName}|${keyValue}|${filter.snapshotId ?? ""}`,
  };
};

interface PageToken {
  /** The listing's signature. */
  s: string;
  /** DynamoDB's LastEvaluatedKey. */
  k: Record<string, unknown>;
}

export const encodePageToken = (
  signature: string,
  lastKey: Record<string, unknown> | undefined,
): string | undefined =>
  lastKey
    ? Buffer.from(JSON.stringify({ s: signature, k: lastKey } satisfies PageToken)).toString(
        "base64url",
      )
    : undefined;

export const decodePageToken = (
  signature: string,
  token: string | undefined,
): Record<string, unknown> | undefined => {
  if (token === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const isToken =
    typeof parsed === "object" &&
    parsed !== null &&
    typeof (parsed as PageToken).s === "string" &&
    typeof (parsed as PageToken).k === "object" &&
    (parsed as PageToken).k !== null;
  if (!isToken) {
    throw new DomainError(
      "InvalidRequest",
      "nextToken: not a token this API returned; omit it to start from the newest job.",
    );
  }
  const { s, k } = parsed as PageToken;
  if (s !== signature) {
    throw new DomainError(
      "InvalidRequest",
      "nextToken: it belongs to a listing with other filters; repeat the status and snapshotId it came with, or omit it to start over.",
    );
  }
  return k;
};
