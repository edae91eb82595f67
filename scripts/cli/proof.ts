// Making a proof of identity as GET /auth describes it: sts:GetCallerIdentity, presigned (SigV4)
// with the caller's AWS credentials and covering the API's audience header. The CLI signs with the
// standard credential chain (environment, profiles, SSO); the local stack's tools and tests with an
// account's local keys. A proof is made again once it is ten minutes old, before it runs out.
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { HttpRequest } from "@smithy/core/protocols";
import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import { type ProofRecipe, proofHeader, STS_VERSION } from "../../functions/core/caller-proof.js";

const REMAKE_AFTER_MS = 10 * 60 * 1000;

/** The recipe the API publishes (GET /auth, no credentials needed). */
export const fetchRecipe = async (apiUrl: string): Promise<ProofRecipe> => {
  const url = `${apiUrl.replace(/\/+$/, "")}/auth`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as ProofRecipe;
};

/** An `Authorization` header value proving who holds `credentials`, signed at `signingDate`. */
export const makeProof = async (
  recipe: ProofRecipe,
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  signingDate: Date = new Date(),
): Promise<string> => {
  const endpoint = new URL(recipe.stsEndpoint);
  const signer = new SignatureV4({
    service: "sts",
    region: recipe.signingRegion,
    credentials,
    sha256: Hash.bind(null, "sha256"),
  });
  const request = new HttpRequest({
    method: "GET",
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
    path: "/",
    query: { Action: "GetCallerIdentity", Version: STS_VERSION },
    headers: { host: endpoint.host, [recipe.audienceHeader]: recipe.audience },
  });
  const signed = await signer.presign(request, {
    expiresIn: recipe.maxAgeSeconds,
    signingDate,
  });
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(signed.query ?? {})) {
    for (const one of Array.isArray(value) ? value : [value])
      if (one != null) query.append(name, one);
  }
  return proofHeader(`${endpoint.origin}/?${query.toString()}`);
};

/** Who the API should think is calling: an Authorization header, made afresh when needed. */
export interface Signer {
  authorization(): Promise<string>;
}

/** Proofs for `apiUrl` from `credentials`: one made, then kept for ten minutes. */
export const proofSigner = (
  apiUrl: string,
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
): Signer => {
  let recipe: Promise<ProofRecipe> | undefined;
  let made: { header: string; at: number } | undefined;
  return {
    async authorization() {
      if (made && Date.now() - made.at < REMAKE_AFTER_MS) return made.header;
      recipe ??= fetchRecipe(apiUrl).catch((error: unknown) => {
        recipe = undefined;
        throw error;
      });
      const now = new Date();
      made = { header: await makeProof(await recipe, credentials, now), at: now.getTime() };
      return made.header;
    },
  };
};

/** A console address signed in as the signer: a new session, in the address's fragment. */
export const consoleLink = async (
  apiUrl: string,
  signer: Signer,
  durationSeconds?: number,
): Promise<{ url: string; accountId: string; principalArn: string; expiresAt: string }> => {
  const base = apiUrl.replace(/\/+$/, "");
  const response = await fetch(`${base}/sessions`, {
    method: "POST",
    headers: { authorization: await signer.authorization(), "content-type": "application/json" },
    body: JSON.stringify(durationSeconds === undefined ? {} : { durationSeconds }),
  });
  const body = (await response.json()) as {
    sessionToken?: string;
    accountId?: string;
    principalArn?: string;
    expiresAt?: string;
    error?: { code?: string; message?: string };
  };
  if (response.status !== 201 || !body.sessionToken) {
    throw new Error(
      `POST /sessions answered ${response.status}: ${body.error?.code ?? ""} ${body.error?.message ?? ""}`.trim(),
    );
  }
  // A fragment never reaches a server or its logs; the page takes it and drops it from the address.
  return {
    url: `${base}/console#session=${body.sessionToken}`,
    accountId: String(body.accountId),
    principalArn: String(body.principalArn),
    expiresAt: String(body.expiresAt),
  };
};
