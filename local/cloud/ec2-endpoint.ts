// The EC2 side of the Query API: the account of the key that signed the request (once its SigV4
// signature holds), the region from its scope, one operation on that account's resources, one XML
// answer in EC2's form. Every CopySnapshot it refuses is counted in the caller's account.
import { cloudLog } from "../log.js";
import { WireError } from "../wire-error.js";
import { operationFor } from "./api/operations.js";
import type { Authenticate } from "./auth/authenticate.js";
import type { CloudAccounts } from "./cloud-accounts.js";
import { messageOf } from "./error-message.js";
import type { Faults } from "./faults.js";
import type { Traffic } from "./stats.js";
import { requestLimitExceeded } from "./wire/errors.js";
import type { QueryAnswer, QueryHandler } from "./wire/query-request.js";
import { errorDocument, successDocument } from "./wire/xml.js";

export interface Ec2EndpointDeps {
  accounts: CloudAccounts;
  faults: Faults;
  traffic: Traffic;
  authenticate: Authenticate;
}

export function ec2Endpoint({
  accounts,
  faults,
  traffic,
  authenticate,
}: Ec2EndpointDeps): QueryHandler {
  return async ({ requestId, params, received }) => {
    // Who asked for a copy where, once the signature holds: a refused CopySnapshot is counted in
    // that account and region.
    let copyRequest: { accountId: string; region: string } | undefined;
    try {
      traffic.requests++;
      // With a custom endpoint EC2 clients carry the region only in the credential scope.
      const { principal, region } = await authenticate(received, "ec2");
      if (params.optional("Action") === "CopySnapshot") {
        copyRequest = { accountId: principal.accountId, region };
      }
      if (faults.throttlesThisCall()) {
        traffic.throttledRequests++;
        throw requestLimitExceeded();
      }
      const action = params.required("Action");
      const operation = operationFor(action);
      // DryRun is answered as a permitted call without checking the other parameters: nothing
      // here checks permissions, and validating alone would need each operation split in two.
      if (params.boolean("DryRun")) {
        throw new WireError(
          "DryRunOperation",
          "Request would have succeeded, but DryRun flag is set.",
          412,
        );
      }
      const account = accounts.get(principal.accountId);
      const { accountId, store, copies, creation, writer } = account;
      const members = operation.run({ region, params, accountId, store, copies, creation });
      if (operation.changesState) {
        writer.markChanged();
        await writer.flush();
      }
      return { httpStatus: 200, xml: successDocument(action, requestId, members) };
    } catch (error) {
      const answer = ec2ErrorAnswer(error, requestId);
      const code = error instanceof WireError ? error.code : "InternalError";
      // DryRun's answer is an error in form only: the call would have been taken.
      if (copyRequest && code !== "DryRunOperation") {
        accounts.get(copyRequest.accountId).copies.refused(copyRequest.region, code);
      }
      return answer;
    }
  };
}

/** A WireError as EC2 answers it; anything else is the cloud's fault: InternalError, logged. */
export function ec2ErrorAnswer(error: unknown, requestId: string): QueryAnswer {
  if (error instanceof WireError) {
    return {
      httpStatus: error.status,
      xml: errorDocument(error.code, error.message, requestId),
    };
  }
  cloudLog.error(`request ${requestId} failed`, error);
  const message = `The local cloud failed to answer: ${messageOf(error)}`;
  return { httpStatus: 500, xml: errorDocument("InternalError", message, requestId) };
}
