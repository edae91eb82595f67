// A caller's proof of identity: an sts:GetCallerIdentity request presigned (SigV4) with the
// caller's own AWS credentials, as aws-iam-authenticator and Vault's AWS auth method take it. The
// proof is sent as `Authorization: SnapRelay-STS <base64url of the presigned URL>`; snaprelay sends
// it to STS, which alone can check the signature and answers who signed it. The signature covers an
// `x-snaprelay-audience` header the caller cannot leave out, so a proof made for another service
// (a cluster's token, another stage) is not one for this API, and one made for this API does not
// work elsewhere. What can be checked without STS is checked here first: the shape, the endpoint
// (only STS's own, never a host the caller chooses), the action, and the time.
import { DomainError } from "./errors.js";

export const PROOF_SCHEME = "SnapRelay-STS";
export const AUDIENCE_HEADER = "x-snaprelay-audience";
export const STS_VERSION = "2011-06-15";
/** A proof is good for 15 minutes from its signing, as aws-iam-authenticator's tokens are. */
export const PROOF_MAX_AGE_SECONDS = 15 * 60;
/** A clock ahead of ours by this much is still believed (AWS allows 15 minutes; we, less). */
const FUTURE_SKEW_SECONDS = 5 * 60;
/** Room for a long session token (SSO, chained roles) in the presigned URL. */
const MAX_PROOF_CHARACTERS = 8 * 1024;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** How a caller makes a proof this API takes: published at GET /auth. */
export interface ProofRecipe {
  scheme: typeof PROOF_SCHEME;
  /** The STS endpoint to presign for (its origin is the only one the API sends proofs to). */
  stsEndpoint: string;
  /** The region to sign for: the endpoint's own (us-east-1 for the global endpoint). */
  signingRegion: string;
  audienceHeader: typeof AUDIENCE_HEADER;
  audience: string;
  maxAgeSeconds: number;
}

/** A proof that passed every check snaprelay can make alone: STS makes the rest. */
export interface CheckedProof {
  /** The presigned URL, to be sent to STS with the audience header. */
  url: string;
  /** When the proof stops being good (signing time plus the maximum age). */
  expiresAt: Date;
}

/** The settings a proof is checked against (config: AUTH_STS_ENDPOINTS, AUTH_AUDIENCE). */
export interface ProofSettings {
  /** Origins of the STS endpoints proofs may be signed for, e.g. https://sts.us-east-1.amazonaws.com */
  stsEndpoints: readonly string[];
  audience: string;
}

const SIGN_AGAIN =
  "Make a new proof with your AWS credentials (`snaprelay proof`, or README: Authentication).";

const refuse = (message: string): DomainError =>
  new DomainError("Unauthorized", `Authorization refused: ${message}`);

/** The STS endpoint's signing region: the global endpoint signs for us-east-1. */
export const signingRegionOf = (stsEndpoint: string): string => {
  const host = new URL(stsEndpoint).hostname;
  return (
    /^sts\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ?? "us-east-1"
  );
};

export const recipeOf = (settings: ProofSettings): ProofRecipe => {
  const stsEndpoint = settings.stsEndpoints[0] ?? "https://sts.amazonaws.com";
  return {
    scheme: PROOF_SCHEME,
    stsEndpoint,
    signingRegion: signingRegionOf(stsEndpoint),
    audienceHeader: AUDIENCE_HEADER,
    audience: settings.audience,
    maxAgeSeconds: PROOF_MAX_AGE_SECONDS,
  };
};

/** The header value carrying a presigned URL. */
export const proofHeader = (presignedUrl: string): string =>
  `${PROOF_SCHEME} ${Buffer.from(presignedUrl, "utf8").toString("base64url")}`;

/** The proof in an Authorization header's value, checked as far as it can be without STS. */
export const checkProof = (
  credentials: string,
  settings: ProofSettings,
  now: Date,
): CheckedProof => {
  if (credentials.length > MAX_PROOF_CHARACTERS) {
    throw refuse(
      `the proof has ${credentials.length} characters; at most ${MAX_PROOF_CHARACTERS}.`,
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(credentials)) {
    throw refuse(`the proof is not base64url text. ${SIGN_AGAIN}`);
  }
  let url: URL;
  try {
    url = new URL(Buffer.from(credentials, "base64url").toString("utf8"));
  } catch {
    throw refuse(`the proof is not a presigned URL. ${SIGN_AGAIN}`);
  }
  // fetch refuses a URL with credentials in it: a proof carrying some could only fail at STS's door.
  if (url.username !== "" || url.password !== "") {
    throw refuse(`the proof's URL carries a user name or password. ${SIGN_AGAIN}`);
  }
  if (!settings.stsEndpoints.includes(url.origin) || url.pathname !== "/") {
    throw refuse(
      `the proof is signed for ${url.origin}${url.pathname}; this API takes proofs for ${settings.stsEndpoints.join(" or ")} only (GET /auth).`,
    );
  }
  const query = url.searchParams;
  if (query.get("Action") !== "GetCallerIdentity" || query.get("Version") !== STS_VERSION) {
    throw refuse(
      `the proof must presign sts:GetCallerIdentity (Action=GetCallerIdentity&Version=${STS_VERSION}), and nothing else.`,
    );
  }
  const signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";");
  if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256" || !query.get("X-Amz-Signature")) {
    throw refuse(`the proof carries no SigV4 presigned signature. ${SIGN_AGAIN}`);
  }
  if (!signedHeaders.includes(AUDIENCE_HEADER)) {
    throw refuse(
      `the proof's signature must cover the header ${AUDIENCE_HEADER}: ${settings.audience} (GET /auth says how).`,
    );
  }
  const signedAt = amzDateOf(query.get("X-Amz-Date") ?? "");
  const expires = Number(query.get("X-Amz-Expires"));
  if (!Number.isInteger(expires) || expires < 1 || expires > PROOF_MAX_AGE_SECONDS) {
    throw refuse(`the proof's X-Amz-Expires must be 1 to ${PROOF_MAX_AGE_SECONDS} seconds.`);
  }
  const ageSeconds = (now.getTime() - signedAt.getTime()) / 1000;
  if (ageSeconds > Math.min(expires, PROOF_MAX_AGE_SECONDS)) {
    throw refuse(
      `the proof was signed at ${signedAt.toISOString()}, ${Math.round(ageSeconds / 60)} minutes ago; a proof is good for ${Math.round(expires / 60)} minutes. ${SIGN_AGAIN}`,
    );
  }
  if (ageSeconds < -FUTURE_SKEW_SECONDS) {
    throw refuse(
      `the proof is signed at ${signedAt.toISOString()}, in the future: set your clock right and sign again.`,
    );
  }
  return {
    url: url.toString(),
    expiresAt: new Date(signedAt.getTime() + Math.min(expires, PROOF_MAX_AGE_SECONDS) * 1000),
  };
};

const amzDateOf = (text: string): Date => {
  const match = AMZ_DATE.exec(text);
  if (!match) throw refuse(`the proof's X-Amz-Date is not a time like 20261207T120000Z.`);
  const [, y, mo, d, h, mi, s] = match;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  // Date reads month 13 as no time at all, and 30 February as 2 March: neither is a signing time.
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) {
    throw refuse(`the proof's X-Amz-Date is not a time like 20261207T120000Z.`);
  }
  return date;
};

/** Who STS says signed a proof. */
export interface VerifiedPrincipal {
  accountId: string;
  /** arn:aws:iam::<account>:user/…, arn:aws:sts::<account>:assumed-role/<role>/<session>, …:root */
  arn: string;
}

/**
 * Whether a principal is one of the admins named in the configuration (ADMIN_PRINCIPALS): a user
 * or the root by its exact ARN, a role's sessions by the role's ARN (GetCallerIdentity names an
 * assumed role without its path: arn:aws:iam::A:role/ops/Admin matches assumed-role/Admin/*).
 */
export const isAdminPrincipal = (principalArn: string, admins: readonly string[]): boolean => {
  if (admins.includes(principalArn)) return true;
  const assumed = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+$/.exec(
    principalArn,
  );
  if (!assumed) return false;
  const [, partition, account, role] = assumed;
  return admins.some((admin) => {
    const named = /^arn:([\w-]+):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(admin);
    return named !== null && named[1] === partition && named[2] === account && named[3] === role;
  });
};
