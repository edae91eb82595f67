// The local EventBridge's door: serverless-offline-aws-eventbridge (patched, see patches/) asks it
// about every PutEvents before an event reaches a rule. It checks the request's SigV4 signature as
// AWS does (local/cloud/auth/sigv4.ts) against the signing account's local keys, which the local
// cloud hands out; stamps each event with that account and the signed region, as EventBridge
// stamps an event with the account and region it came from; and admits an event from another
// account only if the bus policy serverless.yml declares admits it (bus-policy.ts).
//
// The local bus is one bus, snaprelay's default bus: every PutEvents is taken as addressed to it,
// as the tenants' forwarding rules address theirs. A rule's delivery from another bus is a
// PutEvents signed by the rule's account that names the rule in FORWARDED_BY (signed), as the
// local cloud does with each copy's event; a plain PutEvents call may not send an event whose
// source begins with "aws.", which only AWS's services send. The one local AWS service that puts
// events on this bus itself is Step Functions (local/stepfunctions/status-events.ts): its
// deliveries alone may carry source aws.states (see serviceDelivery below).
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";
import {
  type KnownKey,
  type ReceivedRequest,
  type RefusalReason,
  SignatureRefusal,
  verifySignature,
} from "../cloud/auth/sigv4.js";
import { type LocalCredentialsProvider, localCredentialsFor } from "../cloud/local-credentials.js";
import { accountOfLocalAccessKey } from "../cloud/wire/signing-identity.js";
import { WireError } from "../wire-error.js";
import { type Bus, BusPolicy, type Verdict } from "./bus-policy.js";

/** The header in which a rule's delivery names the rule, `arn:aws:events:<region>:<account>:rule/<name>`. */
export const FORWARDED_BY = "x-snaprelay-forwarded-by-rule";

/** The header in which the local Step Functions endpoint shows the token that marks its deliveries. */
export const AWS_SERVICE_TOKEN = "x-snaprelay-aws-service-token";
/**
 * Where serverless-offline's process finds that token, which the stack makes at each start and
 * gives to the local Step Functions endpoint and, through this variable, to the gate alone.
 */
export const AWS_SERVICE_TOKEN_ENV = "SNAPRELAY_EVENTS_AWS_SERVICE_TOKEN";
/** The aws.* sources the local AWS services' own deliveries may carry: Step Functions' only. */
const SERVICE_SOURCES: ReadonlySet<string> = new Set(["aws.states"]);

export interface GateOptions {
  /** The account whose default bus this is (snaprelay's own). */
  busAccountId: string;
  busRegion: string;
  partition?: string;
  /** The template's resources (serverless.yml's, as the plugin reads them). */
  resources: unknown;
  /** The local cloud, which hands each account its local keys (GET /_admin/credentials). */
  keysUrl: string;
  /**
   * The token of the local AWS services' deliveries; default: AWS_SERVICE_TOKEN_ENV's value. With
   * none, no aws.* event is taken but a rule's delivery.
   */
  awsServiceToken?: string;
  now?: () => Date;
}

/** An event the bus took, with what EventBridge writes around it. */
export interface AdmittedEvent {
  id: string;
  account: string;
  region: string;
  time: string;
  source: string;
  detailType: string;
  detail: string;
  resources: string[];
}

export type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface GateAnswer {
  /** PutEvents' answer, entry by entry in the request's order. */
  response: { FailedEntryCount: number; Entries: EntryResult[] };
  /** What goes on to the rules. */
  admitted: AdmittedEvent[];
}

export interface Gate {
  /** What the bus policy could not read: it admits nothing by those statements. */
  unread: string[];
  /** The answer to a PutEvents; a WireError for a request refused whole. */
  admit(request: ReceivedRequest): Promise<GateAnswer>;
}

// A JSON protocol service's names for a refused signature (as SSM's, in local/cloud/auth/).
const REFUSALS: Record<RefusalReason, { code: string; lead: string }> = {
  missing: {
    code: "MissingAuthenticationTokenException",
    lead: "Request is missing Authentication Token.",
  },
  incomplete: { code: "IncompleteSignatureException", lead: "" },
  unknownKey: {
    code: "UnrecognizedClientException",
    lead: "The security token included in the request is invalid.",
  },
  badSignature: {
    code: "InvalidSignatureException",
    lead: "The request signature we calculated does not match the signature you provided.",
  },
  requestExpired: { code: "InvalidSignatureException", lead: "" },
  tokenExpired: {
    code: "ExpiredTokenException",
    lead: "The security token included in the request is expired.",
  },
};
const SIGN_WITH_LOCAL_KEYS =
  "Sign with the account's local keys (GET /_admin/credentials?account=<account id> on the local cloud); the local EventBridge knows no other.";

const MAX_ENTRIES = 10;
const entrySchema = z.object({
  Source: z.string().optional(),
  DetailType: z.string().optional(),
  Detail: z.string().optional(),
  Resources: z.array(z.string()).optional(),
  Time: z.union([z.string(), z.number()]).optional(),
  EventBusName: z.string().optional(),
});
const requestSchema = z.object({ Entries: z.array(z.unknown()).min(1).max(MAX_ENTRIES) });

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The access key id the request claims, read before the signature is checked. */
const claimedKey = (headers: IncomingHttpHeaders): string | undefined =>
  /Credential=([^/,\s]+)\//.exec(single(headers.authorization) ?? "")?.[1];

/** The headers the request's signature covers (its Authorization header names them). */
const signedHeaders = (headers: IncomingHttpHeaders): string[] =>
  (/SignedHeaders=([^,\s]+)/.exec(single(headers.authorization) ?? "")?.[1] ?? "").split(";");

/** A header that means something to the gate counts only if the signature covers it. */
const requireSigned = (headers: IncomingHttpHeaders, name: string): void => {
  if (!signedHeaders(headers).includes(name)) {
    throw new WireError("IncompleteSignatureException", `${name} must be a signed header.`);
  }
};

const RULE_ARN = /^arn:[\w-]+:events:([a-z0-9-]+):(\d{12}):rule\/[\w.-]+(?:\/[\w.-]+)?$/;

/** Whether the request is a rule's delivery: FORWARDED_BY signed, naming a rule of the signer's. */
const forwardedBy = (
  headers: IncomingHttpHeaders,
  caller: { accountId: string; region: string },
): boolean => {
  const rule = single(headers[FORWARDED_BY]);
  if (rule === undefined) return false;
  const [, region, accountId] = RULE_ARN.exec(rule) ?? [];
  requireSigned(headers, FORWARDED_BY);
  if (accountId !== caller.accountId || region !== caller.region) {
    throw new WireError(
      "AccessDeniedException",
      `${rule} is not a rule of account ${caller.accountId} in ${caller.region}, which signed the delivery.`,
    );
  }
  return true;
};

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** The token the stack gave serverless-offline's process, taken out of its environment. */
const takeAwsServiceToken = (): string | undefined => {
  const token = process.env[AWS_SERVICE_TOKEN_ENV];
  // The functions run in serverless-offline's own process (useInProcess) and read its environment:
  // left there, the token would be theirs too, and in AWS no function of an account can send what
  // only AWS's services send.
  delete process.env[AWS_SERVICE_TOKEN_ENV];
  return token || undefined;
};

/**
 * Whether the request is the local Step Functions service's own delivery, which alone may put
 * aws.states events: it carries the stack's token in AWS_SERVICE_TOKEN, under the signature, and
 * is signed with the keys of the bus's own account, for the bus's region, as Step Functions puts
 * an execution's events on the default bus of its account and region.
 *
 * Why the token must be a signed header: the signature binds it to this one request (body, time,
 * signer), so it cannot be lifted onto a request of another's. A tenant holds neither the token
 * nor the bus account's keys, and needs both: its own keys sign nothing the bus takes as the
 * service's, and the service account's keys alone (the functions hold them) send no aws.* event
 * either. A captured request could at most be sent again unchanged, within the signature's 15
 * minutes, as any SigV4 request can; it would put the same event on the bus again, which
 * best-effort delivery allows anyway.
 */
const serviceDelivery = (
  headers: IncomingHttpHeaders,
  caller: { accountId: string; region: string },
  bus: Bus,
  expected: Buffer | undefined,
): boolean => {
  const token = single(headers[AWS_SERVICE_TOKEN]);
  if (token === undefined) return false;
  requireSigned(headers, AWS_SERVICE_TOKEN);
  if (expected === undefined) return false;
  // Compared as digests, in constant time: equal lengths, and nothing told by how long it takes.
  const matches = timingSafeEqual(digest(token), expected);
  return matches && caller.accountId === bus.accountId && caller.region === bus.region;
};

const entryError = (code: string, message: string): EntryResult => ({
  ErrorCode: code,
  ErrorMessage: message,
});

const isJsonObject = (text: string): boolean => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
};

const timeOf = (time: string | number | undefined, now: Date): string => {
  if (time === undefined) return now.toISOString();
  const date = new Date(typeof time === "number" ? time * 1000 : time);
  return Number.isNaN(date.getTime()) ? now.toISOString() : date.toISOString();
};

export const createGate = (options: GateOptions): Gate => {
  const bus: Bus = {
    accountId: options.busAccountId,
    region: options.busRegion,
    partition: options.partition ?? "aws",
  };
  const policy = BusPolicy.fromResources(options.resources, bus);
  const now = options.now ?? (() => new Date());
  const token = options.awsServiceToken ?? takeAwsServiceToken();
  const expectedToken = token ? digest(token) : undefined;
  const keys = new Map<string, LocalCredentialsProvider>();

  /** The key a request claims, if it is an account's local key the cloud gives. */
  const findKey = async (accessKeyId: string | undefined): Promise<KnownKey | undefined> => {
    const accountId = accessKeyId === undefined ? undefined : accountOfLocalAccessKey(accessKeyId);
    if (accountId === undefined || !options.keysUrl) return undefined;
    let provider = keys.get(accountId);
    if (!provider) {
      provider = localCredentialsFor(options.keysUrl, accountId);
      keys.set(accountId, provider);
    }
    const credentials = await provider();
    return {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      principal: {
        accountId,
        arn: `arn:aws:iam::${accountId}:user/local`,
        userId: `AIDA${accountId}LOCAL`,
      },
    };
  };

  const authenticate = async (request: ReceivedRequest) => {
    const key = await findKey(claimedKey(request.headers));
    try {
      const caller = await verifySignature(
        request,
        "events",
        (accessKeyId) => (key?.accessKeyId === accessKeyId ? key : undefined),
        now(),
      );
      return {
        accountId: caller.principal.accountId,
        arn: caller.principal.arn,
        region: caller.region,
      };
    } catch (error) {
      if (!(error instanceof SignatureRefusal)) throw error;
      const { code, lead } = REFUSALS[error.reason];
      throw new WireError(
        code,
        [lead, error.message, SIGN_WITH_LOCAL_KEYS].filter(Boolean).join(" "),
      );
    }
  };

  return {
    unread: policy.unread,
    async admit(request) {
      const target = single(request.headers["x-amz-target"]);
      if (target !== "AWSEvents.PutEvents") {
        throw new WireError(
          "UnknownOperationException",
          `The local EventBridge answers PutEvents only, not ${target ?? "a request with no X-Amz-Target"}.`,
        );
      }
      const caller = await authenticate(request);
      const eventBusInvocation = forwardedBy(request.headers, caller);
      const fromService = serviceDelivery(request.headers, caller, bus, expectedToken);
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(request.body).toString("utf8"));
      } catch {
        throw new WireError("SerializationException", "The request body is not JSON.");
      }
      const parsed = requestSchema.safeParse(body);
      if (!parsed.success) {
        throw new WireError(
          "ValidationException",
          `PutEvents takes 1 to ${MAX_ENTRIES} Entries: ${parsed.error.issues[0]?.message ?? "none given"}.`,
        );
      }
      const at = now();
      const admitted: AdmittedEvent[] = [];
      const entries = parsed.data.Entries.map((raw): EntryResult => {
        const entry = entrySchema.safeParse(raw);
        if (!entry.success)
          return entryError("InvalidArgument", entry.error.issues[0]?.message ?? "");
        const { Source: source, DetailType: detailType, Detail: detail } = entry.data;
        for (const [name, value] of [
          ["Source", source],
          ["DetailType", detailType],
          ["Detail", detail],
        ] as const) {
          if (!value) {
            return entryError(
              "InvalidArgument",
              `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
            );
          }
        }
        if (!isJsonObject(String(detail))) {
          return entryError("MalformedDetail", "Detail is malformed: it must be a JSON object.");
        }
        const awsSource = String(source).startsWith("aws.");
        const sentByItsService = fromService && SERVICE_SOURCES.has(String(source));
        const verdict: Verdict =
          awsSource && !eventBusInvocation && !sentByItsService
            ? {
                admitted: false,
                code: "NotAuthorizedForSourceException",
                message: `Not authorized for the source: only AWS services send events whose source begins with "aws.", not a PutEvents call (${caller.arn}).`,
              }
            : policy.decide({
                principalAccount: caller.accountId,
                principalArn: caller.arn,
                eventBusInvocation,
                source: String(source),
                detailType: String(detailType),
              });
        if (!verdict.admitted) return entryError(verdict.code, verdict.message);
        const id = randomUUID();
        admitted.push({
          id,
          account: caller.accountId,
          region: caller.region,
          time: timeOf(entry.data.Time, at),
          source: String(source),
          detailType: String(detailType),
          detail: String(detail),
          resources: entry.data.Resources ?? [],
        });
        return { EventId: id };
      });
      return {
        response: {
          FailedEntryCount: entries.filter((entry) => "ErrorCode" in entry).length,
          Entries: entries,
        },
        admitted,
      };
    },
  };
};
