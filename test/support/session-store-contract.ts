// The SessionStore's promises, as one suite run against the in-memory fake and against DynamoDB
// Local: a session reads back as made, under its token's hash only; a hash holds one session,
// never overwritten; a removed session is gone; an expired one is still handed back, for sign-in
// to refuse by its expiry in its own words.
import { createHash, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SessionStore, SignInSession } from "../../functions/core/ports.js";

const aHash = () => createHash("sha256").update(randomUUID()).digest("hex");

const aSession = (fields: Partial<SignInSession> = {}): SignInSession => ({
  accountId: "111122223333",
  principalArn: "arn:aws:sts::111122223333:assumed-role/Ops/alice@example.com",
  createdAt: "2026-12-07T12:00:00.000Z",
  expiresAt: "2026-12-07T13:00:00.000Z",
  ...fields,
});

export const sessionStoreContract = (name: string, makeStore: () => Promise<SessionStore>) => {
  describe(`${name}: sessions`, () => {
    it("reads a session back as it was made", async () => {
      const sessions = await makeStore();
      const hash = aHash();

      await sessions.create(hash, aSession());

      expect(await sessions.find(hash)).toEqual(aSession());
    });

    it("finds nothing under a hash no session was made with", async () => {
      const sessions = await makeStore();
      await sessions.create(aHash(), aSession());

      expect(await sessions.find(aHash())).toBeUndefined();
    });

    it("keeps each session under its own hash", async () => {
      const sessions = await makeStore();
      const [aliceHash, bobHash] = [aHash(), aHash()];
      const bob = aSession({
        accountId: "444455556666",
        principalArn: "arn:aws:iam::444455556666:user/bob",
      });

      await sessions.create(aliceHash, aSession());
      await sessions.create(bobHash, bob);

      expect(await sessions.find(aliceHash)).toEqual(aSession());
      expect(await sessions.find(bobHash)).toEqual(bob);
    });

    it("refuses a second session under a hash, leaving the first as it was", async () => {
      const sessions = await makeStore();
      const hash = aHash();
      await sessions.create(hash, aSession());

      const again = sessions.create(
        hash,
        aSession({ principalArn: "arn:aws:iam::111122223333:root" }),
      );

      await expect(again).rejects.toThrow();
      expect(await sessions.find(hash)).toEqual(aSession());
    });

    it("forgets a removed session, and only that one", async () => {
      const sessions = await makeStore();
      const [gone, kept] = [aHash(), aHash()];
      await sessions.create(gone, aSession());
      await sessions.create(kept, aSession());

      await sessions.remove(gone);

      expect(await sessions.find(gone)).toBeUndefined();
      expect(await sessions.find(kept)).toEqual(aSession());
    });

    it("removes a session that is not there without complaint", async () => {
      const sessions = await makeStore();

      await expect(sessions.remove(aHash())).resolves.toBeUndefined();
    });

    it("hands back a session past its end, with its end, for sign-in to refuse", async () => {
      const sessions = await makeStore();
      const hash = aHash();
      const ended = aSession({
        createdAt: "2020-01-01T00:00:00.000Z",
        expiresAt: "2020-01-01T01:00:00.000Z",
      });

      await sessions.create(hash, ended);

      expect(await sessions.find(hash)).toEqual(ended);
    });
  });
};
