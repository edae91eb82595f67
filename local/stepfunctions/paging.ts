// Opaque, tamper-evident nextTokens for list operations, plus the maxResults rule (0 means 100).
// A token is bound to the query it came from, so reusing it elsewhere is InvalidToken, as on AWS.

import { createHash, createHmac, randomBytes } from "node:crypto";
import type { JsonObject } from "./json.js";
import { optionalInteger, optionalString } from "./request-fields.js";
import { invalidToken } from "./service-errors.js";

const DEFAULT_PAGE_SIZE = 100;

export interface PageRequest {
  size: number;
  token: string | undefined;
}

export function readPageRequest(body: JsonObject): PageRequest {
  const maxResults = optionalInteger(body, "maxResults", 0, 1000);
  return {
    size: maxResults === undefined || maxResults === 0 ? DEFAULT_PAGE_SIZE : maxResults,
    token: optionalString(body, "nextToken"),
  };
}

export class PageTokens {
  // Per-process key: tokens need not survive a restart, executions do not either.
  private readonly key = randomBytes(32);

  encode(query: string, position: number): string {
    const body = Buffer.from(JSON.stringify({ q: digest(query), p: position })).toString(
      "base64url",
    );
    return `${body}.${this.sign(body)}`;
  }

  /** The position stored in a token issued for the same query; InvalidToken otherwise. */
  decode(token: string, query: string): number {
    const [body, signature, extra] = token.split(".");
    if (body === undefined || signature !== this.sign(body) || extra !== undefined) {
      throw invalidToken(token);
    }
    const parsed: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    const position = readPosition(parsed, digest(query));
    if (position === undefined) throw invalidToken(token);
    return position;
  }

  private sign(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url").slice(0, 22);
  }
}

function digest(query: string): string {
  return createHash("sha256").update(query).digest("base64url").slice(0, 16);
}

function readPosition(parsed: unknown, queryDigest: string): number | undefined {
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { q, p } = parsed as { q?: unknown; p?: unknown };
  return q === queryDigest && typeof p === "number" && Number.isInteger(p) ? p : undefined;
}
