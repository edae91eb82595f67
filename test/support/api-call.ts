// One call to the stack's HTTP API as the end-to-end tests make it: JSON in and out, a proof of
// identity (a Signer) or a session's token if given, and every exchange held to the OpenAPI
// document (see openapi-conformance.ts).
import { makeDistinctSnapshots } from "./cloud-snapshots.js";
import { assertConforms } from "./openapi-conformance.js";
import type { Signer } from "./signed-as.js";

/** Who calls: a Signer (a fresh proof each time it is due), or a session's token (`Bearer`). */
export type CallerAuth = Signer | string;

const authorizationOf = async (auth: CallerAuth | undefined): Promise<string | undefined> =>
  auth === undefined
    ? undefined
    : typeof auth === "string"
      ? `Bearer ${auth}`
      : auth.authorization();

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export const apiCall = async (
  baseUrl: string,
  method: string,
  path: string,
  options: {
    token?: CallerAuth | undefined;
    /** A value is sent as JSON; a string as it is (to send what is not JSON). */
    body?: unknown;
    headers?: Record<string, string>;
    /**
     * A 429 (the account's request rate) is waited out for its Retry-After and the call made
     * again, as a well-behaved client does; false hands the 429 back to the test.
     */
    retryThrottled?: boolean;
  } = {},
): Promise<ApiAnswer> => {
  for (let attempt = 0; ; attempt++) {
    const answer = await callOnce(baseUrl, method, path, options);
    const throttled =
      answer.status === 429 && (answer.body.error as { code?: string })?.code === "TooManyRequests";
    if (!throttled || options.retryThrottled === false || attempt >= 20) return answer;
    const wait = Number(answer.headers.get("retry-after") ?? "1");
    await new Promise((resolve) => setTimeout(resolve, wait * 1000 + Math.random() * 250));
  }
};

const callOnce = async (
  baseUrl: string,
  method: string,
  path: string,
  options: {
    token?: CallerAuth | undefined;
    body?: unknown;
    headers?: Record<string, string>;
  },
): Promise<ApiAnswer> => {
  const authorization = await authorizationOf(options.token);
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined
      ? { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }
      : {}),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if (text) {
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(
        `${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 300)}`,
      );
    }
  }
  assertConforms({
    method,
    path,
    status: response.status,
    ...(options.body !== undefined && typeof options.body !== "string"
      ? { requestBody: options.body }
      : {}),
    responseBody: text ? body : undefined,
  });
  return { status: response.status, body, headers: response.headers };
};

/**
 * Makes a distinct snapshot of `blocks` blocks of 512 KiB in ap-shanghai (the demo account's) and
 * starts a job copying it to `destination`; answers the job's id.
 */
export const replicateNewSnapshot = async (
  stack: { api: string; cloudUrl: string },
  token: CallerAuth,
  options: { blocks: number; label: string; destination?: string },
): Promise<string> => {
  const [snapshotId] = await makeDistinctSnapshots(stack.cloudUrl, "ap-shanghai", 1, {
    blocks: options.blocks,
    blockSizeBytes: 512 * 1024,
    label: options.label,
  });
  const { status, body } = await apiCall(stack.api, "POST", "/replications", {
    token,
    body: {
      snapshotId,
      sourceRegion: "ap-shanghai",
      destinationRegions: [options.destination ?? "ap-mumbai"],
    },
  });
  if (status !== 202)
    throw new Error(`POST /replications answered ${status}: ${JSON.stringify(body)}`);
  return String(body.jobId);
};
