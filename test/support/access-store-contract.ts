// The AccessStore's promises, as one suite run against the in-memory fake and DynamoDB Local:
// one open request per account, a decision taken once, an approval that grants in the same
// write, and listings by status, newest first, a page at a time.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AccessRequest, AccessStore } from "../../functions/core/ports.js";

const T0 = Date.UTC(2026, 11, 3, 10, 0, 0);

const aRequest = (accountId: string, second: number): AccessRequest => ({
  requestId: `acc-${randomUUID()}`,
  accountId,
  reason: "DR copies of the orders database",
  contact: "ops@example.com",
  status: "OPEN",
  createdAt: new Date(T0 + second * 1000).toISOString(),
  decision: null,
});

/** A fresh 12-digit account id, so that tests sharing a store never meet. */
const anAccount = () => String(Math.floor(Math.random() * 9e11) + 1e11);

export const accessStoreContract = (name: string, makeStore: () => Promise<AccessStore>) => {
  describe(`${name}: access requests`, () => {
    it("keeps one open request per account, and lets the account apply again once it is decided", async () => {
      // Prepare
      const store = await makeStore();
      const account = anAccount();
      const first = aRequest(account, 0);
      await store.submit(first);

      // Act
      const second = store.submit(aRequest(account, 1));
      await expect(second).rejects.toMatchObject({ code: "AccessRequestOpen" });
      await store.decide(first.requestId, "REJECTED", { by: "admin", at: "t", note: null });
      const third = aRequest(account, 2);
      await store.submit(third);

      // Assess
      expect((await store.get(third.requestId))?.status).toBe("OPEN");
      expect(await store.isGranted(account)).toBe(false);
    });

    it("grants the account with the approval, and takes a decision only once", async () => {
      // Prepare
      const store = await makeStore();
      const account = anAccount();
      const request = aRequest(account, 0);
      await store.submit(request);

      // Act
      const approved = await store.decide(request.requestId, "APPROVED", {
        by: "111122223333",
        at: new Date(T0).toISOString(),
        note: "known team",
      });
      const again = store.decide(request.requestId, "REJECTED", { by: "x", at: "t", note: null });

      // Assess
      expect(approved).toMatchObject({
        status: "APPROVED",
        decision: { by: "111122223333", note: "known team" },
      });
      expect(await store.isGranted(account)).toBe(true);
      await expect(again).rejects.toMatchObject({ code: "AccessRequestDecided" });
      expect((await store.get(request.requestId))?.status).toBe("APPROVED");
    });

    it("lists requests of one status newest first, a page at a time, each once", async () => {
      // Prepare
      const store = await makeStore();
      const made: AccessRequest[] = [];
      for (let index = 0; index < 7; index++) {
        const request = aRequest(anAccount(), 100 + index);
        await store.submit(request);
        made.push(request);
      }
      const mine = new Set(made.map((request) => request.requestId));

      // Act
      const seen: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await store.list("OPEN", 3, nextToken);
        seen.push(...page.requests.map((r) => r.requestId).filter((id) => mine.has(id)));
        nextToken = page.nextToken;
      } while (nextToken);

      // Assess
      expect(seen).toEqual([...made].reverse().map((request) => request.requestId));
    });
  });
};
