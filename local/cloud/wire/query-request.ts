// A Query API request as the cloud's protocols (EC2 and STS) take it: parameters from the query
// string and the form-urlencoded body, the request as received (for its signature to be checked),
// and the answer each gives back.
import type { IncomingMessage } from "node:http";
import type { ReceivedRequest } from "../auth/sigv4.js";
import { QueryParams } from "./query-params.js";
import { readBody } from "./request-body.js";
import { scopedService } from "./signing-identity.js";

export interface QueryRequest {
  requestId: string;
  params: QueryParams;
  /** What the signature covers: each handler verifies it before acting. */
  received: ReceivedRequest;
  /** The service the credential scope names, unverified: which handler the request goes to. */
  scopedService: string;
}

export interface QueryAnswer {
  httpStatus: number;
  xml: string;
}

/** One protocol's side: answers every request, errors included, as that protocol's XML. */
export type QueryHandler = (request: QueryRequest) => Promise<QueryAnswer>;

export async function readQueryRequest(
  request: IncomingMessage,
  requestId: string,
  limits: { maxBodyBytes: number; tooLarge: () => Error },
): Promise<QueryRequest> {
  const body = await readBody(request, limits.maxBodyBytes, limits.tooLarge);
  const url = new URL(request.url ?? "/", "http://local-cloud");
  const params = QueryParams.from(url.searchParams, new URLSearchParams(body.toString("utf8")));
  return {
    requestId,
    params,
    received: {
      method: request.method ?? "GET",
      url: request.url ?? "/",
      headers: request.headers,
      body,
    },
    scopedService: scopedService(request.headers, url.searchParams),
  };
}
