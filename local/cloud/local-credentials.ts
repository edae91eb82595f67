// An account's local keys as a client of a running local cloud gets them, knowing only its URL:
// an AWS SDK credentials provider that asks the cloud's admin route once (again after a failure).
import type { LocalCredentials } from "./auth/local-keys.js";

export type LocalCredentialsProvider = () => Promise<LocalCredentials>;

export function localCredentialsFor(cloudUrl: string, accountId: string): LocalCredentialsProvider {
  let asked: Promise<LocalCredentials> | undefined;
  return () => {
    asked ??= fetchCredentials(cloudUrl, accountId).catch((error: unknown) => {
      asked = undefined;
      throw error;
    });
    return asked;
  };
}

async function fetchCredentials(cloudUrl: string, accountId: string): Promise<LocalCredentials> {
  const url = `${cloudUrl.replace(/\/+$/, "")}/_admin/credentials?account=${encodeURIComponent(accountId)}`;
  const response = await fetch(url);
  const answer = (await response.json()) as Partial<LocalCredentials> & { error?: unknown };
  if (!response.ok || !answer.accessKeyId || !answer.secretAccessKey) {
    throw new Error(`The local cloud gave no keys for ${accountId}: ${JSON.stringify(answer)}`);
  }
  return { accountId, accessKeyId: answer.accessKeyId, secretAccessKey: answer.secretAccessKey };
}
