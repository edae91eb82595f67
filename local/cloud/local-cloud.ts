// Starts and stops a local cloud: loads its state and blocks, resumes the work that was in flight,
// serves the EC2 Query API (and the admin tool under /_admin/) and, on close, saves before letting go.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ADMIN_PATH_PREFIX, adminEndpoint } from "./admin-endpoint.js";
import { BlockStore } from "./block-store.js";
import {
  type AdminVolume,
  type AdminVolumeRequest,
  type BlockManifest,
  CloudAdmin,
  type FillRequest,
  type FillResult,
} from "./cloud-admin.js";
import { lockDataDir } from "./data-dir-lock.js";
import { Faults } from "./faults.js";
import type { CopyReport } from "./model.js";
import {
  checkKnobs,
  type LocalCloudKnobs,
  type LocalCloudOptions,
  resolveSettings,
} from "./options.js";
import { queryEndpoint } from "./query-endpoint.js";
import { SnapshotCopies } from "./snapshot-copies.js";
import { SnapshotCreation } from "./snapshot-creation.js";
import { loadStore, saveStore } from "./state-file.js";
import { StateWriter } from "./state-writer.js";
import { collectStats, type LocalCloudStats, type Traffic } from "./stats.js";
import { type VolumeWriteResult, VolumeWriter } from "./volume-writes.js";

export interface LocalCloud {
  /** The endpoint for EC2 clients, e.g. http://127.0.0.1:8084 (the admin tool: `${url}/_admin/`). */
  url: string;
  port: number;
  /** Stops timers and the server and saves the state; resolves once the port is free. */
  close(): Promise<void>;
  /** Counts per region and since start; also served at /_admin/stats. */
  stats(): LocalCloudStats;
  /** Changes bandwidth or fault injection while running; running copies take the new bandwidth. */
  setKnobs(knobs: Partial<LocalCloudKnobs>): void;

  // The admin tool: what EC2 has no call for. Errors are AdminErrors with a code and a message.
  /** A volume of any whole number of blocks (EC2 volumes are whole GiB): small test volumes. */
  createVolume(request: AdminVolumeRequest): Promise<AdminVolume>;
  /** Writes bytes into a volume; snapshots taken later hold them, earlier ones do not. */
  writeVolume(
    region: string,
    volumeId: string,
    write: { offsetBytes: number; data: Uint8Array },
  ): Promise<VolumeWriteResult>;
  /** Writes deterministic pseudo-random data (by seed and index) into whole blocks. */
  fillBlocks(region: string, volumeId: string, fill: FillRequest): Promise<FillResult>;
  /** A snapshot's blocks; a copy has them only once it has completed. */
  snapshotManifest(region: string, snapshotId: string): BlockManifest;
  /** A volume's blocks as they are now. */
  volumeManifest(region: string, volumeId: string): BlockManifest;
  /** Every block's sha256 in order, zero blocks included. */
  blockHashes(region: string, snapshotId: string): string[];
  /** What a copy sent and skipped, so far if it is still pending. */
  copyReport(region: string, snapshotId: string): CopyReport;
  /** Where the region's block named by this sha256 is stored (for checking it on disk). */
  blockPath(region: string, sha256: string): string;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const settings = resolveSettings(options);
  const releaseLock = await lockDataDir(settings.dataDir);
  try {
    const blocks = await BlockStore.open(settings.dataDir, settings.blockSizeBytes);
    const store = await loadStore(settings.dataDir, settings.blockSizeBytes);
    const writer = new StateWriter(
      () => saveStore(settings.dataDir, store),
      (error) => console.error("local cloud: saving state failed", error),
    );
    const faults = new Faults(settings.knobs);
    const copies = new SnapshotCopies(
      store,
      blocks,
      { maxPendingPerRegion: settings.maxPendingCopiesPerRegion, knobs: settings.knobs, faults },
      () => writer.saveSoon(),
    );
    const creation = new SnapshotCreation(store, () => writer.saveSoon());
    const admin = new CloudAdmin({
      store,
      blocks,
      volumes: new VolumeWriter(store, blocks),
      writer,
    });
    const traffic: Traffic = { requests: 0, throttledRequests: 0 };
    const stats = () => collectStats(store, blocks, copies, traffic);
    const ec2 = queryEndpoint({
      store,
      copies,
      creation,
      accountId: settings.accountId,
      faults,
      writer,
      traffic,
    });
    const adminRoutes = adminEndpoint(admin, stats);
    const server = createServer((request, response) => {
      const isAdmin = request.url?.startsWith(ADMIN_PATH_PREFIX) ?? false;
      void (isAdmin ? adminRoutes : ec2)(request, response);
    });
    const port = await listen(server, settings.port, settings.host);
    copies.resume();
    creation.resume();

    let closing: Promise<void> | undefined;
    return {
      url: `http://${urlHost(settings.host)}:${port}`,
      port,
      close() {
        closing ??= (async () => {
          const serverClosed = new Promise<void>((resolve, reject) =>
            server.close((error) => (error ? reject(error) : resolve())),
          );
          // SDK clients keep connections alive; without this close() would wait for them to idle out.
          server.closeAllConnections();
          creation.stop();
          // Nothing may write into the data dir once close() resolves: callers delete it.
          await admin.drain();
          await copies.stop();
          await writer.close();
          await releaseLock();
          await serverClosed;
        })();
        return closing;
      },
      stats,
      setKnobs(knobs) {
        const given = Object.fromEntries(
          Object.entries(knobs).filter(([, value]) => value !== undefined),
        ) as Partial<LocalCloudKnobs>;
        checkKnobs(given);
        Object.assign(settings.knobs, given);
      },
      createVolume: (request) => admin.createVolume(request),
      writeVolume: (region, volumeId, write) => admin.writeVolume(region, volumeId, write),
      fillBlocks: (region, volumeId, fill) => admin.fillBlocks(region, volumeId, fill),
      snapshotManifest: (region, snapshotId) => admin.snapshotManifest(region, snapshotId),
      volumeManifest: (region, volumeId) => admin.volumeManifest(region, volumeId),
      blockHashes: (region, snapshotId) => admin.blockHashes(region, snapshotId),
      copyReport: (region, snapshotId) => admin.copyReport(region, snapshotId),
      blockPath: (region, sha256) => blocks.blockPath(region, sha256),
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
