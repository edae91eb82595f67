// A local cloud per test: started on a free port in a temporary folder, with SDK clients made for
// it, and everything closed and removed after each test.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DescribeSnapshotsCommand,
  EC2Client,
  type EC2ClientConfig,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import { afterEach } from "vitest";
import {
  type LocalCloud,
  type LocalCloudOptions,
  startLocalCloud,
} from "../../local/cloud/index.js";

export interface LocalCloudHarness {
  /** Starts the cloud (again, on the same folder, after a close). */
  start(options?: Partial<LocalCloudOptions>): Promise<LocalCloud>;
  running(): LocalCloud;
  dataDir(): string;
  /** The folder the cloud will use, made now, for a test that writes into it before starting. */
  prepareDataDir(): Promise<string>;
  ec2(region: string, config?: Partial<EC2ClientConfig>): EC2Client;
}

/** Every setting explicit, so that LOCAL_CLOUD_* variables in the environment change nothing. */
export const useLocalCloud = (defaults: Partial<LocalCloudOptions> = {}): LocalCloudHarness => {
  let dataDir: string | undefined;
  let cloud: LocalCloud | undefined;
  let clients: EC2Client[] = [];

  afterEach(async () => {
    for (const client of clients) client.destroy();
    clients = [];
    await cloud?.close();
    cloud = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  const running = (): LocalCloud => {
    if (!cloud) throw new Error("start the cloud first");
    return cloud;
  };

  return {
    async prepareDataDir() {
      dataDir ??= await mkdtemp(join(tmpdir(), "local-cloud-test-"));
      return dataDir;
    },
    async start(options = {}) {
      dataDir ??= await mkdtemp(join(tmpdir(), "local-cloud-test-"));
      cloud = await startLocalCloud({
        port: 0,
        dataDir,
        copyBytesPerSecond: 1024 ** 4,
        throttleRate: 0,
        copyFailureRate: 0,
        ...defaults,
        ...options,
      });
      return cloud;
    },
    running,
    dataDir() {
      if (!dataDir) throw new Error("start the cloud first");
      return dataDir;
    },
    ec2(region, config = {}) {
      const client = new EC2Client({
        region,
        endpoint: running().url,
        // The default account's own keys: the cloud checks every signature.
        credentials: running().credentialsFor(running().defaultAccountId),
        ...config,
      });
      clients.push(client);
      return client;
    },
  };
};

export const waitUntil = async <T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

export const snapshotById = async (client: EC2Client, snapshotId: string): Promise<Snapshot> => {
  const { Snapshots } = await client.send(
    new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }),
  );
  const snapshot = Snapshots?.[0];
  if (!snapshot) throw new Error(`${snapshotId} missing from DescribeSnapshots`);
  return snapshot;
};
