// The AccessStore's promises, as one suite run against the in-memory fake and DynamoDB Local:
// one open request per account, a decision taken once, an approval that grants in the same
// write (pending its connection, with the account's external id), a connection tried once per
// window and made once, a revoke recorded on the grant and on its request, and listings by status,
// newest first, a page at a time.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AccessRequest, AccessStore } from "../../functions/core/ports.js";

const T0 = Date.UTC(2026, 11, 3, 10, 0, 0);
const at = (second: number) => new Date(T0 + second * 1000).toISOString();

const aRequest = (accountId: string, second: number): AccessRequest => ({
  requestId: `acc-${randomUUID()}`,
  accountId,
  reason: "DR copies of the orders database",
  contact: "ops@example.com",
  status: "OPEN",
  createdAt: at(second),
  decision: null,
});

/** A fresh 12-digit account id, so that tests sharing a store never meet. */
const anAccount = () => String(Math.floor(Math.random() * 9e11) + 1e11);

const APPROVE = { status: "APPROVED", externalId: "snaprelay-0123456789abcdef" } as const;
const ADMIN = { by: "111122223333", at: at(0), note: null };

/** An account approved from a request of its own; answers the account and the request. */
const approvedAccount = async (store: AccessStore) => {
  const account = anAccount();
  const request = aRequest(account, 0);
  await store.submit(request);
  await store.decide(request.requestId, APPROVE, ADMIN);
  return { account, request };
};

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
      await store.decide(
        first.requestId,
        { status: "REJECTED" },
        { by: "admin", at: "t", note: null },
      );
      const third = aRequest(account, 2);
      await store.submit(third);

      // Assess
      expect((await store.get(third.requestId))?.status).toBe("OPEN");
      expect(await store.grant(account)).toBeUndefined();
    });

    it("grants the account with the approval, pending its connection, and takes a decision only once", async () => {
      // Prepare
      const store = await makeStore();
      const account = anAccount();
      const request = aRequest(account, 0);
      await store.submit(request);

      // Act
      const approved = await store.decide(request.requestId, APPROVE, {
        by: "111122223333",
        at: at(0),
        note: "known team",
      });
      const again = store.decide(request.requestId, { status: "REJECTED" }, ADMIN);

      // Assess
      expect(approved).toMatchObject({
        status: "APPROVED",
        decision: { by: "111122223333", note: "known team" },
      });
      expect(await store.grant(account)).toEqual({
        accountId: account,
        requestId: request.requestId,
        status: "PENDING_CONNECTION",
        externalId: APPROVE.externalId,
        grantedBy: "111122223333",
        grantedAt: at(0),
        connectedAt: null,
        connectAttemptAt: null,
        connectFailure: null,
        revocation: null,
      });
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

  describe(`${name}: an approved account's connection`, () => {
    it("lets one caller try the role per window, and another once the window has passed", async () => {
      // Prepare
      const store = await makeStore();
      const { account } = await approvedAccount(store);

      // Act
      const first = await store.claimConnectAttempt(account, at(10), at(-20));
      const sameWindow = await store.claimConnectAttempt(account, at(15), at(-15));
      await store.recordConnectFailure(account, at(10), "AccessDenied: no such role");
      const nextWindow = await store.claimConnectAttempt(account, at(41), at(11));

      // Assess
      expect([first, sameWindow, nextWindow]).toEqual([true, false, true]);
      expect(await store.grant(account)).toMatchObject({
        status: "PENDING_CONNECTION",
        connectAttemptAt: at(41),
        connectFailure: { at: at(10), reason: "AccessDenied: no such role" },
      });
    });

    it("connects a pending grant once, forgetting its failures, and claims no try once connected", async () => {
      // Prepare
      const store = await makeStore();
      const { account } = await approvedAccount(store);
      await store.recordConnectFailure(account, at(5), "AccessDenied");

      // Act
      const connected = await store.markConnected(account, at(60));
      const again = await store.markConnected(account, at(90));
      const claim = await store.claimConnectAttempt(account, at(120), at(90));

      // Assess
      expect(connected).toMatchObject({
        status: "CONNECTED",
        connectedAt: at(60),
        connectFailure: null,
        connectAttemptAt: null,
      });
      expect(again?.connectedAt).toBe(at(60));
      expect(claim).toBe(false);
    });

    it("claims no try for an account never granted, and makes no grant of a failure recorded for it", async () => {
      // Prepare
      const store = await makeStore();
      const account = anAccount();

      // Act
      const claim = await store.claimConnectAttempt(account, at(1), at(0));
      await store.recordConnectFailure(account, at(1), "AccessDenied");

      // Assess
      expect(claim).toBe(false);
      expect(await store.grant(account)).toBeUndefined();
    });
  });

  describe(`${name}: a revoke`, () => {
    it("revokes the grant, records who, when and why on it and on its request, once", async () => {
      // Prepare
      const store = await makeStore();
      const { account, request } = await approvedAccount(store);
      await store.markConnected(account, at(30));
      const revocation = { by: "000011112222", at: at(100), note: "left the beta" };

      // Act
      const revoked = await store.revoke(account, revocation);
      const again = await store.revoke(account, { by: "x", at: at(200), note: null });
      const connectAfter = await store.markConnected(account, at(300));

      // Assess
      expect(revoked).toMatchObject({ status: "REVOKED", revocation, connectedAt: at(30) });
      expect(again).toMatchObject({ status: "REVOKED", revocation });
      expect(connectAfter?.status).toBe("REVOKED");
      expect((await store.get(request.requestId))?.revocation).toEqual(revocation);
    });

    it("refuses to revoke an account no approval granted", async () => {
      // Act
      const store = await makeStore();
      const act = store.revoke(anAccount(), { by: "admin", at: at(0), note: null });

      // Assess
      await expect(act).rejects.toMatchObject({ code: "AccountNotGranted" });
    });

    it("lets a revoked account be approved anew, with a new external id, and never a live one twice", async () => {
      // Prepare
      const store = await makeStore();
      const { account } = await approvedAccount(store);
      const beside = aRequest(account, 5);
      await store.submit(beside);

      // Act: a second approval while the first grant is live is refused, and leaves it OPEN
      const whileLive = store.decide(beside.requestId, APPROVE, ADMIN);
      await expect(whileLive).rejects.toMatchObject({ code: "AlreadyAllowlisted" });
      await store.revoke(account, { by: "admin", at: at(10), note: null });
      await store.decide(
        beside.requestId,
        { status: "APPROVED", externalId: "snaprelay-new" },
        ADMIN,
      );

      // Assess
      expect((await store.get(beside.requestId))?.status).toBe("APPROVED");
      expect(await store.grant(account)).toMatchObject({
        requestId: beside.requestId,
        status: "PENDING_CONNECTION",
        externalId: "snaprelay-new",
        revocation: null,
      });
    });
  });
};
