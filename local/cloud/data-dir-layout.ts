// Where a local cloud keeps things in its data dir: cloud.lock, roles.json and local-keys.json at
// the top, and each account's state.json and regions/ in accounts/<account id>/, a folder per account.
import { access, mkdir, readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { ACCOUNT_ID } from "./wire/signing-identity.js";

// What an account folder holds; a data dir from before accounts held them at its top.
const ACCOUNT_ENTRIES = ["regions", "state.json"] as const;

export const accountsDir = (dataDir: string): string => join(dataDir, "accounts");

export const accountDir = (dataDir: string, accountId: string): string =>
  join(accountsDir(dataDir), accountId);

export const rolesFilePath = (dataDir: string): string => join(dataDir, "roles.json");

/** The secret every account's local keys derive from (see LocalKeys). */
export const localKeysFilePath = (dataDir: string): string => join(dataDir, "local-keys.json");

/** The accounts that have a folder in the data dir. */
export async function accountIdsIn(dataDir: string): Promise<string[]> {
  try {
    const entries = await readdir(accountsDir(dataDir), { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory() && ACCOUNT_ID.test(entry.name))
      .map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/**
 * Moves the state of a data dir in the layout from before accounts into the default account's
 * folder, so that existing local data keeps working. Each entry moves by one rename: a crash
 * half-way leaves the rest to move at the next start.
 */
export async function adoptSingleAccountData(
  dataDir: string,
  defaultAccountId: string,
): Promise<void> {
  const target = accountDir(dataDir, defaultAccountId);
  for (const name of ACCOUNT_ENTRIES) {
    const legacy = join(dataDir, name);
    if (!(await exists(legacy))) continue;
    if (await exists(join(target, name))) {
      throw new Error(
        `The data dir ${dataDir} holds ${name} both at its top (the layout from before accounts) and in ${target}; move one of them aside.`,
      );
    }
    await mkdir(target, { recursive: true });
    await rename(legacy, join(target, name));
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
