// The failed copy events' queue in memory, with SQS's rules for a standard queue (see
// test/support/failed-events-contract.ts): a record received is hidden for the visibility timeout,
// then comes back unless deleted; a receipt is good until the record is received again.
import { randomUUID } from "node:crypto";
import type { Clock, FailedEvent, FailedEvents } from "../../functions/core/ports.js";

interface Held {
  id: string;
  body: string;
  receiveCount: number;
  visibleAt: number;
  receipt?: string;
}

export class InMemoryFailedEvents implements FailedEvents {
  private readonly records: Held[] = [];
  /** Every receive fails with this error while it is set. */
  failReceiveWith: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly visibilitySeconds = 60,
  ) {}

  /** What Lambda does: sends a record to the queue. */
  put(body: string): string {
    const id = randomUUID();
    this.records.push({ id, body, receiveCount: 0, visibleAt: 0 });
    return id;
  }

  /** The records the queue holds, received or not. */
  get size(): number {
    return this.records.length;
  }

  async receive(max: number): Promise<FailedEvent[]> {
    if (this.failReceiveWith !== undefined) throw this.failReceiveWith;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw new RangeError(`receive takes 1 to 10 records, not ${max}`);
    }
    const now = this.clock.now().getTime();
    const visible = this.records.filter((record) => record.visibleAt <= now).slice(0, max);
    return visible.map((record) => {
      record.receiveCount++;
      record.visibleAt = now + this.visibilitySeconds * 1000;
      record.receipt = randomUUID();
      return {
        id: record.id,
        body: record.body,
        receipt: record.receipt,
        receiveCount: record.receiveCount,
      };
    });
  }

  async delete(receipt: string): Promise<void> {
    const index = this.records.findIndex((record) => record.receipt === receipt);
    if (index >= 0) this.records.splice(index, 1);
  }
}
