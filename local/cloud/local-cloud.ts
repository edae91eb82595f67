// Starts and stops a local cloud: loads its state, resumes the work that was in flight, serves
// the EC2 Query API and, on close, stops every timer and saves before letting the port go.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { lockDataDir } from "./data-dir-lock.js";
import { Faults } from "./faults.js";
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

export interface LocalCloud {
  /** The endpoint for EC2 clients, e.g. http://127.0.0.1:8084 */
  url: string;
  port: number;
  /** Stops timers and the server and saves the state; resolves once the port is free. */
  close(): Promise<void>;
  /** Counts per region and since start; for tests and the start script, not served over HTTP. */
  stats(): LocalCloudStats;
  /** Changes bandwidth or fault injection while running; running copies take the new bandwidth. */
  setKnobs(knobs: Partial<LocalCloudKnobs>): void;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const settings = resolveSettings(options);
  const releaseLock = await lockDataDir(settings.dataDir);
  try {
    const store = await loadStore(settings.dataDir);
    const writer = new StateWriter(
      () => saveStore(settings.dataDir, store),
      (error) => console.error("local cloud: saving state failed", error),
    );
    const faults = new Faults(settings.knobs);
    const copies = new SnapshotCopies(
      store,
      { maxPendingPerRegion: settings.maxPendingCopiesPerRegion, knobs: settings.knobs, faults },
      () => writer.saveSoon(),
    );
    const creation = new SnapshotCreation(store, () => writer.saveSoon());
    const traffic: Traffic = { requests: 0, throttledRequests: 0 };
    const handler = queryEndpoint({
      store,
      copies,
      creation,
      accountId: settings.accountId,
      faults,
      writer,
      traffic,
    });
    const server = createServer((request, response) => void handler(request, response));
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
          copies.stop();
          creation.stop();
          await writer.close();
          await releaseLock();
          await serverClosed;
        })();
        return closing;
      },
      stats: () => collectStats(store, copies, traffic),
      setKnobs(knobs) {
        const given = Object.fromEntries(
          Object.entries(knobs).filter(([, value]) => value !== undefined),
        ) as Partial<LocalCloudKnobs>;
        checkKnobs(given);
        Object.assign(settings.knobs, given);
      },
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
