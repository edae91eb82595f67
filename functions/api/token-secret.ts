// The secret that signs API tokens, read from SSM Parameter Store (a SecureString, decrypted)
// through Powertools Parameters: fetched by a cold start's first request and cached for five
// minutes, so a rotated secret is taken up within five minutes, with no deploy. Locally the stack
// puts the same parameter in the local cloud's Parameter Store.
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { SSMClient } from "@aws-sdk/client-ssm";
import { instrumented } from "../tracing.js";

export const TOKEN_SECRET_CACHE_SECONDS = 300;
const MIN_SECRET_LENGTH = 32;

/** Reads the secret, at most every TOKEN_SECRET_CACHE_SECONDS; says what is wrong if it cannot. */
export const tokenSecretFrom = (
  parameterName: string,
  provider = new SSMProvider({ awsSdkV3Client: instrumented(new SSMClient({})) }),
) => {
  return async (): Promise<string> => {
    let value: unknown;
    try {
      value = await provider.get(parameterName, {
        decrypt: true,
        maxAge: TOKEN_SECRET_CACHE_SECONDS,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Cannot read the API token secret from SSM parameter ${parameterName} (${reason}). Create it as a SecureString of at least ${MIN_SECRET_LENGTH} characters (README, Deploying to AWS), and let the authorizer's role read it.`,
      );
    }
    if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) {
      throw new Error(
        `The API token secret in SSM parameter ${parameterName} is shorter than ${MIN_SECRET_LENGTH} characters; put a longer one.`,
      );
    }
    return value;
  };
};
