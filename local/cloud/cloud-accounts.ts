// Every account of the local cloud, each opened once: at the start for each folder the data dir
// holds (so that its copies in flight resume), or on first use for an account not met before.

import { WireError } from "../wire-error.js";
import { AccountCloud, type AccountSettings } from "./account-cloud.js";
import { accountDir, accountIdsIn, adoptSingleAccountData } from "./data-dir-layout.js";
import type { AccountStats } from "./stats.js";
import { ACCOUNT_ID } from "./wire/signing-identity.js";

export function checkAccountId(accountId: string): string {
  if (!ACCOUNT_ID.test(accountId)) {
    throw new WireError(
      "InvalidParameterValue",
      `'${accountId}' is not an account id: 12 digits, e.g. 123456789012.`,
    );
  }
  return accountId;
}

export class CloudAccounts {
  private readonly opened = new Map<string, AccountCloud>();
  private closing = false;

  private constructor(
    private readonly dataDir: string,
    readonly defaultAccountId: string,
    private readonly settings: AccountSettings,
  ) {}

  /** Opens every account of the data dir, after moving data from before accounts into the default. */
  static async open(
    dataDir: string,
    defaultAccountId: string,
    settings: AccountSettings,
  ): Promise<CloudAccounts> {
    await adoptSingleAccountData(dataDir, defaultAccountId);
    const accounts = new CloudAccounts(dataDir, defaultAccountId, settings);
    for (const accountId of await accountIdsIn(dataDir)) {
      const folder = accountDir(dataDir, accountId);
      accounts.opened.set(accountId, await AccountCloud.open(accountId, folder, settings));
    }
    return accounts;
  }

  /**
   * The account, made now if the cloud has not met it: every account with a folder was opened at
   * the start, so one met now has nothing on disk yet.
   */
  get(accountId: string = this.defaultAccountId): AccountCloud {
    const known = this.opened.get(accountId);
    if (known) return known;
    checkAccountId(accountId);
    if (this.closing)
      throw new Error(`The local cloud is closing: account ${accountId} is not open.`);
    const fresh = AccountCloud.fresh(accountId, accountDir(this.dataDir, accountId), this.settings);
    this.opened.set(accountId, fresh);
    return fresh;
  }

  /** Restarts the work of the accounts opened from disk; call once the cloud is serving. */
  resume(): void {
    for (const account of this.opened.values()) account.resume();
  }

  stats(): Record<string, AccountStats> {
    const stats: Record<string, AccountStats> = {};
    for (const [accountId, account] of [...this.opened].sort(([a], [b]) => a.localeCompare(b))) {
      stats[accountId] = account.stats();
    }
    return stats;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.opened.values()].map((account) => account.close()));
  }
}
