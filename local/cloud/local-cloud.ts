// Starts and stops a local cloud: opens each account's state and blocks and its keys, resumes the
// work that was in flight, serves the EC2 Query API, the local STS and SSM Parameter Store to
// requests signed with keys it knows (and the admin tool under /_admin/) and, on close, saves
// before letting go.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ADMIN_PATH_PREFIX, adminEndpoint } from "./admin-endpoint.js";
import { authenticator } from "./auth/authenticate.js";
import { type LocalCredentials, LocalKeys } from "./auth/local-keys.js";
import { CloudAccounts, checkAccountId } from "./cloud-accounts.js";
import type {
  AdminVolume,
  AdminVolumeRequest,
  BlockManifest,
  FillRequest,
  FillResult,
} from "./cloud-admin.js";
import { copyEventSink } from "./copy-events.js";
import { lockDataDir } from "./data-dir-lock.js";
import { ec2Endpoint } from "./ec2-endpoint.js";
import { Faults } from "./faults.js";
import type { CopyReport } from "./model.js";
import {
  checkKnobs,
  type LocalCloudKnobs,
  type LocalCloudOptions,
  resolveSettings,
} from "./options.js";
import { queryEndpoint } from "./query-endpoint.js";
import { type Parameter, ParameterStore, type ParameterType } from "./ssm/parameter-store.js";
import { isSsmRequest, ssmEndpoint } from "./ssm/ssm-endpoint.js";
import { cloudStats, type LocalCloudStats, type Traffic } from "./stats.js";
import { type Role, RoleRegistry } from "./sts/role-registry.js";
import { SecurityTokenService } from "./sts/security-token-service.js";
import { stsEndpoint } from "./sts/sts-endpoint.js";
import type { VolumeWriteResult } from "./volume-writes.js";

export interface LocalCloud {
  /**
   * The endpoint for EC2 clients, e.g. http://127.0.0.1:8084, and for STS clients (the local STS
   * answers on the same port); the admin tool is at `${url}/_admin/`.
   */
  url: string;
  port: number;
  /** The account of admin calls that name none. */
  defaultAccountId: string;
  /**
   * The long-term keys of `accountId` (AKIA<account>LOCL and its secret): requests signed with
   * them act in that account. Also served at /_admin/credentials?account=<account id>.
   */
  credentialsFor(accountId: string): LocalCredentials;
  /** Stops timers and the server and saves the state; resolves once the port is free. */
  close(): Promise<void>;
  /** Counts per region, summed and per account, and since start; also served at /_admin/stats. */
  stats(): LocalCloudStats;
  /** Changes bandwidth or fault injection while running; running copies take the new bandwidth. */
  setKnobs(knobs: Partial<LocalCloudKnobs>): void;

  // The admin tool: what EC2 has no call for. Errors are WireErrors with a code and a message.
  // Each acts in `accountId`, 12 digits, default the default account.
  /** A volume of any whole number of blocks (EC2 volumes are whole GiB): small test volumes. */
  createVolume(request: AdminVolumeRequest & { accountId?: string }): Promise<AdminVolume>;
  /** Writes bytes into a volume; snapshots taken later hold them, earlier ones do not. */
  writeVolume(
    region: string,
    volumeId: string,
    write: { offsetBytes: number; data: Uint8Array },
    accountId?: string,
  ): Promise<VolumeWriteResult>;
  /** Writes deterministic pseudo-random data (by seed and index) into whole blocks. */
  fillBlocks(
    region: string,
    volumeId: string,
    fill: FillRequest,
    accountId?: string,
  ): Promise<FillResult>;
  /** A snapshot's blocks; a copy has them only once it has completed. */
  snapshotManifest(region: string, snapshotId: string, accountId?: string): BlockManifest;
  /** A volume's blocks as they are now. */
  volumeManifest(region: string, volumeId: string, accountId?: string): BlockManifest;
  /** Every block's sha256 in order, zero blocks included. */
  blockHashes(region: string, snapshotId: string, accountId?: string): string[];
  /** What a copy sent and skipped, so far if it is still pending. */
  copyReport(region: string, snapshotId: string, accountId?: string): CopyReport;
  /** Where the region's block named by this sha256 is stored (for checking it on disk). */
  blockPath(region: string, sha256: string, accountId?: string): string;
  /**
   * Creates (or replaces) a role the local STS lets callers assume; with an externalId, AssumeRole
   * must pass exactly it. Saved in the data dir before this resolves.
   */
  createRole(role: Role): Promise<Role>;
  /** Every role, by account and name. */
  roles(): Role[];
  /**
   * Puts a parameter in the local Parameter Store (SSM GetParameter and PutParameter on this port
   * read and write it), in `accountId` and `region`; kept in memory until the cloud stops.
   */
  putParameter(parameter: {
    name: string;
    value: string;
    type: ParameterType;
    region: string;
    accountId?: string;
  }): Parameter;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const settings = resolveSettings(options);
  const releaseLock = await lockDataDir(settings.dataDir);
  try {
    const faults = new Faults(settings.knobs);
    const keys = await LocalKeys.open(settings.dataDir);
    // Each copy's event is signed with its account's keys, as its account's rule delivers it.
    const events = copyEventSink(settings.eventsEndpoint, settings.knobs, (accountId) =>
      keys.credentialsFor(accountId),
    );
    const accounts = await CloudAccounts.open(settings.dataDir, settings.accountId, {
      blockSizeBytes: settings.blockSizeBytes,
      maxPendingCopiesPerRegion: settings.maxPendingCopiesPerRegion,
      knobs: settings.knobs,
      faults,
      clockSpeed: settings.clockSpeed,
      events,
    });
    const roles = await RoleRegistry.open(settings.dataDir);
    const sts = new SecurityTokenService(roles);
    const authenticate = authenticator(
      (accessKeyId) => keys.find(accessKeyId) ?? sts.findKey(accessKeyId),
    );
    const traffic: Traffic = { requests: 0, throttledRequests: 0 };
    const stats = () => cloudStats(accounts.stats(), traffic, sts.stats(), events.counts());
    const api = queryEndpoint({
      ec2: ec2Endpoint({ accounts, faults, traffic, authenticate }),
      sts: stsEndpoint(sts, authenticate),
    });
    const setKnobs = (knobs: Partial<LocalCloudKnobs>): LocalCloudKnobs => {
      const given = Object.fromEntries(
        Object.entries(knobs).filter(([, value]) => value !== undefined),
      ) as Partial<LocalCloudKnobs>;
      checkKnobs(given);
      Object.assign(settings.knobs, given);
      return { ...settings.knobs };
    };
    const credentialsFor = (accountId: string) => keys.credentialsFor(checkAccountId(accountId));
    const adminRoutes = adminEndpoint({ accounts, roles, stats, setKnobs, credentialsFor });
    const parameters = new ParameterStore();
    const ssm = ssmEndpoint(parameters, authenticate);
    const server = createServer((request, response) => {
      const isAdmin = request.url?.startsWith(ADMIN_PATH_PREFIX) ?? false;
      void (isAdmin ? adminRoutes : isSsmRequest(request) ? ssm : api)(request, response);
    });
    const port = await listen(server, settings.port, settings.host);
    accounts.resume();

    const admin = (accountId?: string) => accounts.get(accountId).admin;
    let closing: Promise<void> | undefined;
    return {
      url: `http://${urlHost(settings.host)}:${port}`,
      port,
      defaultAccountId: settings.accountId,
      credentialsFor,
      close() {
        closing ??= (async () => {
          const serverClosed = new Promise<void>((resolve, reject) =>
            server.close((error) => (error ? reject(error) : resolve())),
          );
          // SDK clients keep connections alive; without this close() would wait for them to idle out.
          server.closeAllConnections();
          // Nothing may write into the data dir once close() resolves: callers delete it.
          await accounts.close();
          await events.settle();
          await roles.close();
          await releaseLock();
          await serverClosed;
        })();
        return closing;
      },
      stats,
      setKnobs,
      createVolume: ({ accountId, ...request }) => admin(accountId).createVolume(request),
      writeVolume: (region, volumeId, write, accountId) =>
        admin(accountId).writeVolume(region, volumeId, write),
      fillBlocks: (region, volumeId, fill, accountId) =>
        admin(accountId).fillBlocks(region, volumeId, fill),
      snapshotManifest: (region, snapshotId, accountId) =>
        admin(accountId).snapshotManifest(region, snapshotId),
      volumeManifest: (region, volumeId, accountId) =>
        admin(accountId).volumeManifest(region, volumeId),
      blockHashes: (region, snapshotId, accountId) =>
        admin(accountId).blockHashes(region, snapshotId),
      copyReport: (region, snapshotId, accountId) =>
        admin(accountId).copyReport(region, snapshotId),
      blockPath: (region, sha256, accountId) =>
        accounts.get(accountId).blocks.blockPath(region, sha256),
      createRole: (role) => roles.put(role),
      roles: () => roles.list(),
      putParameter: ({ accountId, region, ...parameter }) =>
        parameters.put(
          { accountId: accountId ?? settings.accountId, region },
          { ...parameter, overwrite: true },
        ),
    };
  } catch (error) {
    await releaseLock();
    throw error;
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
