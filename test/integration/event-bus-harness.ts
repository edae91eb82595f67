// A local EventBridge for tests, without serverless-offline: the gate (local/event-bus/gate.ts)
// behind a small HTTP server, answering PutEvents as the patched plugin does, and keeping what it
// admits. The same server hands out each account's local keys as the local cloud does (GET
// /_admin/credentials), which the gate checks every signature against.
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { localAccessKeyFor } from "../../local/cloud/wire/signing-identity.js";
import { type AdmittedEvent, createGate } from "../../local/event-bus/gate.js";

export interface TestBus {
  url: string;
  /** The events the gate admitted, in the order it admitted them. */
  admitted: AdmittedEvent[];
  /** An account's local keys, as the local cloud gives them. */
  keysOf(accountId: string): { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

export const keysOf = (accountId: string) => ({
  accessKeyId: localAccessKeyFor(accountId),
  secretAccessKey: `test-secret-of-${accountId}-0000000000`,
});

const bodyOf = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const answer = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
  response.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    ...(errorType ? { "x-amzn-errortype": errorType } : {}),
  });
  response.end(JSON.stringify(body));
};

export const startTestBus = async (options: {
  busAccountId: string;
  busRegion: string;
  /** Without it, the gate takes the token from its environment variable, as in the stack. */
  awsServiceToken?: string;
}): Promise<TestBus> => {
  const admitted: AdmittedEvent[] = [];
  let gate: ReturnType<typeof createGate> | undefined;
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://bus");
    if (url.pathname === "/_admin/credentials") {
      const accountId = url.searchParams.get("account") ?? "";
      answer(response, 200, { accountId, ...keysOf(accountId) });
      return;
    }
    const body = await bodyOf(request);
    try {
      const result = await gate?.admit({
        method: request.method ?? "POST",
        url: request.url ?? "/",
        headers: request.headers,
        body,
      });
      admitted.push(...(result?.admitted ?? []));
      answer(response, 200, result?.response);
    } catch (error) {
      // A refusal of the whole request, as a JSON protocol service answers one.
      const { status, code, message } = error as {
        status?: number;
        code?: string;
        message: string;
      };
      const refused = typeof status === "number" && typeof code === "string";
      const type = refused ? code : "InternalFailure";
      answer(response, refused ? status : 500, { __type: type, message }, type);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gate = createGate({
    busAccountId: options.busAccountId,
    busRegion: options.busRegion,
    resources: {},
    keysUrl: url,
    ...(options.awsServiceToken === undefined ? {} : { awsServiceToken: options.awsServiceToken }),
  });
  return {
    url,
    admitted,
    keysOf,
    async close() {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
};
