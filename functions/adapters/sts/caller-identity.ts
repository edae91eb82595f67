// The IdentityVerifier on AWS STS: a proof (a presigned sts:GetCallerIdentity) is sent to STS as
// signed, with the audience header its signature covers; STS answers who signed it, or refuses. A
// proof STS vouched for is remembered until it expires (at most 1,000), so a CLI's commands and the
// authorizer's warm instances do not ask STS again for each request.
import { XMLParser } from "fast-xml-parser";
import {
  AUDIENCE_HEADER,
  type CheckedProof,
  type VerifiedPrincipal,
} from "../../core/caller-proof.js";
import { DomainError } from "../../core/errors.js";
import type { IdentityVerifier } from "../../core/ports.js";

const STS_TIMEOUT_MS = 5_000;
const REMEMBERED_PROOFS = 1_000;
const xml = new XMLParser({ parseTagValue: false });

interface StsAnswer {
  GetCallerIdentityResponse?: {
    GetCallerIdentityResult?: { Arn?: string; Account?: string; UserId?: string };
  };
  ErrorResponse?: { Error?: { Code?: string; Message?: string } };
}

// What a caller can do about each of STS's refusals.
const REMEDIES: Record<string, string> = {
  SignatureDoesNotMatch:
    "The signature does not hold: sign with your own credentials, unchanged, for the endpoint GET /auth names.",
  InvalidClientTokenId: "STS knows no such access key, or the session token is wrong.",
  ExpiredToken:
    "The credentials that signed it have expired: refresh them (aws sso login, or a new AssumeRole).",
  AccessDenied: "STS refused the signer.",
};

export class StsIdentityVerifier implements IdentityVerifier {
  constructor(
    private readonly audience: string,
    private readonly send: typeof fetch = fetch,
  ) {}

  async whoSigned(proof: CheckedProof): Promise<VerifiedPrincipal> {
    let status: number;
    let text: string;
    try {
      const response = await this.send(proof.url, {
        method: "GET",
        headers: { [AUDIENCE_HEADER]: this.audience, accept: "text/xml" },
        // Never followed: the proof is for STS's own endpoint and nothing else.
        redirect: "error",
        signal: AbortSignal.timeout(STS_TIMEOUT_MS),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new DomainError(
        "IdentityUnavailable",
        `STS did not answer who signed the proof (${error instanceof Error ? error.message : String(error)}); try again shortly.`,
        { cause: error, retryAfterSeconds: 5 },
      );
    }
    const answer = parse(text);
    const result = answer?.GetCallerIdentityResponse?.GetCallerIdentityResult;
    if (status === 200 && result?.Arn && result.Account && /^\d{12}$/.test(result.Account)) {
      return { accountId: result.Account, arn: result.Arn };
    }
    if (status >= 500 || status === 429 || !answer) {
      throw new DomainError(
        "IdentityUnavailable",
        `STS answered ${status} when asked who signed the proof; try again shortly.`,
        { retryAfterSeconds: 5 },
      );
    }
    const code = answer.ErrorResponse?.Error?.Code ?? `Http${status}`;
    const message = answer.ErrorResponse?.Error?.Message ?? "";
    throw new DomainError(
      "Unauthorized",
      `Authorization refused: STS refused the proof (${code}${message ? `: ${message}` : ""}). ${REMEDIES[code] ?? ""} Make a new proof with your AWS credentials (\`snaprelay proof\`).`.replace(
        /\s+/g,
        " ",
      ),
    );
  }
}

const parse = (text: string): StsAnswer | undefined => {
  try {
    return xml.parse(text) as StsAnswer;
  } catch {
    return undefined;
  }
};

/** Remembers each proof STS vouched for until it expires; refusals are not remembered. */
export class RememberedProofs implements IdentityVerifier {
  private readonly vouched = new Map<string, { principal: VerifiedPrincipal; until: number }>();

  constructor(
    private readonly inner: IdentityVerifier,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async whoSigned(proof: CheckedProof): Promise<VerifiedPrincipal> {
    const now = this.now().getTime();
    const known = this.vouched.get(proof.url);
    if (known && known.until > now) return known.principal;
    const principal = await this.inner.whoSigned(proof);
    for (const [url, entry] of this.vouched) {
      if (entry.until <= now || this.vouched.size >= REMEMBERED_PROOFS) this.vouched.delete(url);
      else break;
    }
    this.vouched.set(proof.url, { principal, until: proof.expiresAt.getTime() });
    return principal;
  }
}
