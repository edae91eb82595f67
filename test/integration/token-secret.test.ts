// The authorizer's token secret comes from SSM Parameter Store through Powertools Parameters; here
// from the local cloud's Parameter Store, which speaks SSM's own protocol to the same code.
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { GetParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { tokenSecretFrom } from "../../functions/api/token-secret.js";
import type { LocalCloud } from "../../local/cloud/index.js";
import { useLocalCloud } from "../support/local-cloud-harness.js";

const cloud = useLocalCloud();
const NAME = "/snaprelay/test/token-secret";
const SECRET = "a-secret-long-enough-to-sign-tokens-0123456789";

const ssmOf = (running: LocalCloud) =>
  new SSMClient({
    region: "us-east-1",
    endpoint: running.url,
    credentials: running.credentialsFor(running.defaultAccountId),
  });

describe("the token secret", () => {
  it("is read decrypted from the SecureString parameter the deployment made", async () => {
    // Prepare
    const ssm = ssmOf(await cloud.start());
    await ssm.send(new PutParameterCommand({ Name: NAME, Value: SECRET, Type: "SecureString" }));
    const secret = tokenSecretFrom(NAME, new SSMProvider({ awsSdkV3Client: ssm }));

    // Act
    const read = await secret();

    // Assess
    expect(read).toBe(SECRET);
    ssm.destroy();
  });

  it("is cached: a second read within five minutes asks SSM nothing", async () => {
    // Prepare
    const running = await cloud.start();
    running.putParameter({ name: NAME, value: SECRET, type: "SecureString", region: "us-east-1" });
    const ssm = ssmOf(running);
    let calls = 0;
    ssm.middlewareStack.add(
      (next) => async (args) => {
        calls += 1;
        return next(args);
      },
      { step: "initialize" },
    );
    const secret = tokenSecretFrom(NAME, new SSMProvider({ awsSdkV3Client: ssm }));

    // Act
    await secret();
    await secret();

    // Assess
    expect(calls).toBe(1);
    ssm.destroy();
  });

  it("stays hidden from a caller that does not ask for it decrypted", async () => {
    const running = await cloud.start();
    running.putParameter({ name: NAME, value: SECRET, type: "SecureString", region: "us-east-1" });
    const ssm = ssmOf(running);

    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: NAME }));

    expect(Parameter?.Type).toBe("SecureString");
    expect(Parameter?.Value).not.toBe(SECRET);
    ssm.destroy();
  });

  it("says which parameter is missing and how to make it", async () => {
    const ssm = ssmOf(await cloud.start());
    const secret = tokenSecretFrom(NAME, new SSMProvider({ awsSdkV3Client: ssm }));

    const error = await secret().then(
      () => undefined,
      (thrown: Error) => thrown,
    );

    expect(error?.message).toContain(`SSM parameter ${NAME}`);
    expect(error?.message).toContain("Create it as a SecureString of at least 32 characters");
    ssm.destroy();
  });

  it("refuses a secret shorter than 32 characters", async () => {
    const running = await cloud.start();
    running.putParameter({
      name: NAME,
      value: "too-short",
      type: "SecureString",
      region: "us-east-1",
    });
    const ssm = ssmOf(running);
    const secret = tokenSecretFrom(NAME, new SSMProvider({ awsSdkV3Client: ssm }));

    await expect(secret()).rejects.toThrow("shorter than 32 characters");
    ssm.destroy();
  });
});
