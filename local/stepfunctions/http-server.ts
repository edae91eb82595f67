// The AWS JSON 1.0 wire: POST / with X-Amz-Target "AWSStepFunctions.<Operation>", a JSON body,
// 200 JSON answers with x-amzn-RequestId, and 400 {"__type","message"} + X-Amzn-ErrorType.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { WireError } from "../wire-error.js";
import { isJsonObject, type JsonObject, tryParseJson } from "./json.js";
import { operations } from "./operations.js";
import type { ServiceContext } from "./service-context.js";
import { serializationError, unknownOperation } from "./service-errors.js";

const TARGET_PREFIX = "AWSStepFunctions.";
const CONTENT_TYPE = "application/x-amz-json-1.0";
const MAX_BODY_BYTES = 1024 * 1024;

export function createStepFunctionsServer(context: ServiceContext): Server {
  return createServer((request, response) => {
    void serve(request, response, context);
  });
}

async function serve(request: IncomingMessage, response: ServerResponse, context: ServiceContext) {
  const requestId = randomUUID();
  try {
    const operation = resolveOperation(request);
    const body = await readBody(request);
    send(response, requestId, 200, operation(body, context));
  } catch (error) {
    if (error instanceof WireError) {
      send(
        response,
        requestId,
        error.status,
        { __type: error.code, message: error.message },
        error.code,
      );
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    send(response, requestId, 500, { __type: "InternalFailure", message }, "InternalFailure");
  }
}

function resolveOperation(request: IncomingMessage) {
  const target = request.headers["x-amz-target"];
  const name =
    request.method === "POST" && typeof target === "string" && target.startsWith(TARGET_PREFIX)
      ? target.slice(TARGET_PREFIX.length)
      : undefined;
  const operation = name === undefined ? undefined : operations.get(name);
  if (operation === undefined) {
    throw unknownOperation(String(target ?? `${request.method} ${request.url}`));
  }
  return operation;
}

async function readBody(request: IncomingMessage): Promise<JsonObject> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw serializationError("The request body is too large");
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  const body = tryParseJson(text);
  if (!isJsonObject(body)) throw serializationError("The request body must be a JSON object");
  return body;
}

function send(
  response: ServerResponse,
  requestId: string,
  status: number,
  body: JsonObject,
  errorType?: string,
): void {
  const headers: Record<string, string> = {
    "Content-Type": CONTENT_TYPE,
    "x-amzn-RequestId": requestId,
  };
  if (errorType !== undefined) headers["X-Amzn-ErrorType"] = errorType;
  response.writeHead(status, headers).end(JSON.stringify(body));
}
