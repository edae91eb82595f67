// Who signed a proof, as STS answers it: the STS verifier against the local cloud, which checks
// presigned SigV4 as AWS does. A proof made with an account's own keys names that account's user,
// one made with a role session's keys the assumed role; one signed wrongly, or for another
// audience, is refused with STS's reason; an STS that cannot be reached is a 503 to retry, never a
// refusal; and a proof STS vouched for is not sent again.
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RememberedProofs,
  StsIdentityVerifier,
} from "../../functions/adapters/sts/caller-identity.js";
import {
  type CheckedProof,
  checkProof,
  isAdminPrincipal,
  type ProofSettings,
  recipeOf,
} from "../../functions/core/caller-proof.js";
import type { IdentityVerifier } from "../../functions/core/ports.js";
import { makeProof } from "../../scripts/cli/proof.js";
import { freePort } from "../support/free-port.js";
import { type CloudUnderTest, startCloud } from "../support/services.js";

const AUDIENCE = "snaprelay-test";
const ACCOUNT = "111122223333";
const OTHER_ACCOUNT = "444455556666";

let cloud: CloudUnderTest;
let settings: ProofSettings;

beforeAll(async () => {
  cloud = await startCloud();
  settings = { stsEndpoints: [cloud.cloud.url], audience: AUDIENCE };
});
afterAll(async () => {
  await cloud?.close();
});

/** A proof signed now with `credentials`, for `audience`, checked as the authorizer checks it. */
const aProof = async (
  credentials: AwsCredentialIdentity,
  audience = AUDIENCE,
): Promise<CheckedProof> => {
  const header = await makeProof(recipeOf({ ...settings, audience }), credentials);
  return checkProof(header.split(" ")[1] ?? "", settings, new Date());
};

/** Counts the proofs it is asked about, and asks the verifier it wraps. */
class CountingVerifier implements IdentityVerifier {
  calls = 0;
  constructor(private readonly inner: IdentityVerifier) {}
  whoSigned(proof: CheckedProof) {
    this.calls++;
    return this.inner.whoSigned(proof);
  }
}

describe("the STS verifier", () => {
  it("answers the account and local user whose keys signed the proof", async () => {
    // Prepare
    const verifier = new StsIdentityVerifier(AUDIENCE);

    // Act
    const ours = await verifier.whoSigned(await aProof(cloud.cloud.credentialsFor(ACCOUNT)));
    const theirs = await verifier.whoSigned(
      await aProof(cloud.cloud.credentialsFor(OTHER_ACCOUNT)),
    );

    // Assess
    expect(ours).toEqual({ accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/local` });
    expect(theirs).toEqual({
      accountId: OTHER_ACCOUNT,
      arn: `arn:aws:iam::${OTHER_ACCOUNT}:user/local`,
    });
  });

  it("answers a role session's assumed-role ARN for a proof signed with its temporary keys", async () => {
    // Prepare: the default account's user assumes an admin role of the other account
    await cloud.cloud.createRole({ accountId: OTHER_ACCOUNT, roleName: "Admin" });
    const sts = new STSClient({
      region: "us-east-1",
      endpoint: cloud.cloud.url,
      credentials: cloud.cloud.credentialsFor(cloud.cloud.defaultAccountId),
    });
    const { Credentials: keys } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/Admin`,
        RoleSessionName: "alice",
      }),
    );
    sts.destroy();
    const verifier = new StsIdentityVerifier(AUDIENCE);

    // Act
    const principal = await verifier.whoSigned(
      await aProof({
        accessKeyId: keys?.AccessKeyId ?? "",
        secretAccessKey: keys?.SecretAccessKey ?? "",
        sessionToken: keys?.SessionToken ?? "",
      }),
    );

    // Assess
    expect(principal).toEqual({
      accountId: OTHER_ACCOUNT,
      arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/Admin/alice`,
    });
    expect(isAdminPrincipal(principal.arn, [`arn:aws:iam::${OTHER_ACCOUNT}:role/ops/Admin`])).toBe(
      true,
    );
  });

  it("refuses a proof signed with a wrong secret, with STS's SignatureDoesNotMatch and what to do", async () => {
    // Prepare
    const verifier = new StsIdentityVerifier(AUDIENCE);
    const { accessKeyId } = cloud.cloud.credentialsFor(ACCOUNT);
    const forged = await aProof({ accessKeyId, secretAccessKey: "guessed-wrong" });

    // Act
    const asking = verifier.whoSigned(forged);

    // Assess
    await expect(asking).rejects.toMatchObject({
      code: "Unauthorized",
      message: expect.stringMatching(
        /^Authorization refused: STS refused the proof \(SignatureDoesNotMatch: .*\)\. The signature does not hold: sign with your own credentials/,
      ),
    });
  });

  it("refuses a proof made for another audience: the header it is sent with is not the one signed", async () => {
    // Prepare
    const verifier = new StsIdentityVerifier(AUDIENCE);
    const elsewhere = await aProof(cloud.cloud.credentialsFor(ACCOUNT), "another-service");

    // Act
    const asking = verifier.whoSigned(elsewhere);

    // Assess
    await expect(asking).rejects.toMatchObject({
      code: "Unauthorized",
      message: expect.stringContaining("SignatureDoesNotMatch"),
    });
  });

  it("refuses a proof this deployment would take when another audience is the verifier's", async () => {
    // Prepare
    const verifier = new StsIdentityVerifier("snaprelay-other-stage");
    const proof = await aProof(cloud.cloud.credentialsFor(ACCOUNT));

    // Act
    const asking = verifier.whoSigned(proof);

    // Assess
    await expect(asking).rejects.toMatchObject({
      code: "Unauthorized",
      message: expect.stringContaining("SignatureDoesNotMatch"),
    });
  });

  it("answers IdentityUnavailable, to retry, when STS cannot be reached", async () => {
    // Prepare: a port nothing listens on
    const port = await freePort();
    const unreachable = `http://127.0.0.1:${port}`;
    const proof = checkProof(
      (
        await makeProof(
          recipeOf({ stsEndpoints: [unreachable], audience: AUDIENCE }),
          cloud.cloud.credentialsFor(ACCOUNT),
        )
      ).split(" ")[1] ?? "",
      { stsEndpoints: [unreachable], audience: AUDIENCE },
      new Date(),
    );

    // Act
    const asking = new StsIdentityVerifier(AUDIENCE).whoSigned(proof);

    // Assess
    await expect(asking).rejects.toMatchObject({
      code: "IdentityUnavailable",
      retryAfterSeconds: 5,
      message: expect.stringContaining("try again shortly"),
    });
  });
});

describe("remembered proofs", () => {
  it("ask STS once for the same proof, and again for another", async () => {
    // Prepare
    const counting = new CountingVerifier(new StsIdentityVerifier(AUDIENCE));
    const verifier = new RememberedProofs(counting);
    const proof = await aProof(cloud.cloud.credentialsFor(ACCOUNT));
    const another = await aProof(cloud.cloud.credentialsFor(OTHER_ACCOUNT));

    // Act
    const answers = [
      await verifier.whoSigned(proof),
      await verifier.whoSigned(proof),
      await verifier.whoSigned(proof),
      await verifier.whoSigned(another),
    ];

    // Assess
    expect(answers.map((answer) => answer.accountId)).toEqual([
      ACCOUNT,
      ACCOUNT,
      ACCOUNT,
      OTHER_ACCOUNT,
    ]);
    expect(counting.calls).toBe(2);
  });

  it("ask STS again once the proof has expired", async () => {
    // Prepare
    let now = new Date();
    const counting = new CountingVerifier(new StsIdentityVerifier(AUDIENCE));
    const verifier = new RememberedProofs(counting, () => now);
    const proof = await aProof(cloud.cloud.credentialsFor(ACCOUNT));
    await verifier.whoSigned(proof);

    // Act: by the verifier's clock, past the proof's end (STS, by its own, still takes it)
    now = new Date(proof.expiresAt.getTime() + 1000);
    const asking = verifier.whoSigned(proof);

    // Assess
    await expect(asking).resolves.toMatchObject({ accountId: ACCOUNT });
    expect(counting.calls).toBe(2);
  });

  it("do not remember a refusal: a proof STS refused is asked about again", async () => {
    // Prepare
    const counting = new CountingVerifier(new StsIdentityVerifier(AUDIENCE));
    const verifier = new RememberedProofs(counting);
    const { accessKeyId } = cloud.cloud.credentialsFor(ACCOUNT);
    const forged = await aProof({ accessKeyId, secretAccessKey: "guessed-wrong" });

    // Act
    const first = verifier.whoSigned(forged);
    await expect(first).rejects.toMatchObject({ code: "Unauthorized" });
    const second = verifier.whoSigned(forged);

    // Assess
    await expect(second).rejects.toMatchObject({ code: "Unauthorized" });
    expect(counting.calls).toBe(2);
  });
});
