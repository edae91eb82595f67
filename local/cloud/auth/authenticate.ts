// Every request's signature is checked before a service of the cloud acts on it, and a refusal is
// answered in the calling service's own words: each AWS service names the same failure its own way.
import { WireError } from "../../wire-error.js";
import {
  type Caller,
  type FindKey,
  type ReceivedRequest,
  type RefusalReason,
  SignatureRefusal,
  verifySignature,
} from "./sigv4.js";

/** The services on the cloud's port, by the names their requests are signed for. */
export type SigningService = "ec2" | "sts" | "ssm";

/** The caller of a request signed for `service`, or the WireError that service answers. */
export type Authenticate = (request: ReceivedRequest, service: SigningService) => Promise<Caller>;

interface Refusal {
  code: string;
  status: number;
  /** AWS's own words, before the cloud's detail; none where AWS's message is the detail. */
  lead: string;
}

const INVALID_TOKEN = "The security token included in the request is invalid.";
const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const EXPIRED_TOKEN = "The security token included in the request is expired.";
const MISSING_TOKEN = "Request is missing Authentication Token.";
const EC2_AUTH_FAILURE = "AWS was not able to validate the provided access credentials.";
const EC2_EXPIRED = "Request has expired.";

// EC2 (its own Query protocol) answers an unknown key and a wrong signature alike, AuthFailure 401,
// and anything late, an expired session included, RequestExpired. STS (awsQuery) answers 403s with
// the IAM-style names; SSM (JSON 1.1) the JSON services' *Exception names, with 400.
const REFUSALS: Record<SigningService, Record<RefusalReason, Refusal>> = {
  ec2: {
    missing: {
      code: "MissingAuthenticationToken",
      status: 401,
      lead: "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.",
    },
    incomplete: {
      code: "IncompleteSignature",
      status: 400,
      lead: "The request signature does not conform to AWS standards.",
    },
    unknownKey: { code: "AuthFailure", status: 401, lead: EC2_AUTH_FAILURE },
    badSignature: { code: "AuthFailure", status: 401, lead: EC2_AUTH_FAILURE },
    requestExpired: { code: "RequestExpired", status: 400, lead: EC2_EXPIRED },
    tokenExpired: { code: "RequestExpired", status: 400, lead: EC2_EXPIRED },
  },
  sts: {
    missing: { code: "MissingAuthenticationToken", status: 403, lead: MISSING_TOKEN },
    incomplete: { code: "IncompleteSignature", status: 400, lead: "" },
    unknownKey: { code: "InvalidClientTokenId", status: 403, lead: INVALID_TOKEN },
    badSignature: { code: "SignatureDoesNotMatch", status: 403, lead: SIGNATURE_MISMATCH },
    requestExpired: { code: "SignatureDoesNotMatch", status: 403, lead: "" },
    tokenExpired: { code: "ExpiredToken", status: 403, lead: EXPIRED_TOKEN },
  },
  ssm: {
    missing: { code: "MissingAuthenticationTokenException", status: 400, lead: MISSING_TOKEN },
    incomplete: { code: "IncompleteSignatureException", status: 400, lead: "" },
    unknownKey: { code: "UnrecognizedClientException", status: 400, lead: INVALID_TOKEN },
    badSignature: { code: "InvalidSignatureException", status: 400, lead: SIGNATURE_MISMATCH },
    requestExpired: { code: "InvalidSignatureException", status: 400, lead: "" },
    tokenExpired: { code: "ExpiredTokenException", status: 400, lead: EXPIRED_TOKEN },
  },
};

const SIGN_WITH_LOCAL_KEYS =
  "Sign with the account's local keys: `npm run -s cloud-env -- <account id>` prints them as AWS_* variables, GET /_admin/credentials?account=<account id> answers them as JSON.";

// What the caller can do about it.
const REMEDIES: Record<RefusalReason, string> = {
  missing: SIGN_WITH_LOCAL_KEYS,
  incomplete: `Sign as the AWS SDKs and CLI do (SigV4). ${SIGN_WITH_LOCAL_KEYS}`,
  unknownKey: SIGN_WITH_LOCAL_KEYS,
  badSignature: SIGN_WITH_LOCAL_KEYS,
  requestExpired:
    "Sign each request when it is sent, by a clock within 15 minutes of the cloud's; presign URLs for as long as they are used.",
  tokenExpired: "Call AssumeRole again for new credentials.",
};

export function authenticator(findKey: FindKey, now: () => Date = () => new Date()): Authenticate {
  return async (request, service) => {
    try {
      return await verifySignature(request, service, findKey, now());
    } catch (error) {
      if (!(error instanceof SignatureRefusal)) throw error;
      const { code, status, lead } = REFUSALS[service][error.reason];
      const message = [lead, error.message, REMEDIES[error.reason]].filter(Boolean).join(" ");
      throw new WireError(code, message, status);
    }
  };
}
