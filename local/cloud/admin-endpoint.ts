// The admin tool over HTTP, under /_admin/ on the cloud's own port (the EC2 API answers at /), so
// the CLI works while `npm start` runs. JSON in and out; every route takes ?account=<12 digits>
// (default: the cloud's default account) and acts in it. Local use only, like the rest of the cloud:
// it hands out every account's keys (GET credentials), as the data dir would to anyone reading it.
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { cloudLog } from "../log.js";
import { WireError } from "../wire-error.js";
import type { AccountCloud } from "./account-cloud.js";
import type { LocalCredentials } from "./auth/local-keys.js";
import { type CloudAccounts, checkAccountId } from "./cloud-accounts.js";
import { messageOf } from "./error-message.js";
import type { LocalCloudKnobs } from "./options.js";
import type { LocalCloudStats } from "./stats.js";
import type { RoleRegistry } from "./sts/role-registry.js";
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
const startTimeBody = z.object({ startTime: z.string() });
// The cloud's knobs a running test may turn: bandwidth and injected faults (checked by setKnobs).
const knobsBody = z.strictObject({
  copyBytesPerSecond: z.number().optional(),
  throttleRate: z.number().optional(),
  copyFailureRate: z.number().optional(),
  eventDropRate: z.number().optional(),
});

// The role registry checks the values; an account left out is the route's.
const roleBody = z.object({
  accountId: z.string().optional(),
  roleName: z.string(),
  externalId: z.string().optional(),
});

interface AdminRequest {
  /** The path's parameters, decoded. */
  match: string[];
  /** The account named by ?account=, if any. */
  namedAccount: string | undefined;
  /** The account the route acts in: the one named, else the default account. */
  account(): AccountCloud;
  body(): Promise<unknown>;
}

type Route = (request: AdminRequest) => unknown;

export interface AdminEndpointDeps {
  accounts: CloudAccounts;
  roles: RoleRegistry;
  stats(): LocalCloudStats;
  /** Changes the knobs given; answers them all as they now are. */
  setKnobs(knobs: Partial<LocalCloudKnobs>): LocalCloudKnobs;
  credentialsFor(accountId: string): LocalCredentials;
}

export function adminEndpoint({
  accounts,
  roles,
  stats,
  setKnobs,
  credentialsFor,
}: AdminEndpointDeps) {
  const routes: [method: string, path: RegExp, route: Route][] = [
    // The keys a client signs with to act in the account.
    [
      "GET",
      /^credentials$/,
      ({ namedAccount }) => credentialsFor(namedAccount ?? accounts.defaultAccountId),
    ],
    ["PUT", /^knobs$/, async ({ body }) => setKnobs(knobsBody.parse(await body()))],
    // The whole cloud, or only the account named.
    ["GET", /^stats$/, ({ namedAccount, account }) => (namedAccount ? account().stats() : stats())],
    [
      "GET",
      /^roles$/,
      ({ namedAccount }) =>
        roles.list().filter((role) => !namedAccount || role.accountId === namedAccount),
    ],
    [
      "POST",
      /^roles$/,
      async ({ namedAccount, body }) => {
        const role = roleBody.parse(await body());
        return roles.put({
          ...role,
          accountId: role.accountId ?? namedAccount ?? accounts.defaultAccountId,
        });
      },
    ],
    [
      "POST",
      /^regions\/([^/]+)\/volumes$/,
      async ({ match: [region = ""], account, body }) =>
        account().admin.createVolume({ region, ...volumeBody.parse(await body()) }),
    ],
    [
      "POST",
      /^regions\/([^/]+)\/volumes\/([^/]+)\/fill$/,
      async ({ match: [region = "", volumeId = ""], account, body }) =>
        account().admin.fillBlocks(region, volumeId, fillBody.parse(await body())),
    ],
    [
      "GET",
      /^regions\/([^/]+)\/volumes\/([^/]+)\/manifest$/,
      ({ match: [region = "", volumeId = ""], account }) =>
        account().admin.volumeManifest(region, volumeId),
    ],
    [
      "GET",
      /^regions\/([^/]+)\/snapshots\/([^/]+)\/manifest$/,
      ({ match: [region = "", snapshotId = ""], account }) =>
        account().admin.snapshotManifest(region, snapshotId),
    ],
    [
      "POST",
      /^regions\/([^/]+)\/snapshots\/([^/]+)\/start-time$/,
      async ({ match: [region = "", snapshotId = ""], account, body }) =>
        account().admin.backdateSnapshot(
          region,
          snapshotId,
          startTimeBody.parse(await body()).startTime,
        ),
    ],
    [
      "GET",
      /^regions\/([^/]+)\/snapshots\/([^/]+)\/copy-report$/,
      ({ match: [region = "", snapshotId = ""], account }) =>
        account().admin.copyReport(region, snapshotId),
    ],
  ];

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? "/", "http://local-cloud");
      const path = url.pathname.slice(ADMIN_PATH_PREFIX.length);
      const matching = routes.filter(([, pattern]) => pattern.test(path));
      if (matching.length === 0) {
        throw new WireError("UnknownRoute", `There is no admin route ${url.pathname}.`, 404);
      }
      const found = matching.find(([method]) => method === request.method);
      if (!found) {
        const allowed = matching.map(([method]) => method).join(", ");
        throw new WireError("MethodNotAllowed", `${url.pathname} takes ${allowed}.`, 405);
      }
      const [, pattern, route] = found;
      const named = url.searchParams.get("account") ?? undefined;
      const namedAccount = named === undefined ? undefined : checkAccountId(named);
      const answer = await route({
        match: (pattern.exec(path) ?? []).slice(1).map(decodeURIComponent),
        namedAccount,
        account: () => accounts.get(namedAccount),
        body: () => readJson(request),
      });
      send(response, 200, answer);
    } catch (error) {
      if (error instanceof WireError) {
        send(response, error.status, { error: { code: error.code, message: error.message } });
      } else if (error instanceof URIError) {
        send(response, 400, {
          error: { code: "InvalidRequest", message: "The path is not valid." },
        });
      } else if (error instanceof z.ZodError) {
        const message = `The request body is not valid: ${z.prettifyError(error)}`;
        send(response, 400, { error: { code: "InvalidRequest", message } });
      } else {
        cloudLog.error("admin request failed", error);
        send(response, 500, { error: { code: "InternalError", message: messageOf(error) } });
      }
    }
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const text = await readBodyText(
    request,
    MAX_BODY_BYTES,
    () =>
      new WireError("RequestTooLarge", `Admin requests take at most ${MAX_BODY_BYTES} bytes.`, 413),
  );
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new WireError("InvalidRequest", "The request body is not JSON.");
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(`${JSON.stringify(body)}\n`);
}
