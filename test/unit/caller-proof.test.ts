// A proof of identity as the API checks it before asking STS: a presigned sts:GetCallerIdentity
// for one of the configured STS endpoints, covering the audience header, no older than 15
// minutes; each refusal says what to do. Who counts as an admin, and which region a proof is
// signed for.
import { describe, expect, it } from "vitest";
import {
  checkProof,
  isAdminPrincipal,
  PROOF_MAX_AGE_SECONDS,
  PROOF_SCHEME,
  type ProofSettings,
  proofHeader,
  recipeOf,
  signingRegionOf,
} from "../../functions/core/caller-proof.js";
import { makeProof } from "../../scripts/cli/proof.js";

const SETTINGS: ProofSettings = {
  stsEndpoints: ["https://sts.eu-west-1.amazonaws.com", "https://sts.amazonaws.com"],
  audience: "snaprelay-test",
};
const SIGNED_AT = new Date("2026-12-07T12:00:00.000Z");
const KEYS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "not-a-real-secret" };

const secondsAfter = (seconds: number): Date => new Date(SIGNED_AT.getTime() + seconds * 1000);

/** The credentials part of an Authorization header: what follows the scheme. */
const credentialsOf = (header: string): string => {
  const [scheme, credentials] = header.split(" ");
  expect(scheme).toBe(PROOF_SCHEME);
  return credentials ?? "";
};

/** A good proof, signed at SIGNED_AT for the first endpoint, as the CLI makes it. */
const aProof = async (recipe = recipeOf(SETTINGS)): Promise<string> =>
  credentialsOf(await makeProof(recipe, KEYS, SIGNED_AT));

/** The presigned URL of a proof. */
const urlOf = (credentials: string): URL =>
  new URL(Buffer.from(credentials, "base64url").toString("utf8"));

/** The proof with its URL changed. */
const altered = (credentials: string, change: (url: URL) => void): string => {
  const url = urlOf(credentials);
  change(url);
  return credentialsOf(proofHeader(url.toString()));
};

const refusalOf = (credentials: string, now: Date = secondsAfter(60)): string => {
  try {
    checkProof(credentials, SETTINGS, now);
  } catch (error) {
    expect(error).toMatchObject({ code: "Unauthorized" });
    return (error as Error).message;
  }
  throw new Error("the proof was accepted");
};

const SIGN_AGAIN = "Make a new proof with your AWS credentials (`snaprelay proof`";

describe("a good proof", () => {
  it("is taken, its presigned URL kept for STS, good until 15 minutes after its signing", async () => {
    // Prepare
    const proof = await aProof();

    // Act
    const checked = checkProof(proof, SETTINGS, secondsAfter(60));

    // Assess
    const url = new URL(checked.url);
    expect(url.origin).toBe("https://sts.eu-west-1.amazonaws.com");
    expect(url.searchParams.get("Action")).toBe("GetCallerIdentity");
    expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";")).toContain(
      "x-snaprelay-audience",
    );
    expect(url.searchParams.get("X-Amz-Credential")).toContain("/eu-west-1/sts/aws4_request");
    expect(checked.expiresAt).toEqual(secondsAfter(PROOF_MAX_AGE_SECONDS));
  });

  it("is taken for any of the configured endpoints", async () => {
    // Prepare
    const proof = await aProof(
      recipeOf({ ...SETTINGS, stsEndpoints: ["https://sts.amazonaws.com"] }),
    );

    // Act
    const checked = checkProof(proof, SETTINGS, secondsAfter(60));

    // Assess
    expect(new URL(checked.url).origin).toBe("https://sts.amazonaws.com");
  });

  it("is still taken at the very end of its 15 minutes", async () => {
    // Prepare
    const proof = await aProof();

    // Act
    const checked = checkProof(proof, SETTINGS, secondsAfter(PROOF_MAX_AGE_SECONDS));

    // Assess
    expect(checked.expiresAt).toEqual(secondsAfter(PROOF_MAX_AGE_SECONDS));
  });

  it("is taken from a clock up to five minutes ahead of ours", async () => {
    // Prepare
    const proof = await aProof();

    // Act
    const checked = checkProof(proof, SETTINGS, secondsAfter(-5 * 60));

    // Assess
    expect(checked.expiresAt).toEqual(secondsAfter(PROOF_MAX_AGE_SECONDS));
  });

  it("ends when its own X-Amz-Expires says, if that is sooner", async () => {
    // Prepare
    const proof = await aProof({ ...recipeOf(SETTINGS), maxAgeSeconds: 300 });

    // Act
    const checked = checkProof(proof, SETTINGS, secondsAfter(60));
    const late = refusalOf(proof, secondsAfter(301));

    // Assess
    expect(checked.expiresAt).toEqual(secondsAfter(300));
    expect(late).toContain("a proof is good for 5 minutes");
  });
});

describe("a proof that does not hold", () => {
  it("is refused when longer than 8 KiB, with its length", () => {
    // Act
    const message = refusalOf("A".repeat(8 * 1024 + 1));

    // Assess
    expect(message).toBe("Authorization refused: the proof has 8193 characters; at most 8192.");
  });

  it.each([
    ["standard base64 padding", "aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8="],
    ["a JWT's dots", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMTExMjIyMjMzMzMifQ.c2ln"],
  ])("is refused when it is not base64url text (%s)", (_what, credentials) => {
    // Act
    const message = refusalOf(credentials);

    // Assess
    expect(message).toContain("the proof is not base64url text.");
    expect(message).toContain(SIGN_AGAIN);
  });

  it("is refused when it does not decode to a URL", () => {
    // Act
    const message = refusalOf(Buffer.from("who am i?").toString("base64url"));

    // Assess
    expect(message).toContain("the proof is not a presigned URL.");
    expect(message).toContain(SIGN_AGAIN);
  });

  it.each([
    ["another host", "https://sts.example.com/"],
    ["plain http", "http://sts.eu-west-1.amazonaws.com/"],
    ["STS of a region not configured", "https://sts.us-west-2.amazonaws.com/"],
    ["another path", "https://sts.eu-west-1.amazonaws.com/redirect"],
  ])("is refused when signed for %s, naming the endpoints the API takes", async (_what, target) => {
    // Prepare
    const proof = altered(await aProof(), (url) => {
      url.href = `${target}${url.search}`;
    });

    // Act
    const message = refusalOf(proof);

    // Assess
    expect(message).toContain(`the proof is signed for ${target};`);
    expect(message).toContain(
      "this API takes proofs for https://sts.eu-west-1.amazonaws.com or https://sts.amazonaws.com only (GET /auth).",
    );
  });

  it.each([
    ["another action", "Action", "AssumeRole"],
    ["another API version", "Version", "2011-06-16"],
  ])("is refused when it presigns %s", async (_what, name, value) => {
    // Prepare
    const proof = altered(await aProof(), (url) => url.searchParams.set(name, value));

    // Act
    const message = refusalOf(proof);

    // Assess
    expect(message).toContain(
      "the proof must presign sts:GetCallerIdentity (Action=GetCallerIdentity&Version=2011-06-15), and nothing else.",
    );
  });

  it.each([
    ["no signature", "X-Amz-Signature", undefined],
    ["no algorithm", "X-Amz-Algorithm", undefined],
    ["another algorithm", "X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256"],
  ])("is refused when it carries %s", async (_what, name, value) => {
    // Prepare
    const proof = altered(await aProof(), (url) =>
      value === undefined ? url.searchParams.delete(name) : url.searchParams.set(name, value),
    );

    // Act
    const message = refusalOf(proof);

    // Assess
    expect(message).toContain("the proof carries no SigV4 presigned signature.");
    expect(message).toContain(SIGN_AGAIN);
  });

  it("is refused when its signature does not cover the audience header, naming header and value", async () => {
    // Prepare
    const proof = altered(await aProof(), (url) =>
      url.searchParams.set("X-Amz-SignedHeaders", "host"),
    );

    // Act
    const message = refusalOf(proof);

    // Assess
    expect(message).toBe(
      "Authorization refused: the proof's signature must cover the header x-snaprelay-audience: snaprelay-test (GET /auth says how).",
    );
  });

  it("is refused when its URL carries a user name or password, which STS could never be sent", async () => {
    // Prepare
    const proof = altered(await aProof(), (url) => {
      url.username = "sts.eu-west-1.amazonaws.com";
      url.password = "x";
    });

    // Act
    const message = refusalOf(proof);

    // Assess
    expect(message).toContain("the proof's URL carries a user name or password.");
    expect(message).toContain(SIGN_AGAIN);
  });

  it.each([
    ["an ISO time", "2026-12-07T12:00:00Z"],
    ["a 13th month", "20261307T120000Z"],
    ["30 February", "20260230T120000Z"],
    ["hour 25", "20261207T250000Z"],
    ["minute 60", "20261207T126000Z"],
  ])("is refused when its X-Amz-Date is %s, no SigV4 time", async (_what, amzDate) => {
    // Prepare
    const proof = altered(await aProof(), (url) => url.searchParams.set("X-Amz-Date", amzDate));

    // Act
    const message = refusalOf(proof);

    // Assess
    expect(message).toContain("the proof's X-Amz-Date is not a time like 20261207T120000Z.");
  });

  it.each([
    ["longer than 15 minutes", "901"],
    ["none", "0"],
    ["not whole", "60.5"],
    ["missing", undefined],
  ])("is refused when its X-Amz-Expires is %s", async (_what, expires) => {
    // Prepare
    const proof = altered(await aProof(), (url) =>
      expires === undefined
        ? url.searchParams.delete("X-Amz-Expires")
        : url.searchParams.set("X-Amz-Expires", expires),
    );

    // Act
    const message = refusalOf(proof);

    // Assess
    expect(message).toContain("the proof's X-Amz-Expires must be 1 to 900 seconds.");
  });

  it("is refused once 15 minutes old, with when it was signed and what to do", async () => {
    // Prepare
    const proof = await aProof();

    // Act
    const message = refusalOf(proof, secondsAfter(PROOF_MAX_AGE_SECONDS + 1));

    // Assess
    expect(message).toContain(
      "the proof was signed at 2026-12-07T12:00:00.000Z, 15 minutes ago; a proof is good for 15 minutes.",
    );
    expect(message).toContain(SIGN_AGAIN);
  });

  it("is refused when signed more than five minutes ahead of our clock, saying to set it right", async () => {
    // Prepare
    const proof = await aProof();

    // Act
    const message = refusalOf(proof, secondsAfter(-5 * 60 - 1));

    // Assess
    expect(message).toContain(
      "the proof is signed at 2026-12-07T12:00:00.000Z, in the future: set your clock right and sign again.",
    );
  });
});

describe("the recipe GET /auth publishes", () => {
  it("names the first endpoint, its signing region, the audience header and value, and the age", () => {
    // Act
    const recipe = recipeOf(SETTINGS);

    // Assess
    expect(recipe).toEqual({
      scheme: "SnapRelay-STS",
      stsEndpoint: "https://sts.eu-west-1.amazonaws.com",
      signingRegion: "eu-west-1",
      audienceHeader: "x-snaprelay-audience",
      audience: "snaprelay-test",
      maxAgeSeconds: 900,
    });
  });

  it("falls back to STS's global endpoint when none is configured", () => {
    // Act
    const recipe = recipeOf({ stsEndpoints: [], audience: "snaprelay" });

    // Assess
    expect(recipe).toMatchObject({
      stsEndpoint: "https://sts.amazonaws.com",
      signingRegion: "us-east-1",
    });
  });
});

describe("the region a proof is signed for", () => {
  it.each([
    ["https://sts.eu-west-1.amazonaws.com", "eu-west-1"],
    ["https://sts.ap-southeast-5.amazonaws.com", "ap-southeast-5"],
    ["https://sts.us-gov-west-1.amazonaws.com", "us-gov-west-1"],
    ["https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"],
    ["https://sts.amazonaws.com", "us-east-1"],
    ["http://127.0.0.1:4566", "us-east-1"],
  ])("is %s's: %s", (endpoint, region) => {
    // Act
    const signingRegion = signingRegionOf(endpoint);

    // Assess
    expect(signingRegion).toBe(region);
  });
});

describe("an admin", () => {
  const ADMINS = [
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::111122223333:role/ops/Admin",
    "arn:aws:iam::444455556666:role/Breakglass",
  ];

  it.each([
    ["a user named exactly", "arn:aws:iam::111122223333:user/alice"],
    ["the root named exactly", "arn:aws:iam::111122223333:root"],
    [
      "a session of a role named with its path",
      "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com",
    ],
    [
      "a session of a role named without a path",
      "arn:aws:sts::444455556666:assumed-role/Breakglass/bob",
    ],
  ])("is %s", (_what, principal) => {
    // Act
    const admin = isAdminPrincipal(principal, ADMINS);

    // Assess
    expect(admin).toBe(true);
  });

  it.each([
    ["another user of the same account", "arn:aws:iam::111122223333:user/mallory"],
    ["a user whose name starts like an admin's", "arn:aws:iam::111122223333:user/alice2"],
    [
      "a session of the same role name in another account",
      "arn:aws:sts::999988887777:assumed-role/Admin/alice",
    ],
    [
      "a session of the same role in another partition",
      "arn:aws-cn:sts::111122223333:assumed-role/Admin/alice",
    ],
    [
      "a session of a role whose name starts like an admin role's",
      "arn:aws:sts::111122223333:assumed-role/AdminReadOnly/alice",
    ],
    [
      "a session of a role named like an admin user",
      "arn:aws:sts::111122223333:assumed-role/alice/s",
    ],
    ["a federated user of an admin account", "arn:aws:sts::111122223333:federated-user/alice"],
  ])("is not %s", (_what, principal) => {
    // Act
    const admin = isAdminPrincipal(principal, ADMINS);

    // Assess
    expect(admin).toBe(false);
  });

  it("named as one role session is that session, not the role's other sessions", () => {
    // Prepare
    const admins = ["arn:aws:sts::111122223333:assumed-role/Ops/alice"];

    // Act
    const alice = isAdminPrincipal("arn:aws:sts::111122223333:assumed-role/Ops/alice", admins);
    const bob = isAdminPrincipal("arn:aws:sts::111122223333:assumed-role/Ops/bob", admins);

    // Assess
    expect(alice).toBe(true);
    expect(bob).toBe(false);
  });

  it("is nobody when the configuration names no admin", () => {
    // Act
    const admin = isAdminPrincipal("arn:aws:iam::111122223333:root", []);

    // Assess
    expect(admin).toBe(false);
  });
});
