// The FailedEvents port's promises, run against the in-memory fake and against SQS (moto_server):
// a record is received once at a time, comes back after the visibility timeout unless deleted,
// and is gone for good once deleted.
import { beforeEach, describe, expect, it } from "vitest";
import type { FailedEvent, FailedEvents } from "../../functions/core/ports.js";

export interface FailedEventsHarness {
  queue: FailedEvents;
  /** Sends a record as Lambda's on-failure destination does. */
  put(body: string): Promise<void>;
  /** Lets the queue's visibility timeout pass. */
  passVisibilityTimeout(): Promise<void>;
}

/** Everything the queue gives, receiving until it answers none. */
const drain = async (queue: FailedEvents): Promise<FailedEvent[]> => {
  const all: FailedEvent[] = [];
  for (let i = 0; i < 10; i++) {
    const batch = await queue.receive(10);
    if (batch.length === 0) break;
    all.push(...batch);
  }
  return all;
};

const record = (n: number) =>
  JSON.stringify({ version: "1.0", requestPayload: { id: `event-${n}` } });

export const failedEventsContract = (name: string, harness: () => Promise<FailedEventsHarness>) => {
  describe(`${name}: failed events`, () => {
    let queue: FailedEventsHarness;

    beforeEach(async () => {
      queue = await harness();
    });

    it("gives nothing from an empty queue", async () => {
      // Act
      const received = await queue.queue.receive(10);

      // Assess
      expect(received).toEqual([]);
    });

    it("gives a record as it was sent, received once", async () => {
      // Prepare
      await queue.put(record(1));

      // Act
      const [first] = await drain(queue.queue);

      // Assess
      expect(first?.body).toBe(record(1));
      expect(first?.receiveCount).toBe(1);
      expect(first?.receipt).toEqual(expect.any(String));
    });

    it("hides a received record from other receives until its visibility timeout passes", async () => {
      // Prepare
      await queue.put(record(1));
      await drain(queue.queue);

      // Act
      const meanwhile = await queue.queue.receive(10);
      await queue.passVisibilityTimeout();
      const after = await drain(queue.queue);

      // Assess
      expect(meanwhile).toEqual([]);
      expect(after.map((r) => [r.body, r.receiveCount])).toEqual([[record(1), 2]]);
    });

    it("never gives a deleted record again; deleting it twice is harmless", async () => {
      // Prepare
      await queue.put(record(1));
      await queue.put(record(2));
      const received = await drain(queue.queue);
      const one = received.find((r) => r.body === record(1));

      // Act
      await queue.queue.delete(String(one?.receipt));
      await queue.queue.delete(String(one?.receipt));
      await queue.passVisibilityTimeout();
      const after = await drain(queue.queue);

      // Assess
      expect(received.map((r) => r.body).sort()).toEqual([record(1), record(2)]);
      expect(after.map((r) => r.body)).toEqual([record(2)]);
    });

    it("gives at most as many records as asked", async () => {
      // Prepare
      for (let n = 1; n <= 3; n++) await queue.put(record(n));

      // Act
      const one = await queue.queue.receive(1);
      const rest = await drain(queue.queue);

      // Assess
      expect(one).toHaveLength(1);
      expect([...one, ...rest].map((r) => r.body).sort()).toEqual([
        record(1),
        record(2),
        record(3),
      ]);
    });
  });
};
