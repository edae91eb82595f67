// The STS side of the Query API (awsQuery, as AWS STS speaks it): AssumeRole and GetCallerIdentity,
// each answered in <…Result> and <ResponseMetadata>, errors as an <ErrorResponse>, once the
// request's signature holds for sts.
import { cloudLog } from "../../log.js";
import { WireError } from "../../wire-error.js";
import type { Authenticate } from "../auth/authenticate.js";
import type { Principal } from "../auth/sigv4.js";
import { messageOf } from "../error-message.js";
import type { QueryParams } from "../wire/query-params.js";
import type { QueryHandler, QueryRequest } from "../wire/query-request.js";
import { awsQueryErrorDocument, awsQuerySuccessDocument, type XmlMembers } from "../wire/xml.js";
import type { SecurityTokenService } from "./security-token-service.js";

const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
const STS_VERSION = "2011-06-15";

type Action = (sts: SecurityTokenService, caller: Principal, params: QueryParams) => XmlMembers;

const ACTIONS: ReadonlyMap<string, Action> = new Map<string, Action>([
  [
    "AssumeRole",
    (sts, caller, params) => {
      const { credentials, user } = sts.assumeRole(caller, {
        roleArn: params.optional("RoleArn"),
        roleSessionName: params.optional("RoleSessionName"),
        externalId: params.optional("ExternalId"),
        durationSeconds: params.optional("DurationSeconds"),
      });
      return {
        Credentials: {
          AccessKeyId: credentials.accessKeyId,
          SecretAccessKey: credentials.secretAccessKey,
          SessionToken: credentials.sessionToken,
          Expiration: credentials.expiration.toISOString(),
        },
        AssumedRoleUser: { AssumedRoleId: user.assumedRoleId, Arn: user.arn },
      };
    },
  ],
  [
    "GetCallerIdentity",
    (_sts, caller) => ({ UserId: caller.userId, Account: caller.accountId, Arn: caller.arn }),
  ],
]);

/** Signed for the sts service, or an STS action of STS's API version (a client signing oddly). */
export function isStsRequest({ scopedService, params }: QueryRequest): boolean {
  if (scopedService === "sts") return true;
  return ACTIONS.has(params.optional("Action") ?? "") && params.optional("Version") === STS_VERSION;
}

export function stsEndpoint(sts: SecurityTokenService, authenticate: Authenticate): QueryHandler {
  return async ({ requestId, params, received }) => {
    try {
      const caller = await authenticate(received, "sts");
      const name = params.optional("Action") ?? "";
      const action = ACTIONS.get(name);
      if (!action) {
        throw new WireError(
          "InvalidAction",
          `Could not find operation ${name} for version ${params.optional("Version") ?? STS_VERSION}: the local STS answers ${[...ACTIONS.keys()].join(", ")}.`,
        );
      }
      const result = action(sts, caller.principal, params);
      return {
        httpStatus: 200,
        xml: awsQuerySuccessDocument(STS_NAMESPACE, name, requestId, result),
      };
    } catch (error) {
      if (error instanceof WireError) {
        const refusal = { type: "Sender", code: error.code, message: error.message } as const;
        return {
          httpStatus: error.status,
          xml: awsQueryErrorDocument(STS_NAMESPACE, refusal, requestId),
        };
      }
      cloudLog.error(`STS request ${requestId} failed`, error);
      const message = `The local STS failed to answer: ${messageOf(error)}`;
      const failure = { type: "Receiver", code: "InternalFailure", message } as const;
      return { httpStatus: 500, xml: awsQueryErrorDocument(STS_NAMESPACE, failure, requestId) };
    }
  };
}
