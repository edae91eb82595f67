// Who is calling, from the Authorization header: a proof of identity STS vouches for, or a session
// made from one. Every other header is a 401 that says what to send; sessions are made from proofs
// only, stored by their token's hash, and end when signed out.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { recipeOf } from "../../functions/core/caller-proof.js";
import { DomainError } from "../../functions/core/errors.js";
import {
  authenticate,
  endSession,
  SESSION_SECONDS,
  type SignInDeps,
  startSession,
} from "../../functions/core/sign-in.js";
import { makeProof } from "../../scripts/cli/proof.js";
import { aCaller, InMemorySessionStore, ScriptedVerifier } from "./sign-in-fakes.js";

const NOW = new Date("2026-12-07T12:00:00.000Z");
const ACCOUNT = "111122223333";
const ALICE = `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const PROOFS = {
  stsEndpoints: ["https://sts.eu-west-1.amazonaws.com"],
  audience: "snaprelay-test",
};
const KEYS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "not-a-real-secret" };

const setUp = (principalArn = ALICE) => {
  const verifier = new ScriptedVerifier({ accountId: ACCOUNT, arn: principalArn });
  const sessions = new InMemorySessionStore();
  let now = NOW;
  const deps: SignInDeps = {
    verifier,
    sessions,
    proofs: PROOFS,
    admins: [`arn:aws:iam::${ACCOUNT}:role/ops/Admin`],
    now: () => now,
  };
  return {
    deps,
    verifier,
    sessions,
    advance(seconds: number) {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
};

/** A proof signed a minute ago, as `snaprelay proof` makes it. */
const aProofHeader = () => makeProof(recipeOf(PROOFS), KEYS, new Date(NOW.getTime() - 60_000));

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const refusalOf = async (authorization: string | undefined, deps: SignInDeps) => {
  const outcome = await authenticate(authorization, deps).then(
    (identity) => identity,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(DomainError);
  expect(outcome).toMatchObject({ code: "Unauthorized" });
  return (outcome as DomainError).message;
};

describe("a caller with a proof of identity", () => {
  it("is the principal STS says signed it, an admin by the role it assumed, until the proof ends", async () => {
    // Prepare
    const { deps, verifier } = setUp(ALICE);
    const header = await aProofHeader();

    // Act
    const identity = await authenticate(header, deps);

    // Assess
    expect(identity).toEqual({
      accountId: ACCOUNT,
      principalArn: ALICE,
      admin: true,
      expiresAt: "2026-12-07T12:14:00.000Z",
      via: "proof",
    });
    expect(verifier.asked).toHaveLength(1);
    expect(verifier.asked[0]?.url).toMatch(/^https:\/\/sts\.eu-west-1\.amazonaws\.com\/\?/);
  });

  it("is no admin when its principal is not one the configuration names", async () => {
    // Prepare
    const { deps } = setUp(BOB);

    // Act
    const identity = await authenticate(await aProofHeader(), deps);

    // Assess
    expect(identity).toMatchObject({ principalArn: BOB, admin: false, via: "proof" });
  });

  it("is refused before STS is asked when the proof is too old", async () => {
    // Prepare
    const { deps, verifier, advance } = setUp();
    const header = await aProofHeader();
    advance(15 * 60);

    // Act
    const message = await refusalOf(header, deps);

    // Assess
    expect(message).toContain("a proof is good for 15 minutes");
    expect(verifier.asked).toEqual([]);
  });

  it("is refused as STS refused it, and told to retry when STS could not be asked", async () => {
    // Prepare
    const { deps, verifier } = setUp();
    const header = await aProofHeader();

    // Act
    verifier.answer = new DomainError("Unauthorized", "STS refused the proof (ExpiredToken).");
    const refused = authenticate(header, deps);
    verifier.answer = new DomainError("IdentityUnavailable", "STS did not answer.", {
      retryAfterSeconds: 5,
    });
    const unavailable = authenticate(header, deps);

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: "Unauthorized",
      message: "STS refused the proof (ExpiredToken).",
    });
    await expect(unavailable).rejects.toMatchObject({
      code: "IdentityUnavailable",
      retryAfterSeconds: 5,
    });
  });
});

describe("a caller with a session", () => {
  it("is the principal that made the session from its proof, until the session ends", async () => {
    // Prepare
    const { deps } = setUp(ALICE);
    const proved = await authenticate(await aProofHeader(), deps);
    const { sessionToken } = await startSession(proved, undefined, deps);

    // Act
    const identity = await authenticate(`Bearer ${sessionToken}`, deps);

    // Assess
    expect(identity).toEqual({
      accountId: ACCOUNT,
      principalArn: ALICE,
      admin: true,
      expiresAt: "2026-12-07T13:00:00.000Z",
      via: "session",
    });
  });

  it("is read with the bearer scheme in any case", async () => {
    // Prepare
    const { deps } = setUp();
    const { sessionToken } = await startSession(aCaller(), undefined, deps);

    // Act
    const identity = await authenticate(`bearer ${sessionToken}`, deps);

    // Assess
    expect(identity.via).toBe("session");
  });

  it("is an admin no more once the configuration stops naming its principal", async () => {
    // Prepare
    const { deps } = setUp(ALICE);
    const proved = await authenticate(await aProofHeader(), deps);
    const { sessionToken } = await startSession(proved, undefined, deps);

    // Act
    const identity = await authenticate(`Bearer ${sessionToken}`, { ...deps, admins: [] });

    // Assess
    expect(identity.admin).toBe(false);
  });

  it("is refused with 401 once the session has expired, saying when", async () => {
    // Prepare
    const { deps, advance } = setUp();
    const { sessionToken } = await startSession(aCaller(), 600, deps);
    advance(600);

    // Act
    const message = await refusalOf(`Bearer ${sessionToken}`, deps);

    // Assess
    expect(message).toContain("the session expired at 2026-12-07T12:10:00.000Z.");
    expect(message).toContain("Authorization: SnapRelay-STS <proof>");
  });

  it("is refused with 401 when the session is unknown", async () => {
    // Prepare
    const { deps } = setUp();

    // Act
    const message = await refusalOf(`Bearer srs_${"A".repeat(43)}`, deps);

    // Assess
    expect(message).toContain("the session is not known: it was signed out, or never made.");
  });

  it("is refused with 401 when the bearer token is a JWT, as shared-secret tokens were", async () => {
    // Prepare
    const { deps, verifier } = setUp();
    const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMTExMjIyMjMzMzMifQ.c2lnbmF0dXJl";

    // Act
    const message = await refusalOf(`Bearer ${jwt}`, deps);

    // Assess
    expect(message).toContain(
      "the bearer token is not a session this API made (tokens minted with a shared secret are no longer taken).",
    );
    expect(verifier.asked).toEqual([]);
  });
});

describe("a caller with anything else", () => {
  it("is refused with 401 for a request signed with SigV4 itself, told to presign instead", async () => {
    // Prepare
    const { deps } = setUp();

    // Act
    const message = await refusalOf(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261207/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=abc",
      deps,
    );

    // Assess
    expect(message).toContain(
      "this API does not take a request signed with SigV4 itself: presign sts:GetCallerIdentity and send that as the proof.",
    );
  });

  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["a scheme without credentials", "Bearer"],
  ])("is refused with 401 for %s, told both ways to sign in", async (_what, authorization) => {
    // Prepare
    const { deps } = setUp();

    // Act
    const message = await refusalOf(authorization, deps);

    // Assess
    expect(message).toContain("Authorization refused: no credentials were sent.");
    expect(message).toContain("Authorization: SnapRelay-STS <proof>");
    expect(message).toContain("Authorization: Bearer <session token>");
  });

  it("is refused with 401 for a scheme the API does not take, naming it", async () => {
    // Prepare
    const { deps } = setUp();

    // Act
    const message = await refusalOf("Basic YWxpY2U6c2VjcmV0", deps);

    // Assess
    expect(message).toContain('the scheme "Basic" is not one this API takes.');
  });

  it("is refused when a proof has more after it, as no proof", async () => {
    // Prepare
    const { deps, verifier } = setUp();

    // Act
    const message = await refusalOf(`${await aProofHeader()} extra`, deps);

    // Assess
    expect(message).toContain("the proof is not base64url text.");
    expect(verifier.asked).toEqual([]);
  });

  it("is refused when the proof's scheme is spelt in another case", async () => {
    // Prepare
    const { deps } = setUp();
    const [, credentials] = (await aProofHeader()).split(" ");

    // Act
    const message = await refusalOf(`snaprelay-sts ${credentials}`, deps);

    // Assess
    expect(message).toContain('the scheme "snaprelay-sts" is not one this API takes.');
  });
});

describe("starting a session", () => {
  it("gives a fresh token once, keeping only its hash, for an hour unless asked otherwise", async () => {
    // Prepare
    const { deps, sessions } = setUp();

    // Act
    const { sessionToken, session } = await startSession(
      aCaller({ principalArn: BOB }),
      undefined,
      deps,
    );

    // Assess
    expect(sessionToken).toMatch(/^srs_[A-Za-z0-9_-]{43}$/);
    expect(session).toEqual({
      accountId: ACCOUNT,
      principalArn: BOB,
      createdAt: NOW.toISOString(),
      expiresAt: new Date(NOW.getTime() + SESSION_SECONDS.default * 1000).toISOString(),
    });
    expect([...sessions.sessions.keys()]).toEqual([sha256(sessionToken)]);
    expect(JSON.stringify([...sessions.sessions])).not.toContain(sessionToken);
  });

  it("lasts as long as asked", async () => {
    // Prepare
    const { deps } = setUp();

    // Act
    const { session } = await startSession(aCaller(), SESSION_SECONDS.max, deps);

    // Assess
    expect(session.expiresAt).toBe("2026-12-08T00:00:00.000Z");
  });

  it("gives each session a token of its own", async () => {
    // Prepare
    const { deps } = setUp();

    // Act
    const first = await startSession(aCaller(), undefined, deps);
    const second = await startSession(aCaller(), undefined, deps);

    // Assess
    expect(first.sessionToken).not.toBe(second.sessionToken);
  });

  it("is refused for a caller signed in with a session, so a session cannot outlive itself", async () => {
    // Prepare
    const { deps, sessions } = setUp();

    // Act
    const starting = startSession(aCaller({ via: "session" }), undefined, deps);

    // Assess
    await expect(starting).rejects.toMatchObject({
      code: "InvalidRequest",
      message: expect.stringContaining(
        "A session is made from a proof of identity only, not from another session.",
      ),
    });
    expect(sessions.sessions.size).toBe(0);
  });
});

describe("ending a session", () => {
  it("signs the session out: its token is refused from then on", async () => {
    // Prepare
    const { deps, sessions } = setUp();
    const { sessionToken } = await startSession(aCaller(), undefined, deps);
    const other = await startSession(aCaller(), undefined, deps);

    // Act
    const ended = await endSession(`Bearer ${sessionToken}`, deps);

    // Assess
    expect(ended).toBe(true);
    expect(await refusalOf(`Bearer ${sessionToken}`, deps)).toContain("the session is not known");
    expect(sessions.sessions.size).toBe(1);
    expect((await authenticate(`Bearer ${other.sessionToken}`, deps)).via).toBe("session");
  });

  it.each([
    ["a proof, which has no session", "SnapRelay-STS aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8"],
    ["no header", undefined],
    ["a bearer token that is no session's", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln"],
  ])("ends nothing for %s", async (_what, authorization) => {
    // Prepare
    const { deps, sessions } = setUp();
    await startSession(aCaller(), undefined, deps);

    // Act
    const ended = await endSession(authorization, deps);

    // Assess
    expect(ended).toBe(false);
    expect(sessions.sessions.size).toBe(1);
  });
});
