// Stand-ins for signing in: sessions held in memory as the DynamoDB store holds them (one per
// token hash, never overwritten), a verifier that answers as STS would without asking it, and
// callers as the authorizer hands them to the routes.
import type { CheckedProof, VerifiedPrincipal } from "../../functions/core/caller-proof.js";
import { DomainError } from "../../functions/core/errors.js";
import type { IdentityVerifier, SessionStore, SignInSession } from "../../functions/core/ports.js";
import type { Identity } from "../../functions/core/sign-in.js";
import { ACCOUNT } from "./fakes.js";

export class InMemorySessionStore implements SessionStore {
  readonly sessions = new Map<string, SignInSession>();

  async create(tokenHash: string, session: SignInSession): Promise<void> {
    if (this.sessions.has(tokenHash)) {
      throw new Error(`a session is stored under ${tokenHash} already`);
    }
    this.sessions.set(tokenHash, { ...session });
  }

  async find(tokenHash: string): Promise<SignInSession | undefined> {
    const session = this.sessions.get(tokenHash);
    return session && { ...session };
  }

  async remove(tokenHash: string): Promise<void> {
    this.sessions.delete(tokenHash);
  }
}

/**
 * Answers every proof with the principal it was given, or refuses with the error it was given;
 * keeps the proofs it was asked about.
 */
export class ScriptedVerifier implements IdentityVerifier {
  readonly asked: CheckedProof[] = [];
  answer: VerifiedPrincipal | DomainError;

  constructor(answer: VerifiedPrincipal | DomainError) {
    this.answer = answer;
  }

  async whoSigned(proof: CheckedProof): Promise<VerifiedPrincipal> {
    this.asked.push(proof);
    if (this.answer instanceof DomainError) throw this.answer;
    return this.answer;
  }
}

/** A caller as the authorizer vouches for it: by default, a user of ACCOUNT with a fresh proof. */
export const aCaller = (fields: Partial<Identity> = {}): Identity => {
  const accountId = fields.accountId ?? ACCOUNT;
  return {
    accountId,
    principalArn: `arn:aws:iam::${accountId}:user/alice`,
    admin: false,
    expiresAt: "2099-01-01T00:00:00.000Z",
    via: "proof",
    ...fields,
  };
};
