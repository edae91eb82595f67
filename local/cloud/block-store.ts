// Each region's blocks on disk, at regions/<region>/blocks/<sha256> in the account's folder: content-
// addressed, so one file serves every volume and snapshot of the region holding those bytes.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const SHA256_NAME = /^[0-9a-f]{64}$/;
// Written under this prefix, then renamed: a crash never leaves a partial file under a hash name.
const INCOMING_PREFIX = ".incoming-";

export const sha256Of = (data: Uint8Array): string =>
  createHash("sha256").update(data).digest("hex");

export const regionsDir = (accountDir: string): string => join(accountDir, "regions");

export class BlockStore {
  /** What each region holds, kept in memory so a copy can be planned without touching the disk. */
  private readonly held = new Map<string, Set<string>>();
  private incomingCount = 0;
  readonly zeroBlockSha256: string;

  private constructor(
    private readonly accountDir: string,
    readonly blockSizeBytes: number,
  ) {
    this.zeroBlockSha256 = sha256Of(Buffer.alloc(blockSizeBytes));
  }

  /** For a folder that holds no blocks yet: an account the cloud has not seen before. */
  static empty(accountDir: string, blockSizeBytes: number): BlockStore {
    return new BlockStore(accountDir, blockSizeBytes);
  }

  /** Indexes the blocks already on disk and clears what a crash left half-written. */
  static async open(accountDir: string, blockSizeBytes: number): Promise<BlockStore> {
    const store = new BlockStore(accountDir, blockSizeBytes);
    for (const region of await namesIn(regionsDir(accountDir))) {
      const directory = store.blocksDir(region);
      const hashes = new Set<string>();
      for (const name of await namesIn(directory)) {
        if (SHA256_NAME.test(name)) hashes.add(name);
        else if (name.startsWith(INCOMING_PREFIX)) await rm(join(directory, name), { force: true });
      }
      if (hashes.size > 0) store.held.set(region, hashes);
    }
    return store;
  }

  holds(region: string, sha256: string): boolean {
    return this.held.get(region)?.has(sha256) ?? false;
  }

  count(region: string): number {
    return this.held.get(region)?.size ?? 0;
  }

  blockPath(region: string, sha256: string): string {
    return join(this.blocksDir(region), sha256);
  }

  /**
   * The block's bytes as stored, unchecked (a copy checks them on arrival). The zero block reads as
   * zeros even where no file holds it: a never-written block has no file anywhere.
   */
  async read(region: string, sha256: string): Promise<Buffer> {
    if (sha256 === this.zeroBlockSha256 && !this.holds(region, sha256)) {
      return Buffer.alloc(this.blockSizeBytes);
    }
    try {
      return await readFile(this.blockPath(region, sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error(`block ${sha256} is missing from the block store of ${region}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Stores a block under `sha256`, which the caller has computed or checked from these very bytes.
   * Returns false if the region already held it.
   */
  async put(region: string, sha256: string, data: Uint8Array): Promise<boolean> {
    if (this.holds(region, sha256)) return false;
    const directory = this.blocksDir(region);
    await mkdir(directory, { recursive: true });
    const incoming = join(directory, `${INCOMING_PREFIX}${process.pid}-${this.incomingCount++}`);
    await writeFile(incoming, data);
    await rename(incoming, join(directory, sha256));
    let hashes = this.held.get(region);
    if (!hashes) {
      hashes = new Set();
      this.held.set(region, hashes);
    }
    hashes.add(sha256);
    return true;
  }

  private blocksDir(region: string): string {
    return join(regionsDir(this.accountDir), region, "blocks");
  }
}

async function namesIn(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
