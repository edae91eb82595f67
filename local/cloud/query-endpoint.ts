// The HTTP side of the EC2 Query protocol: parameters from the query string and the
// form-urlencoded body, the region from the SigV4 scope, one operation, one XML answer.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { OperationContext } from "./api/context.js";
import { operationFor } from "./api/operations.js";
import type { Faults } from "./faults.js";
import type { StateWriter } from "./state-writer.js";
import type { Traffic } from "./stats.js";
import { Ec2Error, requestLimitExceeded } from "./wire/errors.js";
import { QueryParams } from "./wire/query-params.js";
import { readBodyText } from "./wire/request-body.js";
import { signingRegion } from "./wire/signing-region.js";
import { errorDocument, successDocument } from "./wire/xml.js";

const MAX_BODY_BYTES = 1024 * 1024;

export interface QueryEndpointDeps extends Omit<OperationContext, "region" | "params"> {
  faults: Faults;
  writer: StateWriter;
  traffic: Traffic;
}

export function queryEndpoint(deps: QueryEndpointDeps) {
  const { faults, writer, traffic, ...cloud } = deps;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    try {
      const body = await readBody(request);
      const url = new URL(request.url ?? "/", "http://local-cloud");
      const params = QueryParams.from(url.searchParams, new URLSearchParams(body));
      traffic.requests++;
      if (faults.throttlesThisCall()) {
        traffic.throttledRequests++;
        throw requestLimitExceeded();
      }
      const region = signingRegion(request.headers.authorization, params);
      const action = params.required("Action");
      const operation = operationFor(action);
      // DryRun is answered as a permitted call without checking the other parameters: nothing
      // here checks permissions, and validating alone would need each operation split in two.
      if (params.boolean("DryRun")) {
        throw new Ec2Error(
          "DryRunOperation",
          "Request would have succeeded, but DryRun flag is set.",
          412,
        );
      }
      const members = operation.run({ ...cloud, region, params });
      if (operation.changesState) {
        writer.markChanged();
        await writer.flush();
      }
      send(response, 200, requestId, successDocument(action, requestId, members));
    } catch (error) {
      if (error instanceof Ec2Error) {
        send(
          response,
          error.httpStatus,
          requestId,
          errorDocument(error.code, error.message, requestId),
        );
        return;
      }
      console.error(`local cloud: request ${requestId} failed`, error);
      const message = `The local cloud failed to answer: ${error instanceof Error ? error.message : String(error)}`;
      send(response, 500, requestId, errorDocument("InternalError", message, requestId));
    }
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return readBodyText(
    request,
    MAX_BODY_BYTES,
    () =>
      new Ec2Error(
        "RequestEntityTooLarge",
        `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
        413,
      ),
  );
}

function send(response: ServerResponse, status: number, requestId: string, xml: string): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, {
    "content-type": "text/xml;charset=UTF-8",
    "x-amzn-requestid": requestId,
  });
  response.end(xml);
}
