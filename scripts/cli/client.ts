// The CLI's HTTP client: JSON in and out over snaprelay's public API, each request carrying a proof
// of the caller's AWS identity (proof.ts).
// Any refusal becomes an ApiRefusal carrying the API's own code and message, for the CLI to print.
import type { Signer } from "./proof.js";

export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiRefusal";
  }
}

export interface Client {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** The Authorization header value each request carries. */
  authorization(): Promise<string>;
}

export const httpClient = (apiUrl: string, signer: Signer): Client => {
  const base = apiUrl.replace(/\/+$/, "");
  const authorize = () =>
    signer.authorization().catch((error: unknown) => {
      throw new ApiRefusal(
        0,
        "NoCredentials",
        `cannot sign the request with your AWS credentials (${error instanceof Error ? error.message : String(error)}): set a profile (AWS_PROFILE, aws sso login) or AWS_* variables; locally, eval "$(npm run -s cloud-env -- <account id>)".`,
      );
    });
  const send = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const authorization = await authorize();
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const reason =
        error instanceof Error && error.cause instanceof Error
          ? error.cause.message
          : String(error);
      throw new ApiRefusal(
        0,
        "Unreachable",
        `snaprelay's API at ${base} did not answer (${reason}). Is the stack running (npm start), and is --api right?`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new ApiRefusal(
        response.status,
        "NotJson",
        `${method} ${path} answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}`,
      );
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string }; message?: string })
        ?.error;
      const message =
        error?.message ??
        (parsed as { message?: string }).message ??
        `${method} ${path} answered ${response.status}`;
      throw new ApiRefusal(response.status, error?.code ?? `Http${response.status}`, message);
    }
    return parsed as T;
  };
  return {
    get: (path) => send("GET", path),
    post: (path, body) => send("POST", path, body),
    authorization: authorize,
  };
};
