// A Query API request as the cloud's protocols (EC2 and STS) take it: parameters from the query
// string and the form-urlencoded body, and the credential scope; and the answer each gives back.
import type { IncomingMessage } from "node:http";
import { QueryParams } from "./query-params.js";
import { readBodyText } from "./request-body.js";
import { type CredentialScope, credentialScope } from "./signing-identity.js";

export interface QueryRequest {
  requestId: string;
  params: QueryParams;
  /** Undefined for an unsigned request. */
  scope: CredentialScope | undefined;
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
  const body = await readBodyText(request, limits.maxBodyBytes, limits.tooLarge);
  const url = new URL(request.url ?? "/", "http://local-cloud");
  const params = QueryParams.from(url.searchParams, new URLSearchParams(body));
  return { requestId, params, scope: credentialScope(request.headers.authorization, params) };
}
