// API tokens: what verifies, and what is refused with a reason the caller can act on.
import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ADMIN_ROLE,
  bearerToken,
  issueToken,
  TOKEN_AUDIENCE,
  type TokenSettings,
  verifyToken,
} from "../../functions/api/tokens.js";
import { DomainError } from "../../functions/core/errors.js";
import { ACCOUNT, T0 } from "./fakes.js";

const settings: TokenSettings = {
  secret: "a-test-secret-of-at-least-32-characters",
  issuer: "snaprelay",
};

/** A token signed with the test secret, with the claims a test wants. */
const signed = (
  claims: { sub?: string; iss?: string; aud?: string; exp?: boolean },
  secret = settings.secret,
): Promise<string> => {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuedAt();
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  jwt = jwt.setIssuer(claims.iss ?? settings.issuer).setAudience(claims.aud ?? TOKEN_AUDIENCE);
  if (claims.exp !== false) jwt = jwt.setExpirationTime("1h");
  return jwt.sign(new TextEncoder().encode(secret));
};

afterEach(() => {
  vi.useRealTimers();
});

describe("verifying a token", () => {
  it("gives the account a token it issued speaks for", async () => {
    // Prepare
    const token = await issueToken(ACCOUNT, settings);

    // Act
    const verified = await verifyToken(token, settings);

    // Assess
    expect(verified).toEqual({ accountId: ACCOUNT, admin: false });
  });

  it("says a token carrying the admin role is an admin's", async () => {
    // Prepare
    const token = await issueToken(ACCOUNT, settings, 3600, [ADMIN_ROLE]);

    // Act
    const verified = await verifyToken(token, settings);

    // Assess
    expect(verified).toEqual({ accountId: ACCOUNT, admin: true });
  });

  it("accepts a token until it expires", async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    const token = await issueToken(ACCOUNT, settings, 60);
    vi.setSystemTime(T0.getTime() + 59_000);

    // Act
    const verified = await verifyToken(token, settings);

    // Assess
    expect(verified.accountId).toBe(ACCOUNT);
  });

  it("refuses an expired token, saying to get a new one", async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    const token = await issueToken(ACCOUNT, settings, 60);
    vi.setSystemTime(T0.getTime() + 61_000);

    // Act
    const verifying = verifyToken(token, settings);

    // Assess
    await expect(verifying).rejects.toBeInstanceOf(DomainError);
    await expect(verifying).rejects.toMatchObject({
      code: "Unauthorized",
      message: "Authorization refused: the token has expired; get a new one.",
    });
  });

  it("refuses a token signed with another secret", async () => {
    // Prepare
    const token = await issueToken(ACCOUNT, { ...settings, secret: "x".repeat(40) });

    // Act
    const verifying = verifyToken(token, settings);

    // Assess
    await expect(verifying).rejects.toMatchObject({
      code: "Unauthorized",
      message: "Authorization refused: the token's signature is not valid.",
    });
  });

  it("refuses a token from another issuer, naming the claim", async () => {
    // Prepare
    const token = await issueToken(ACCOUNT, { ...settings, issuer: "someone-else" });

    // Act
    const verifying = verifyToken(token, settings);

    // Assess
    await expect(verifying).rejects.toMatchObject({
      code: "Unauthorized",
      message: expect.stringMatching(/^Authorization refused: the token's iss claim is not valid/),
    });
  });

  it("refuses a token for another audience, naming the claim", async () => {
    // Prepare
    const token = await signed({ sub: ACCOUNT, aud: "another-api" });

    // Act
    const verifying = verifyToken(token, settings);

    // Assess
    await expect(verifying).rejects.toMatchObject({
      code: "Unauthorized",
      message: expect.stringContaining("the token's aud claim is not valid"),
    });
  });

  it("refuses a token that never expires", async () => {
    // Prepare
    const token = await signed({ sub: ACCOUNT, exp: false });

    // Act
    const verifying = verifyToken(token, settings);

    // Assess
    await expect(verifying).rejects.toMatchObject({
      code: "Unauthorized",
      message: expect.stringContaining("the token's exp claim is not valid"),
    });
  });

  it.each(["12345678901", "1234567890123", "11112222333a", "account-1"])(
    "refuses the subject %s, which is not a 12-digit account id",
    async (subject) => {
      // Prepare
      const token = await issueToken(subject, settings);

      // Act
      const verifying = verifyToken(token, settings);

      // Assess
      await expect(verifying).rejects.toMatchObject({
        code: "Unauthorized",
        message: "The token's subject is not a 12-digit account id.",
      });
    },
  );

  it("refuses a token without a subject", async () => {
    // Prepare
    const token = await signed({});

    // Act
    const verifying = verifyToken(token, settings);

    // Assess
    await expect(verifying).rejects.toMatchObject({
      code: "Unauthorized",
      message: expect.stringContaining("sub"),
    });
  });

  it("refuses a token signed with another algorithm, even with the right secret", async () => {
    // Prepare
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS512" })
      .setSubject(ACCOUNT)
      .setIssuer(settings.issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(settings.secret));

    // Act
    const verifying = verifyToken(token, settings);

    // Assess
    await expect(verifying).rejects.toMatchObject({
      code: "Unauthorized",
      message: "Authorization refused: the token is not a JWT this API issued.",
    });
  });

  it("refuses text that is not a JWT", async () => {
    // Act
    const verifying = verifyToken("not-a-token", settings);

    // Assess
    await expect(verifying).rejects.toMatchObject({
      code: "Unauthorized",
      message: "Authorization refused: the token is not a JWT this API issued.",
    });
  });
});

describe("the bearer token in an Authorization header", () => {
  it.each([
    ["Bearer abc.def.ghi", "abc.def.ghi"],
    ["bearer abc.def.ghi", "abc.def.ghi"],
    ["Bearer    abc.def.ghi  ", "abc.def.ghi"],
  ])("reads %j as the token %s", (header, token) => {
    // Act
    const read = bearerToken(header);

    // Assess
    expect(read).toBe(token);
  });

  it.each([
    undefined,
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "abc.def.ghi",
    "Bearer abc def",
  ])("refuses the header %j, saying how to send one", (header) => {
    // Act
    const act = () => bearerToken(header);

    // Assess
    expect(act).toThrowError(
      expect.objectContaining({
        code: "Unauthorized",
        message: "Authorization refused: send the header `Authorization: Bearer <token>`.",
      }),
    );
  });
});
