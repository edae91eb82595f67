// Who is calling: a caller proves its AWS identity with a presigned sts:GetCallerIdentity
// (caller-proof.ts) that STS verifies, or shows a session made from such a proof (POST /sessions:
// the console's sign-in, short-lived, ended by DELETE /session). No secret is shared with anyone:
// a session's token is random, known to its holder only, and stored as its SHA-256.
import { createHash, randomBytes } from "node:crypto";
import { checkProof, isAdminPrincipal, PROOF_SCHEME, type ProofSettings } from "./caller-proof.js";
import { DomainError } from "./errors.js";
import type { IdentityVerifier, SessionStore, SignInSession } from "./ports.js";

/** The caller as the API acts for it. */
export interface Identity {
  accountId: string;
  principalArn: string;
  /** One of the admins the configuration names (ADMIN_PRINCIPALS). */
  admin: boolean;
  /** When what it showed stops being good: the proof's end, or the session's. */
  expiresAt: string;
  via: "proof" | "session";
}

export interface SignInDeps {
  verifier: IdentityVerifier;
  sessions: SessionStore;
  proofs: ProofSettings;
  /** IAM principal ARNs of the admins (users, roles, root). */
  admins: readonly string[];
  now(): Date;
}

export const SESSION_TOKEN_PREFIX = "srs_";
/** A session lasts an hour unless asked otherwise; at least a minute, at most 12 hours. */
export const SESSION_SECONDS = { default: 3600, min: 60, max: 12 * 3600 } as const;

const HOW_TO_SIGN_IN = `Send \`Authorization: ${PROOF_SCHEME} <proof>\`, a sts:GetCallerIdentity request presigned with your AWS credentials (\`snaprelay proof\` makes one; README: Authentication), or \`Authorization: Bearer <session token>\` from POST /sessions (\`snaprelay console\`).`;

const refuse = (message: string): DomainError =>
  new DomainError("Unauthorized", `Authorization refused: ${message}`);

const hashOf = (token: string): string => createHash("sha256").update(token).digest("hex");

/** The caller an Authorization header proves; `Unauthorized` saying what to do otherwise. */
export const authenticate = async (
  authorization: string | undefined,
  deps: SignInDeps,
): Promise<Identity> => {
  // The credentials run to the header's end: a SigV4 header's hold spaces, and it is refused as
  // SigV4, not as a header without credentials.
  const match = /^(\S+)\s+(\S.*?)\s*$/.exec(authorization ?? "");
  if (!match?.[1] || !match[2]) throw refuse(`no credentials were sent. ${HOW_TO_SIGN_IN}`);
  const [, scheme, credentials] = match;
  if (scheme === PROOF_SCHEME) {
    const proof = checkProof(credentials, deps.proofs, deps.now());
    const principal = await deps.verifier.whoSigned(proof);
    return {
      accountId: principal.accountId,
      principalArn: principal.arn,
      admin: isAdminPrincipal(principal.arn, deps.admins),
      expiresAt: proof.expiresAt.toISOString(),
      via: "proof",
    };
  }
  if (scheme.toLowerCase() === "bearer") return sessionIdentity(credentials, deps);
  if (scheme === "AWS4-HMAC-SHA256") {
    throw refuse(
      `this API does not take a request signed with SigV4 itself: presign sts:GetCallerIdentity and send that as the proof. ${HOW_TO_SIGN_IN}`,
    );
  }
  throw refuse(
    `the scheme ${JSON.stringify(scheme.slice(0, 40))} is not one this API takes. ${HOW_TO_SIGN_IN}`,
  );
};

const sessionIdentity = async (token: string, deps: SignInDeps): Promise<Identity> => {
  if (!token.startsWith(SESSION_TOKEN_PREFIX)) {
    throw refuse(
      `the bearer token is not a session this API made (tokens minted with a shared secret are no longer taken). ${HOW_TO_SIGN_IN}`,
    );
  }
  const session = await deps.sessions.find(hashOf(token));
  if (!session) {
    throw refuse(`the session is not known: it was signed out, or never made. ${HOW_TO_SIGN_IN}`);
  }
  if (Date.parse(session.expiresAt) <= deps.now().getTime()) {
    throw refuse(`the session expired at ${session.expiresAt}. ${HOW_TO_SIGN_IN}`);
  }
  return {
    accountId: session.accountId,
    principalArn: session.principalArn,
    // Read from the configuration at each request: a principal removed from the admins is one no more.
    admin: isAdminPrincipal(session.principalArn, deps.admins),
    expiresAt: session.expiresAt,
    via: "session",
  };
};

/** A new session for a caller that proved itself just now; its token is shown once, here. */
export const startSession = async (
  identity: Identity,
  durationSeconds: number | undefined,
  deps: Pick<SignInDeps, "sessions" | "now">,
): Promise<{ sessionToken: string; session: SignInSession }> => {
  if (identity.via !== "proof") {
    throw new DomainError(
      "InvalidRequest",
      `A session is made from a proof of identity only, not from another session. ${HOW_TO_SIGN_IN}`,
    );
  }
  const seconds = durationSeconds ?? SESSION_SECONDS.default;
  const now = deps.now();
  const sessionToken = `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const session: SignInSession = {
    accountId: identity.accountId,
    principalArn: identity.principalArn,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + seconds * 1000).toISOString(),
  };
  await deps.sessions.create(hashOf(sessionToken), session);
  return { sessionToken, session };
};

/** Ends the session the header shows (signing out); a proof has no session to end. */
export const endSession = async (
  authorization: string | undefined,
  deps: Pick<SignInDeps, "sessions">,
): Promise<boolean> => {
  const token = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  if (!token?.startsWith(SESSION_TOKEN_PREFIX)) return false;
  await deps.sessions.remove(hashOf(token));
  return true;
};
