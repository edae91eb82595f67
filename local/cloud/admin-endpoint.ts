// The admin tool over HTTP, under /_admin/ on the cloud's own port (the EC2 API answers at /), so
// the CLI works while `npm start` runs. JSON in and out; local use only, like the rest of the cloud.
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { AdminError } from "./admin-error.js";
import type { CloudAdmin } from "./cloud-admin.js";
import type { LocalCloudStats } from "./stats.js";
import { readBodyText } from "./wire/request-body.js";

export const ADMIN_PATH_PREFIX = "/_admin/";
const MAX_BODY_BYTES = 64 * 1024;

const volumeBody = z.object({
  sizeBytes: z.number().int(),
  availabilityZone: z.string().optional(),
});
const fillBody = z.object({
  firstBlock: z.number().int(),
  count: z.number().int().optional(),
  seed: z.string().min(1).optional(),
});

type Route = (match: string[], body: () => Promise<unknown>) => unknown;

export function adminEndpoint(admin: CloudAdmin, stats: () => LocalCloudStats) {
  const routes: [method: string, path: RegExp, route: Route][] = [
    ["GET", /^stats$/, () => stats()],
    [
      "POST",
      /^regions\/([^/]+)\/volumes$/,
      async ([region = ""], body) =>
        admin.createVolume({ region, ...volumeBody.parse(await body()) }),
    ],
    [
      "POST",
      /^regions\/([^/]+)\/volumes\/([^/]+)\/fill$/,
      async ([region = "", volumeId = ""], body) =>
        admin.fillBlocks(region, volumeId, fillBody.parse(await body())),
    ],
    [
      "GET",
      /^regions\/([^/]+)\/volumes\/([^/]+)\/manifest$/,
      ([region = "", volumeId = ""]) => admin.volumeManifest(region, volumeId),
    ],
    [
      "GET",
      /^regions\/([^/]+)\/snapshots\/([^/]+)\/manifest$/,
      ([region = "", snapshotId = ""]) => admin.snapshotManifest(region, snapshotId),
    ],
    [
      "GET",
      /^regions\/([^/]+)\/snapshots\/([^/]+)\/copy-report$/,
      ([region = "", snapshotId = ""]) => admin.copyReport(region, snapshotId),
    ],
  ];

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? "/", "http://local-cloud");
      const path = url.pathname.slice(ADMIN_PATH_PREFIX.length);
      const matching = routes.filter(([, pattern]) => pattern.test(path));
      if (matching.length === 0) {
        throw new AdminError("UnknownRoute", `There is no admin route ${url.pathname}.`, 404);
      }
      const found = matching.find(([method]) => method === request.method);
      if (!found) {
        const allowed = matching.map(([method]) => method).join(", ");
        throw new AdminError("MethodNotAllowed", `${url.pathname} takes ${allowed}.`, 405);
      }
      const [, pattern, route] = found;
      const match = (pattern.exec(path) ?? []).slice(1).map(decodeURIComponent);
      send(response, 200, await route(match, () => readJson(request)));
    } catch (error) {
      if (error instanceof AdminError) {
        send(response, error.httpStatus, { error: { code: error.code, message: error.message } });
      } else if (error instanceof URIError) {
        send(response, 400, {
          error: { code: "InvalidRequest", message: "The path is not valid." },
        });
      } else if (error instanceof z.ZodError) {
        const message = `The request body is not valid: ${z.prettifyError(error)}`;
        send(response, 400, { error: { code: "InvalidRequest", message } });
      } else {
        console.error("local cloud: admin request failed", error);
        const message = error instanceof Error ? error.message : String(error);
        send(response, 500, { error: { code: "InternalError", message } });
      }
    }
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const text = await readBodyText(
    request,
    MAX_BODY_BYTES,
    () =>
      new AdminError(
        "RequestTooLarge",
        `Admin requests take at most ${MAX_BODY_BYTES} bytes.`,
        413,
      ),
  );
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new AdminError("InvalidRequest", "The request body is not JSON.");
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(`${JSON.stringify(body)}\n`);
}
