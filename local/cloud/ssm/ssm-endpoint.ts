// The SSM side of the local cloud's port (AWS JSON 1.1, as SSM speaks it: POST with an
// X-Amz-Target of AmazonSSM.<Action>): GetParameter and PutParameter, enough for Powertools
// Parameters and `aws ssm put-parameter`, in the account of the key that signed the request once
// its SigV4 signature holds. Errors carry SSM's own `__type`.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { WireError } from "../../wire-error.js";
import type { Authenticate } from "../auth/authenticate.js";
import { messageOf } from "../error-message.js";
import { readBody } from "../wire/request-body.js";
import type { ParameterStore, ParameterType } from "./parameter-store.js";

const TARGET_PREFIX = "AmazonSSM.";
const MAX_BODY_BYTES = 64 * 1024;

export const isSsmRequest = (request: IncomingMessage): boolean =>
  String(request.headers["x-amz-target"] ?? "").startsWith(TARGET_PREFIX);

const text = (body: Record<string, unknown>, field: string): string => {
  const value = body[field];
  if (typeof value !== "string" || value.length === 0) {
    throw new WireError("ValidationException", `${field} is required and must be a string.`);
  }
  return value;
};

export function ssmEndpoint(store: ParameterStore, authenticate: Authenticate) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    let status = 200;
    let answer: unknown;
    try {
      const action = String(request.headers["x-amz-target"]).slice(TARGET_PREFIX.length);
      const raw = await readBody(
        request,
        MAX_BODY_BYTES,
        () => new WireError("ValidationException", "The request body is too large.", 413),
      );
      const caller = await authenticate(
        {
          method: request.method ?? "POST",
          url: request.url ?? "/",
          headers: request.headers,
          body: raw,
        },
        "ssm",
      );
      const json = raw.toString("utf8");
      const body = (json ? JSON.parse(json) : {}) as Record<string, unknown>;
      const where = { accountId: caller.principal.accountId, region: caller.region };
      const arnOf = (name: string) =>
        `arn:aws:ssm:${where.region}:${where.accountId}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
      if (action === "GetParameter") {
        const name = text(body, "Name");
        const parameter = store.get(where, name);
        const hidden = parameter.type === "SecureString" && body.WithDecryption !== true;
        answer = {
          Parameter: {
            Name: parameter.name,
            Type: parameter.type,
            // SSM hands out a SecureString's ciphertext unless asked to decrypt it.
            Value: hidden ? Buffer.from(parameter.value).toString("base64") : parameter.value,
            Version: parameter.version,
            LastModifiedDate: parameter.lastModified.getTime() / 1000,
            ARN: arnOf(parameter.name),
            DataType: "text",
          },
        };
      } else if (action === "PutParameter") {
        const type = (body.Type ?? "String") as ParameterType;
        if (type !== "String" && type !== "SecureString") {
          throw new WireError("ValidationException", "Type must be String or SecureString here.");
        }
        const parameter = store.put(where, {
          name: text(body, "Name"),
          value: text(body, "Value"),
          type,
          overwrite: body.Overwrite === true,
        });
        answer = { Version: parameter.version, Tier: "Standard" };
      } else {
        throw new WireError(
          "InvalidAction",
          `The local cloud's SSM answers GetParameter and PutParameter, not ${action}.`,
        );
      }
    } catch (error) {
      const failure =
        error instanceof WireError
          ? error
          : error instanceof SyntaxError
            ? new WireError("SerializationException", "The request body is not JSON.")
            : new WireError("InternalServerError", messageOf(error), 500);
      status = failure.status;
      answer = { __type: failure.code, message: failure.message };
    }
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-requestid": requestId,
    });
    response.end(JSON.stringify(answer));
  };
}
