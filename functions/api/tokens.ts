// API tokens: HS256 JWTs (jose) whose subject is the caller's account id, and whose `roles`
// claim may name the admin role. The authorizer verifies them; `npm run token` issues them for
// the local stack.
import { errors, jwtVerify, SignJWT } from "jose";
import { DomainError } from "../core/errors.js";

export const TOKEN_AUDIENCE = "snaprelay-api";

export interface TokenSettings {
  secret: string;
  issuer: string;
}

const keyOf = (secret: string) => new TextEncoder().encode(secret);

/** The role a token carries to decide access requests (`npm run token -- --admin`). */
export const ADMIN_ROLE = "admin";

export const issueToken = (
  accountId: string,
  settings: TokenSettings,
  ttlSeconds = 12 * 60 * 60,
  roles: readonly string[] = [],
): Promise<string> =>
  new SignJWT(roles.length > 0 ? { roles: [...roles] } : {})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(accountId)
    .setIssuer(settings.issuer)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(keyOf(settings.secret));

const reasonFor = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) return "the token has expired; get a new one";
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "the token's signature is not valid";
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `the token's ${error.claim} claim is not valid (${error.reason})`;
  }
  return "the token is not a JWT this API issued";
};

/** The account a token speaks for; throws `Unauthorized` saying what is wrong with it. */
export const verifyToken = async (
  token: string,
  settings: TokenSettings,
): Promise<{ accountId: string; admin: boolean }> => {
  try {
    const { payload } = await jwtVerify(token, keyOf(settings.secret), {
      algorithms: ["HS256"],
      issuer: settings.issuer,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ["sub", "exp"],
    });
    if (!payload.sub || !/^\d{12}$/.test(payload.sub)) {
      throw new DomainError("Unauthorized", "The token's subject is not a 12-digit account id.");
    }
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    return { accountId: payload.sub, admin: roles.includes(ADMIN_ROLE) };
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError("Unauthorized", `Authorization refused: ${reasonFor(error)}.`);
  }
};

/** The token in an `Authorization: Bearer <token>` header. */
export const bearerToken = (header: string | undefined): string => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) {
    throw new DomainError(
      "Unauthorized",
      "Authorization refused: send the header `Authorization: Bearer <token>`.",
    );
  }
  return match[1];
};
