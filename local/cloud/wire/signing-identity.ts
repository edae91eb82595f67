// Who a request comes from and what it is meant for, read from its SigV4 credential scope
// `<access key id>/<date>/<region>/<service>/aws4_request`; signatures are not checked.
import type { QueryParams } from "./query-params.js";

export interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

const CREDENTIAL_IN_HEADER = /Credential=([^,\s]+)/;
// An access key names its account as AWS's would if it carried one: AKIA (long-term) or ASIA
// (temporary, as the local STS issues them), the 12-digit account, then 4 characters.
const ACCESS_KEY_OF_ACCOUNT = /^(?:AKIA|ASIA)(\d{12})[A-Z0-9]{4}$/;
// Region names also name folders in the data dir: nothing that could climb out of it passes.
export const REGION_NAME = /^[a-z0-9][a-z0-9-]*$/;
// Account ids name folders too.
export const ACCOUNT_ID = /^\d{12}$/;

/** The request's credential scope (Authorization header or X-Amz-Credential), if it is signed. */
export function credentialScope(
  authorization: string | undefined,
  params: QueryParams,
): CredentialScope | undefined {
  const credential =
    (authorization && CREDENTIAL_IN_HEADER.exec(authorization)?.[1]) ||
    params.optional("X-Amz-Credential");
  if (!credential) return undefined;
  const [accessKeyId = "", , region = "", service = ""] = credential.split("/");
  return { accessKeyId, region, service };
}

/** The account a key acts in: the one it names (see ACCESS_KEY_OF_ACCOUNT), else the default. */
export function accountOfAccessKey(accessKeyId: string, defaultAccount: string): string {
  return ACCESS_KEY_OF_ACCOUNT.exec(accessKeyId)?.[1] ?? defaultAccount;
}

/** A static access key id that acts in `accountId`: `AKIA<account>LOCL`. */
export function localAccessKeyFor(accountId: string): string {
  if (!ACCOUNT_ID.test(accountId)) {
    throw new RangeError(`An account id is 12 digits, not '${accountId}'.`);
  }
  return `AKIA${accountId}LOCL`;
}
