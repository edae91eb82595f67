// Each account's long-term local key: the access key id AKIA<account>LOCL, and a secret derived
// from one random master secret the cloud makes in its data dir on its first start (local-keys.json,
// readable by its owner only): HMAC-SHA256(master, account). So every account has its keys the
// moment it is named, as accounts are made on first use, with nothing to store per account, and
// the keys survive restarts. The keys are IAM user `local` of their account.
import { createHmac, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { createFileAtomically } from "../atomic-file.js";
import { localKeysFilePath } from "../data-dir-layout.js";
import { accountOfLocalAccessKey, localAccessKeyFor } from "../wire/signing-identity.js";
import type { KnownKey, Principal } from "./sigv4.js";

export interface LocalCredentials {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const keysFileSchema = z.object({
  version: z.literal(1),
  masterSecret: z.string().min(44, "at least 32 bytes, base64"),
});

// As long as AWS's secret access keys.
const SECRET_LENGTH = 40;
const OWNER_ONLY = 0o600;

export class LocalKeys {
  private constructor(private readonly masterSecret: Buffer) {}

  /** The data dir's master secret, made now if the data dir has none. */
  static async open(dataDir: string): Promise<LocalKeys> {
    const file = localKeysFilePath(dataDir);
    const fresh = { version: 1, masterSecret: randomBytes(32).toString("base64") };
    await createFileAtomically(file, `${JSON.stringify(fresh)}\n`, OWNER_ONLY);
    let content: z.infer<typeof keysFileSchema>;
    try {
      content = keysFileSchema.parse(JSON.parse(await readFile(file, "utf8")));
    } catch (error) {
      throw new Error(
        `${file} is not a local keys file this version can read; move it aside for new keys (every account's secret changes).`,
        { cause: error },
      );
    }
    return new LocalKeys(Buffer.from(content.masterSecret, "base64"));
  }

  credentialsFor(accountId: string): LocalCredentials {
    return {
      accountId,
      accessKeyId: localAccessKeyFor(accountId),
      secretAccessKey: createHmac("sha256", this.masterSecret)
        .update(`local cloud secret access key of ${accountId}`)
        .digest("base64")
        .slice(0, SECRET_LENGTH),
    };
  }

  /** The long-term key with this id, if it is one: every account has one. */
  find(accessKeyId: string): KnownKey | undefined {
    const accountId = accountOfLocalAccessKey(accessKeyId);
    if (accountId === undefined) return undefined;
    const { secretAccessKey } = this.credentialsFor(accountId);
    return { accessKeyId, secretAccessKey, principal: localUserOf(accountId) };
  }
}

/** The IAM user the local keys of an account belong to. */
function localUserOf(accountId: string): Principal {
  return {
    accountId,
    arn: `arn:aws:iam::${accountId}:user/local`,
    // IAM user ids are AIDA and 17 characters.
    userId: `AIDA${accountId}LOCAL`,
  };
}
