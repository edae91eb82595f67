// Verifies a request's AWS Signature Version 4 as AWS does, in both of its forms (Authorization
// header, or X-Amz-* query parameters of a presigned URL): the scope, the time, the key and its
// session token, the body's hash, then the signature itself. The signature is computed by the AWS
// SDK's own signer (@smithy/signature-v4) re-signing the received request with the key's secret at
// the received date, and compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { HttpRequest } from "@smithy/core/protocols";
import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import { REGION_NAME } from "../wire/signing-identity.js";

/** Who a key belongs to, as GetCallerIdentity names it. */
export interface Principal {
  accountId: string;
  /** arn:aws:iam::<account>:user/<name>, or arn:aws:sts::<account>:assumed-role/<role>/<session> */
  arn: string;
  userId: string;
}

/** A key the cloud knows: long-term (no session token), or temporary (token and expiration). */
export interface KnownKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
  principal: Principal;
}

export type FindKey = (accessKeyId: string) => KnownKey | undefined;

/** A request as it reached the server: what its signature covers. */
export interface ReceivedRequest {
  method: string;
  /** The path and query string, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

/** Who sent a request whose signature holds, and the region it signed for. */
export interface Caller {
  principal: Principal;
  accessKeyId: string;
  region: string;
}

/**
 * Why a request is refused; each service answers each reason with its own code (auth-errors.ts).
 * `unknownKey` covers a session token missing, wrong or given with a long-term key, as in AWS.
 */
export type RefusalReason =
  | "missing"
  | "incomplete"
  | "unknownKey"
  | "badSignature"
  | "requestExpired"
  | "tokenExpired";

export class SignatureRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = "SignatureRefusal";
  }
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const TERMINATOR = "aws4_request";
/** How far a signature's time may be from the cloud's clock, as AWS allows. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_SECONDS = 604_800;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;
// The query parameters of a presigned URL that the signer itself writes.
const PRESIGN_PARAMETERS = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
] as const;

const refuse = (reason: RefusalReason, message: string) => new SignatureRefusal(reason, message);

/** The parts of a signature, from whichever form carried it. */
interface SignatureParts {
  form: "header" | "query";
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string | undefined;
  /** Presigned URLs only. */
  expires: string | undefined;
  sessionToken: string | undefined;
}

/**
 * The caller, if the request is signed for `service` with a key `findKey` knows and the signature
 * holds at `now`; else a SignatureRefusal saying why not.
 */
export async function verifySignature(
  request: ReceivedRequest,
  service: string,
  findKey: FindKey,
  now: Date,
): Promise<Caller> {
  const url = new URL(request.url, "http://local-cloud");
  const parts = signatureParts(request.headers, url.searchParams);
  const { accessKeyId, region } = checkScope(parts, service);
  const signedAt = signingTime(parts);
  const signedHeaderNames = parts.signedHeaders.split(";");
  if (!signedHeaderNames.includes("host")) {
    throw refuse(
      "incomplete",
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  if (!HEX_SIGNATURE.test(parts.signature)) {
    throw refuse("badSignature", "The signature is not 64 lowercase hexadecimal digits.");
  }

  const key = findKey(accessKeyId);
  if (!key) {
    throw refuse("unknownKey", `The local cloud knows no access key '${accessKeyId}'.`);
  }
  checkSessionToken(key, parts.sessionToken, now);
  const expiresInSeconds = checkTime(parts, signedAt, now);

  const bodyHash = createHash("sha256").update(request.body).digest("hex");
  const claimedHash = request.headers["x-amz-content-sha256"];
  if (claimedHash !== undefined && claimedHash !== bodyHash) {
    throw refuse(
      "badSignature",
      "The x-amz-content-sha256 header is not the SHA-256 of the request's body.",
    );
  }

  const expected = await signatureOf(request, url, {
    key,
    region,
    service,
    signedAt,
    signedHeaderNames,
    form: parts.form,
    expiresInSeconds,
  });
  if (!sameText(expected, parts.signature)) {
    throw refuse(
      "badSignature",
      "The request was changed after it was signed, or signed with another secret.",
    );
  }
  return { principal: key.principal, accessKeyId, region };
}

function signatureParts(headers: IncomingHttpHeaders, query: URLSearchParams): SignatureParts {
  // An empty Authorization header is no signature at all.
  const authorization = headers.authorization || undefined;
  const presigned = PRESIGN_PARAMETERS.some((name) => query.has(name));
  if (authorization !== undefined && presigned) {
    throw refuse(
      "incomplete",
      "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified.",
    );
  }
  if (authorization !== undefined) return headerParts(authorization, headers);
  if (presigned) return queryParts(query);
  throw refuse("missing", "The request carries no SigV4 signature.");
}

function headerParts(authorization: string, headers: IncomingHttpHeaders): SignatureParts {
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    throw refuse(
      "incomplete",
      `The Authorization header is not of the ${ALGORITHM} scheme (SigV4), the one the local cloud takes.`,
    );
  }
  const fields = new Map<string, string>();
  for (const field of authorization.slice(ALGORITHM.length + 1).split(",")) {
    const [name = "", ...value] = field.trim().split("=");
    fields.set(name, value.join("="));
  }
  const missing = ["Credential", "SignedHeaders", "Signature"].filter((name) => !fields.get(name));
  if (missing.length > 0) {
    const requires = missing.map((name) => `Authorization header requires '${name}' parameter.`);
    throw refuse("incomplete", `${requires.join(" ")} Authorization=${authorization}`);
  }
  return {
    form: "header",
    credential: fields.get("Credential") ?? "",
    signedHeaders: fields.get("SignedHeaders") ?? "",
    signature: fields.get("Signature") ?? "",
    amzDate: single(headers["x-amz-date"]),
    expires: undefined,
    sessionToken: single(headers["x-amz-security-token"]),
  };
}

function queryParts(query: URLSearchParams): SignatureParts {
  const required = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
    "X-Amz-Expires",
  ];
  if (required.some((name) => !query.get(name))) {
    throw refuse(
      "incomplete",
      `AWS query-string parameters must include ${required.map((name) => `'${name}'`).join(", ")}. Re-examine the query-string parameters.`,
    );
  }
  const algorithm = query.get("X-Amz-Algorithm");
  if (algorithm !== ALGORITHM) {
    throw refuse("incomplete", `X-Amz-Algorithm only supports '${ALGORITHM}', not '${algorithm}'.`);
  }
  return {
    form: "query",
    credential: query.get("X-Amz-Credential") ?? "",
    signedHeaders: query.get("X-Amz-SignedHeaders") ?? "",
    signature: query.get("X-Amz-Signature") ?? "",
    amzDate: query.get("X-Amz-Date") ?? undefined,
    expires: query.get("X-Amz-Expires") ?? undefined,
    sessionToken: query.get("X-Amz-Security-Token") ?? undefined,
  };
}

/** The scope's access key id and region, once it is well formed, names `service` and the date. */
function checkScope(
  parts: SignatureParts,
  service: string,
): { accessKeyId: string; region: string } {
  const scope = parts.credential.split("/");
  const [accessKeyId = "", date = "", region = "", scopeService = "", terminator = ""] = scope;
  if (scope.length !== 5) {
    throw refuse(
      "incomplete",
      `Credential '${parts.credential}' is not <access key id>/<yyyymmdd>/<region>/<service>/${TERMINATOR}.`,
    );
  }
  if (terminator !== TERMINATOR) {
    throw refuse(
      "incomplete",
      `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${terminator}'.`,
    );
  }
  if (scopeService !== service) {
    throw refuse("badSignature", `Credential should be scoped to correct service: '${service}'.`);
  }
  if (!REGION_NAME.test(region)) {
    throw refuse("badSignature", `Credential should be scoped to a valid region, not '${region}'.`);
  }
  const signedOn = parts.amzDate?.slice(0, 8);
  if (parts.amzDate !== undefined && date !== signedOn) {
    throw refuse(
      "badSignature",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${signedOn}', from 'X-Amz-Date'.`,
    );
  }
  return { accessKeyId, region };
}

function signingTime({ amzDate, form }: SignatureParts): Date {
  if (amzDate === undefined) {
    throw refuse(
      "incomplete",
      form === "header"
        ? "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header; the local cloud reads X-Amz-Date."
        : "AWS query-string parameters must include 'X-Amz-Date'.",
    );
  }
  const [, year, month, day, hour, minute, second] = (AMZ_DATE.exec(amzDate) ?? []).map(Number);
  const time = new Date(
    Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0),
  );
  // A date that does not exist (20260231T…) comes back as another one.
  if (!AMZ_DATE.test(amzDate) || basicFormat(time) !== amzDate) {
    throw refuse(
      "incomplete",
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  return time;
}

/** A temporary key needs its own session token, unexpired; a long-term key takes none. */
function checkSessionToken(key: KnownKey, sessionToken: string | undefined, now: Date): void {
  if (key.sessionToken === undefined) {
    if (sessionToken !== undefined) {
      throw refuse(
        "unknownKey",
        `The request carries a session token, but ${key.accessKeyId} is a long-term key, which takes none: drop AWS_SESSION_TOKEN.`,
      );
    }
    return;
  }
  if (sessionToken === undefined || !sameText(sessionToken, key.sessionToken)) {
    throw refuse(
      "unknownKey",
      `${key.accessKeyId} is a temporary key: sign with the session token AssumeRole issued with it (X-Amz-Security-Token).`,
    );
  }
  if (key.expiration && now >= key.expiration) {
    throw refuse("tokenExpired", `${key.accessKeyId} expired at ${key.expiration.toISOString()}.`);
  }
}

/**
 * A header-signed request must be signed within 15 minutes of now; a presigned URL is good from
 * 15 minutes before its date until X-Amz-Expires seconds after it. Answers X-Amz-Expires.
 */
function checkTime(parts: SignatureParts, signedAt: Date, now: Date): number | undefined {
  const earliest = new Date(now.getTime() - MAX_CLOCK_SKEW_MS);
  const latest = new Date(now.getTime() + MAX_CLOCK_SKEW_MS);
  if (signedAt > latest) {
    throw refuse(
      "requestExpired",
      `Signature not yet current: ${basicFormat(signedAt)} is still later than ${basicFormat(latest)} (${basicFormat(now)} + 15 min.)`,
    );
  }
  if (parts.form === "header") {
    if (signedAt < earliest) {
      throw refuse(
        "requestExpired",
        `Signature expired: ${basicFormat(signedAt)} is now earlier than ${basicFormat(earliest)} (${basicFormat(now)} - 15 min.)`,
      );
    }
    return undefined;
  }
  const seconds = Number(parts.expires);
  if (!/^[1-9]\d*$/.test(parts.expires ?? "") || seconds > MAX_PRESIGNED_SECONDS) {
    throw refuse(
      "incomplete",
      `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_SECONDS} (a week), not '${parts.expires}'.`,
    );
  }
  const end = new Date(signedAt.getTime() + seconds * 1000);
  if (now > end) {
    throw refuse(
      "requestExpired",
      `Signature expired: the URL was signed at ${basicFormat(signedAt)} for ${seconds} seconds, so it expired at ${basicFormat(end)}; it is now ${basicFormat(now)}.`,
    );
  }
  return seconds;
}

/** The signature the SDK's signer gives the received request with the key's secret. */
async function signatureOf(
  request: ReceivedRequest,
  url: URL,
  signing: {
    key: KnownKey;
    region: string;
    service: string;
    signedAt: Date;
    signedHeaderNames: string[];
    form: "header" | "query";
    expiresInSeconds: number | undefined;
  },
): Promise<string> {
  const { key, region, service, signedAt, signedHeaderNames } = signing;
  const signer = new SignatureV4({
    service,
    region,
    credentials: {
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      ...(key.sessionToken === undefined ? {} : { sessionToken: key.sessionToken }),
    },
    sha256: Hash.bind(null, "sha256"),
    // The body's hash goes into the signature either way; only a header the client sent is signed.
    applyChecksum: false,
  });
  // Only what the client signed: the signer writes the date, the token and the auth parameters
  // itself, from the values already checked equal to the received ones.
  const headers: Record<string, string> = {};
  for (const name of signedHeaderNames) {
    const value = single(request.headers[name]);
    if (value !== undefined && name !== "x-amz-date" && name !== "x-amz-security-token") {
      headers[name] = value;
    }
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    if (signing.form === "query" && (PRESIGN_PARAMETERS as readonly string[]).includes(name)) {
      continue;
    }
    const earlier = query[name];
    query[name] = earlier === undefined ? value : [earlier, value].flat();
  }
  const toSign = new HttpRequest({
    method: request.method,
    protocol: "http:",
    hostname: url.hostname,
    path: url.pathname,
    query,
    headers,
    body: request.body,
  });
  const signableHeaders = new Set(signedHeaderNames);
  if (signing.form === "query") {
    const presigned = await signer.presign(toSign, {
      signingDate: signedAt,
      expiresIn: signing.expiresInSeconds,
      signableHeaders,
      // Headers the client signed stay headers: only the signer's own parameters go in the query.
      unhoistableHeaders: signableHeaders,
    });
    return String(presigned.query?.["X-Amz-Signature"] ?? "");
  }
  const signed = await signer.sign(toSign, { signingDate: signedAt, signableHeaders });
  return /Signature=([0-9a-f]+)/.exec(signed.headers.authorization ?? "")?.[1] ?? "";
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

/** 20261125T023502Z */
function basicFormat(time: Date): string {
  return `${time.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z`;
}
