// Callers of a local stack's API as the tests make them: an account proves who it is with a
// GetCallerIdentity presigned with its local keys (the way a real caller signs with its own AWS
// credentials), fetched from the local cloud that made them.
import { localCredentialsFor } from "../../local/cloud/local-credentials.js";
import { proofSigner, type Signer } from "../../scripts/cli/proof.js";

export type { Signer };

/** A caller that signs as `accountId`'s local IAM user. */
export const signedAs = (stack: { api: string; cloudUrl: string }, accountId: string): Signer =>
  proofSigner(stack.api, localCredentialsFor(stack.cloudUrl, accountId));

/**
 * The environment of a shell after `eval "$(npm run -s cloud-env -- <accountId>)"`, pointed at the
 * stack's API: the AWS credential chain (the CLI's) finds the account's local keys there and no
 * other identity, since a session token or a profile left over would be sent along or win.
 */
export const shellSignedAs = async (
  stack: { api: string; cloudUrl: string },
  accountId: string,
): Promise<NodeJS.ProcessEnv> => {
  const { accessKeyId, secretAccessKey } = await localCredentialsFor(stack.cloudUrl, accountId)();
  const { AWS_PROFILE: _profile, ...inherited } = process.env;
  return {
    ...inherited,
    SNAPRELAY_API_URL: stack.api,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_SESSION_TOKEN: "",
  };
};
