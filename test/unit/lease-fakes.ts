// Leases in memory, with the DynamoDB store's rules (see test/support/leases-contract.ts).
import type { Leases } from "../../functions/core/ports.js";

export class InMemoryLeases implements Leases {
  private readonly leases = new Map<
    string,
    { holder?: string; heldUntil?: string; cursor?: string }
  >();

  async claim(name: string, holder: string, now: Date, until: Date) {
    const lease = this.leases.get(name) ?? {};
    if (lease.heldUntil !== undefined && lease.heldUntil >= now.toISOString()) return false;
    this.leases.set(name, { ...lease, holder, heldUntil: until.toISOString() });
    return lease.cursor === undefined ? {} : { cursor: lease.cursor };
  }

  async finish(name: string, holder: string, cursor: string | undefined) {
    const lease = this.leases.get(name);
    if (lease?.holder !== holder) return;
    this.leases.set(name, { holder, ...(cursor === undefined ? {} : { cursor }) });
  }
}
