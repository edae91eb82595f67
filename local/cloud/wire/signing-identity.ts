// The names a request's SigV4 signature carries: account ids and region names (both also name
// folders in the data dir), the local keys' access key ids, and the service a credential scope
// `<access key id>/<date>/<region>/<service>/aws4_request` names, read unverified for routing only
// (auth/sigv4.ts verifies the signature, scope included, before anything acts on a request).
import type { IncomingHttpHeaders } from "node:http";

// Region names also name folders in the data dir: nothing that could climb out of it passes.
export const REGION_NAME = /^[a-z0-9][a-z0-9-]*$/;
// Account ids name folders too.
export const ACCOUNT_ID = /^\d{12}$/;
// An account's long-term local key names its account, as AWS's would if it carried one.
const LOCAL_ACCESS_KEY = /^AKIA(\d{12})LOCL$/;

const CREDENTIAL_IN_HEADER = /Credential=([^,\s]+)/;

/** The service the request's credential scope names (Authorization header or X-Amz-Credential). */
export function scopedService(headers: IncomingHttpHeaders, query: URLSearchParams): string {
  const credential =
    CREDENTIAL_IN_HEADER.exec(headers.authorization ?? "")?.[1] ??
    query.get("X-Amz-Credential") ??
    "";
  return credential.split("/")[3] ?? "";
}

/** The long-term access key id of `accountId`'s local keys: `AKIA<account>LOCL`. */
export function localAccessKeyFor(accountId: string): string {
  if (!ACCOUNT_ID.test(accountId)) {
    throw new RangeError(`An account id is 12 digits, not '${accountId}'.`);
  }
  return `AKIA${accountId}LOCL`;
}

/** The account whose long-term local key this is, if it is one. */
export function accountOfLocalAccessKey(accessKeyId: string): string | undefined {
  return LOCAL_ACCESS_KEY.exec(accessKeyId)?.[1];
}
