// Callers of a local stack's API as the tests make them: an account proves who it is with a
// GetCallerIdentity presigned with its local keys (the way a real caller signs with its own AWS
// credentials), fetched from the local cloud that made them.
import { localCredentialsFor } from "../../local/cloud/local-credentials.js";
import { proofSigner, type Signer } from "../../scripts/cli/proof.js";

export type { Signer };

/** A caller that signs as `accountId`'s local IAM user. */
export const signedAs = (stack: { api: string; cloudUrl: string }, accountId: string): Signer =>
  proofSigner(stack.api, localCredentialsFor(stack.cloudUrl, accountId));
