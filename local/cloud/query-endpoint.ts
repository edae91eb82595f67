// The HTTP side of the Query API on the cloud's port: reads a request, hands it to the local STS
// (signed for sts, or an STS action) or to EC2, and writes back the XML answer it gives.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { WireError } from "../wire-error.js";
import { ec2ErrorAnswer } from "./ec2-endpoint.js";
import { isStsRequest } from "./sts/sts-endpoint.js";
import { type QueryAnswer, type QueryHandler, readQueryRequest } from "./wire/query-request.js";

const MAX_BODY_BYTES = 1024 * 1024;

export function queryEndpoint(handlers: { ec2: QueryHandler; sts: QueryHandler }) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    let answer: QueryAnswer;
    try {
      const query = await readQueryRequest(request, requestId, {
        maxBodyBytes: MAX_BODY_BYTES,
        tooLarge: () =>
          new WireError(
            "RequestEntityTooLarge",
            `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
            413,
          ),
      });
      answer = await (isStsRequest(query) ? handlers.sts : handlers.ec2)(query);
    } catch (error) {
      // Only a request that could not be read gets here, so which service it was for is unknown:
      // it is answered as EC2, the service most calls are for.
      answer = ec2ErrorAnswer(error, requestId);
    }
    send(response, answer, requestId);
  };
}

function send(response: ServerResponse, { httpStatus, xml }: QueryAnswer, requestId: string): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(httpStatus, {
    "content-type": "text/xml;charset=UTF-8",
    "x-amzn-requestid": requestId,
  });
  response.end(xml);
}
