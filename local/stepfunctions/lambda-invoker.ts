// Invokes Lambda functions over the Lambda Invoke HTTP API at a configurable endpoint (locally
// serverless-offline's port 3002) and reports the outcome without throwing.

import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { JsonValue } from "./json.js";
import { functionError, invokeFailure, type TaskError } from "./lambda-errors.js";

export interface InvokeRequest {
  functionName: string;
  /** undefined sends no payload (the function then receives {}). */
  payload: JsonValue | undefined;
  invocationType?: "RequestResponse" | "Event" | "DryRun";
  qualifier?: string;
  signal: AbortSignal;
}

export type InvokeOutcome =
  | {
      ok: true;
      payload: JsonValue;
      statusCode: number;
      executedVersion: string;
      requestId: string | undefined;
    }
  | ({ ok: false } & TaskError);

export class LambdaInvoker {
  private readonly client: LambdaClient;

  constructor(endpoint: string, region: string) {
    this.client = new LambdaClient({
      endpoint,
      region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      // The state machine's Retry decides about retries, as on AWS; the SDK must not.
      maxAttempts: 1,
    });
  }

  /** Rejects only when `signal` aborts; every other failure is an outcome. */
  async invoke(request: InvokeRequest): Promise<InvokeOutcome> {
    const command = new InvokeCommand({
      FunctionName: request.functionName,
      InvocationType: request.invocationType,
      Qualifier: request.qualifier,
      Payload:
        request.payload === undefined
          ? undefined
          : new TextEncoder().encode(JSON.stringify(request.payload)),
    });
    try {
      const result = await this.client.send(command, { abortSignal: request.signal });
      const payload = decodePayload(result.Payload);
      if (result.FunctionError !== undefined) return { ok: false, ...functionError(payload) };
      return {
        ok: true,
        payload,
        statusCode: result.StatusCode ?? 200,
        executedVersion: result.ExecutedVersion ?? "$LATEST",
        requestId: result.$metadata.requestId,
      };
    } catch (failure) {
      if (request.signal.aborted) throw failure;
      return { ok: false, ...invokeFailure(failure) };
    }
  }

  close(): void {
    this.client.destroy();
  }
}

// Lambda payloads are JSON; anything else (serverless-offline quotes strings unescaped) is
// passed on as the raw text rather than failing the task.
function decodePayload(bytes: Uint8Array | undefined): JsonValue {
  if (bytes === undefined || bytes.length === 0) return null;
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}
