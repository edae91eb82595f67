// Finds the region a request is meant for. With a custom endpoint EC2 clients carry it only in
// the SigV4 credential scope `<key>/<date>/<region>/<service>/aws4_request`; signatures are not checked.

import { Ec2Error } from "./errors.js";
import type { QueryParams } from "./query-params.js";

const CREDENTIAL_IN_HEADER = /Credential=([^,\s]+)/;
// Region names also name folders in the data dir: nothing that could climb out of it passes.
export const REGION_NAME = /^[a-z0-9][a-z0-9-]*$/;

export function signingRegion(authorization: string | undefined, params: QueryParams): string {
  const credential =
    (authorization && CREDENTIAL_IN_HEADER.exec(authorization)?.[1]) ||
    params.optional("X-Amz-Credential");
  if (!credential) {
    throw new Ec2Error(
      "MissingAuthenticationToken",
      "The request is not signed: the local cloud takes the region from the SigV4 credential scope " +
        "(Authorization header or X-Amz-Credential), so sign requests as an AWS SDK or the AWS CLI does, with any credentials.",
      401,
    );
  }
  const region = credential.split("/")[2];
  if (!region || !REGION_NAME.test(region)) {
    throw new Ec2Error(
      "AuthFailure",
      `The credential scope '${credential}' does not name a region (expected <key>/<date>/<region>/ec2/aws4_request).`,
      401,
    );
  }
  return region;
}
