// The local cloud checks every request's SigV4 signature as AWS does, on EC2, STS and SSM alike:
// a request acts as the account whose keys signed it, and one unsigned, changed after signing,
// signed with a wrong secret, too late, or with a temporary key past its expiry or without its
// session token is refused, with the code and status each service answers.
import { execFile } from "node:child_process";
import { request as httpRequest } from "node:http";
import { promisify } from "node:util";
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
} from "@aws-sdk/client-ec2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { HttpRequest } from "@smithy/core/protocols";
import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterEach, describe, expect, it, vi } from "vitest";
import { localCredentialsFor } from "../../local/cloud/index.js";
import { snapshotById, useLocalCloud, waitUntil } from "../support/local-cloud-harness.js";

const ACCOUNT_A = "111111111111";
const ACCOUNT_B = "222222222222";
const SHANGHAI = "ap-shanghai";
const STS_REGION = "us-east-1";
const MINUTE = 60_000;

const harness = useLocalCloud({});
const running = harness.running;

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const keysOf = (accountId: string): Keys => running().credentialsFor(accountId);

const run = promisify(execFile);

let clients: { destroy(): void }[] = [];
afterEach(() => {
  for (const client of clients) client.destroy();
  clients = [];
  vi.useRealTimers();
});

const sts = (credentials: Keys) => {
  const client = new STSClient({
    region: STS_REGION,
    endpoint: running().url,
    credentials,
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
};

const ssm = (credentials: Keys) => {
  const client = new SSMClient({
    region: STS_REGION,
    endpoint: running().url,
    credentials,
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
};

// One attempt: the SDK would otherwise correct its clock after a RequestExpired and try again.
const ec2 = (credentials: Keys) => harness.ec2(SHANGHAI, { credentials, maxAttempts: 1 });

/** What a call was refused with: the code the SDK read and the HTTP status. */
const refusalOf = async (call: Promise<unknown>) => {
  const error = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return { name: error?.name, status: error?.$metadata?.httpStatusCode, message: error?.message };
};

// Raw requests, for what no SDK client sends: no signature, a body changed after signing, a date
// of the past, a presigned URL.
interface RawAnswer {
  status: number;
  code: string;
  message: string;
  body: string;
}

type Service = "ec2" | "sts" | "ssm";

/** The request each service is called with here: DescribeSnapshots, GetCallerIdentity, GetParameter. */
function requestFor(service: Service, form: "body" | "query" = "body"): HttpRequest {
  const { port } = running();
  const host = `127.0.0.1:${port}`;
  if (service === "ssm") {
    return new HttpRequest({
      method: "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      port,
      path: "/",
      headers: {
        host,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonSSM.GetParameter",
      },
      body: JSON.stringify({ Name: "/snaprelay/test" }),
    });
  }
  const params: Record<string, string> =
    service === "ec2"
      ? { Action: "DescribeSnapshots", Version: "2016-11-15", "Owner.1": "self" }
      : { Action: "GetCallerIdentity", Version: "2011-06-15" };
  if (form === "query") {
    return new HttpRequest({
      method: "GET",
      protocol: "http:",
      hostname: "127.0.0.1",
      port,
      path: "/",
      query: params,
      headers: { host },
    });
  }
  return new HttpRequest({
    method: "POST",
    protocol: "http:",
    hostname: "127.0.0.1",
    port,
    path: "/",
    headers: { host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: new URLSearchParams(params).toString(),
  });
}

// Without x-amz-content-sha256 unless asked: a changed body must then fail the signature itself.
const signerFor = (service: Service, credentials: Keys, applyChecksum = false) =>
  new SignatureV4({
    service,
    region: service === "ec2" ? SHANGHAI : STS_REGION,
    credentials,
    sha256: Hash.bind(null, "sha256"),
    applyChecksum,
  });

const signed = (
  service: Service,
  credentials: Keys,
  options: { signingDate?: Date; request?: HttpRequest; applyChecksum?: boolean } = {},
) =>
  signerFor(service, credentials, options.applyChecksum).sign(
    options.request ?? requestFor(service),
    {
      signingDate: options.signingDate ?? new Date(),
    },
  ) as Promise<HttpRequest>;

const presigned = (
  service: "ec2" | "sts",
  credentials: Keys,
  options: { signingDate?: Date; expiresIn: number },
) =>
  signerFor(service, credentials).presign(requestFor(service, "query"), {
    signingDate: options.signingDate ?? new Date(),
    expiresIn: options.expiresIn,
  });

/** A request as signed or presigned, to send as it is. */
interface Outgoing {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

function send(request: Outgoing): Promise<RawAnswer> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const one of [value ?? ""].flat()) query.append(name, one);
  }
  const search = query.size > 0 ? `?${query.toString().replaceAll("+", "%20")}` : "";
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `http://127.0.0.1:${running().port}${request.path}${search}`,
      { method: request.method, headers: request.headers },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on("end", () => {
          const code =
            /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? /"__type":"([^"]*)"/.exec(body)?.[1];
          const message =
            /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? /"message":"([^"]*)"/.exec(body)?.[1];
          resolve({
            status: response.statusCode ?? 0,
            code: code ?? "",
            message: unescapeXml(message ?? ""),
            body,
          });
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(typeof request.body === "string" ? request.body : undefined);
  });
}

const XML_ENTITIES: Record<string, string> = {
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
  "&amp;": "&",
};

const unescapeXml = (text: string) =>
  text.replace(/&(?:lt|gt|quot|apos|amp);/g, (entity) => XML_ENTITIES[entity] ?? entity);

async function completedSnapshotOf(credentials: Keys): Promise<string> {
  const client = ec2(credentials);
  const { VolumeId } = await client.send(
    new CreateVolumeCommand({ AvailabilityZone: `${SHANGHAI}a`, Size: 8 }),
  );
  const { SnapshotId = "" } = await client.send(new CreateSnapshotCommand({ VolumeId }));
  await waitUntil(async () =>
    (await snapshotById(client, SnapshotId)).State === "completed" ? true : undefined,
  );
  return SnapshotId;
}

describe("the local cloud's signatures", { timeout: 30_000 }, () => {
  it("acts as the account whose keys signed a request: B's keys are B in GetCallerIdentity, and B sees none of A's snapshots", async () => {
    // Prepare
    await harness.start();
    const snapshotOfA = await completedSnapshotOf(keysOf(ACCOUNT_A));

    // Act
    const identity = await sts(keysOf(ACCOUNT_B)).send(new GetCallerIdentityCommand({}));
    const listedByB = await ec2(keysOf(ACCOUNT_B)).send(new DescribeSnapshotsCommand({}));
    const lookedUpByB = refusalOf(
      ec2(keysOf(ACCOUNT_B)).send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotOfA] })),
    );

    // Assess
    expect(identity).toMatchObject({
      Account: ACCOUNT_B,
      Arn: `arn:aws:iam::${ACCOUNT_B}:user/local`,
      UserId: `AIDA${ACCOUNT_B}LOCAL`,
    });
    expect(listedByB.Snapshots).toEqual([]);
    expect(await lookedUpByB).toMatchObject({ name: "InvalidSnapshot.NotFound", status: 400 });
    expect((await snapshotById(ec2(keysOf(ACCOUNT_A)), snapshotOfA)).OwnerId).toBe(ACCOUNT_A);
  });

  it("gives each account its AKIA<account>LOCL key with a secret of its own, the same after a restart and from the admin route", async () => {
    // Prepare
    const first = await harness.start();
    const before = first.credentialsFor(ACCOUNT_A);
    const ofB = first.credentialsFor(ACCOUNT_B);
    await first.close();

    // Act
    const second = await harness.start();
    const after = second.credentialsFor(ACCOUNT_A);
    const fromAdminRoute = await localCredentialsFor(second.url, ACCOUNT_A)();

    // Assess
    expect(before).toEqual({
      accountId: ACCOUNT_A,
      accessKeyId: `AKIA${ACCOUNT_A}LOCL`,
      secretAccessKey: expect.stringMatching(/^[A-Za-z0-9+/]{40}$/),
    });
    expect(ofB.secretAccessKey).not.toBe(before.secretAccessKey);
    expect(after).toEqual(before);
    expect(fromAdminRoute).toEqual(before);
  });

  it("prints an account's keys from the admin CLI, as JSON and as shell lines that let an SDK client act as the account", async () => {
    // Prepare
    await harness.start();
    const admin = `${JSON.stringify(process.execPath)} --import tsx local/cloud/admin.ts`;
    const endpoint = `--endpoint ${running().url}`;
    // The shell a developer pastes into may hold other credentials: they must not win.
    const shell = {
      ...process.env,
      AWS_ACCESS_KEY_ID: "AKIAOTHERKEY",
      AWS_SESSION_TOKEN: "stale",
      AWS_PROFILE: "elsewhere",
    };
    const callerScript = [
      'import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";',
      'const identity = await new STSClient({ region: "us-east-1" }).send(new GetCallerIdentityCommand({}));',
      "console.log(identity.Arn);",
    ].join(" ");

    // Act
    const json = await run(process.execPath, [
      "--import",
      "tsx",
      "local/cloud/admin.ts",
      "credentials",
      "--account",
      ACCOUNT_B,
      "--endpoint",
      running().url,
    ]);
    const asB = await run(
      "bash",
      [
        "-c",
        `eval "$(${admin} env ${ACCOUNT_B} ${endpoint})" && ${JSON.stringify(process.execPath)} --input-type=module -e '${callerScript}'`,
      ],
      { env: shell },
    );

    // Assess
    expect(JSON.parse(json.stdout)).toEqual(keysOf(ACCOUNT_B));
    expect(asB.stdout.trim()).toBe(`arn:aws:iam::${ACCOUNT_B}:user/local`);
  });

  it("refuses an unsigned request as each service does: EC2 401, STS 403, SSM 400, MissingAuthenticationToken", async () => {
    // Prepare
    await harness.start();
    const requestsBefore = running().stats().requests;

    // Act
    const [toEc2, toSts, toSsm] = await Promise.all(
      (["ec2", "sts", "ssm"] as const).map((service) => send(requestFor(service))),
    );

    // Assess
    expect(toEc2).toMatchObject({ status: 401, code: "MissingAuthenticationToken" });
    expect(toEc2?.message).toContain("npm run -s cloud-env -- <account id>");
    expect(toSts).toMatchObject({ status: 403, code: "MissingAuthenticationToken" });
    expect(toSsm).toMatchObject({ status: 400, code: "MissingAuthenticationTokenException" });
    // The refused EC2 call is counted, but reached no account.
    expect(running().stats().requests).toBe(requestsBefore + 1);
    expect(running().stats().accounts).toEqual({});
  });

  it("refuses a request that names a key and scope but carries no signature, or one not made with the secret", async () => {
    // Prepare: what the cloud used to serve, an account read from an unsigned credential scope.
    await harness.start();
    const scope = `AKIA${ACCOUNT_A}LOCL/${new Date().toISOString().slice(0, 10).replaceAll("-", "")}/${SHANGHAI}/ec2/aws4_request`;
    const amzDate = `${new Date().toISOString().slice(0, 19).replace(/[-:]/g, "")}Z`;
    const withAuthorization = (authorization: string) => {
      const request = requestFor("ec2");
      request.headers = { ...request.headers, authorization, "x-amz-date": amzDate };
      return request;
    };

    // Act
    const scopedOnly = await send(
      withAuthorization(`AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date`),
    );
    const madeUp = await send(
      withAuthorization(
        `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
      ),
    );

    // Assess
    expect(scopedOnly).toMatchObject({ status: 400, code: "IncompleteSignature" });
    expect(scopedOnly.message).toContain("Authorization header requires 'Signature' parameter.");
    expect(madeUp).toMatchObject({ status: 401, code: "AuthFailure" });
    expect(running().stats().accounts).toEqual({});
  });

  it("refuses a request whose parameters were changed after signing: AuthFailure on EC2, SignatureDoesNotMatch on STS, InvalidSignatureException on SSM", async () => {
    // Prepare
    await harness.start();
    const keys = keysOf(ACCOUNT_A);
    const [toEc2, toSts, toSsm, withBodyHash] = await Promise.all([
      signed("ec2", keys),
      signed("sts", keys),
      signed("ssm", keys),
      signed("sts", keys, { applyChecksum: true }),
    ]);
    toEc2.body = String(toEc2.body).replace("Owner.1=self", `Owner.1=${ACCOUNT_B}`);
    toSts.body = String(toSts.body).replace("GetCallerIdentity", "AssumeRole");
    toSsm.body = JSON.stringify({ Name: "/snaprelay/other" });
    withBodyHash.body = String(withBodyHash.body).replace("GetCallerIdentity", "AssumeRole");

    // Act
    const answers = await Promise.all([toEc2, toSts, toSsm, withBodyHash].map(send));

    // Assess
    expect(answers).toMatchObject([
      { status: 401, code: "AuthFailure" },
      { status: 403, code: "SignatureDoesNotMatch" },
      { status: 400, code: "InvalidSignatureException" },
      { status: 403, code: "SignatureDoesNotMatch" },
    ]);
    expect(answers[3]?.message).toContain("x-amz-content-sha256");
    expect(answers[1]?.message).toContain("The request signature we calculated does not match");
  });

  it("sends an untouched signed request through, so the refusals above are the changes' doing", async () => {
    // Prepare
    await harness.start();
    const keys = keysOf(ACCOUNT_A);

    // Act
    const answers = await Promise.all(
      (["ec2", "sts"] as const).map(async (service) => send(await signed(service, keys))),
    );

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers[1]?.body).toContain(`<Account>${ACCOUNT_A}</Account>`);
  });

  it("refuses a request signed with a wrong secret, through the SDK of each service", async () => {
    // Prepare
    await harness.start();
    const wrongSecret = {
      ...keysOf(ACCOUNT_A),
      secretAccessKey: "not-the-secret-the-cloud-made-for-it",
    };

    // Act
    const [viaEc2, viaSts, viaSsm] = await Promise.all([
      refusalOf(ec2(wrongSecret).send(new DescribeSnapshotsCommand({}))),
      refusalOf(sts(wrongSecret).send(new GetCallerIdentityCommand({}))),
      refusalOf(ssm(wrongSecret).send(new GetParameterCommand({ Name: "/x" }))),
    ]);

    // Assess
    expect(viaEc2).toMatchObject({ name: "AuthFailure", status: 401 });
    expect(viaSts).toMatchObject({ name: "SignatureDoesNotMatch", status: 403 });
    expect(viaSsm).toMatchObject({ name: "InvalidSignatureException", status: 400 });
  });

  it("refuses a key it does not know: AuthFailure on EC2, InvalidClientTokenId on STS, UnrecognizedClientException on SSM", async () => {
    // Prepare
    await harness.start();
    const dummy = { accessKeyId: "local", secretAccessKey: "local" };

    // Act
    const [viaEc2, viaSts, viaSsm] = await Promise.all([
      refusalOf(ec2(dummy).send(new DescribeSnapshotsCommand({}))),
      refusalOf(sts(dummy).send(new GetCallerIdentityCommand({}))),
      refusalOf(ssm(dummy).send(new GetParameterCommand({ Name: "/x" }))),
    ]);

    // Assess
    expect(viaEc2).toMatchObject({ name: "AuthFailure", status: 401 });
    expect(viaSts).toMatchObject({ name: "InvalidClientTokenId", status: 403 });
    expect(viaSts.message).toContain("The local cloud knows no access key 'local'");
    expect(viaSsm).toMatchObject({ name: "UnrecognizedClientException", status: 400 });
  });

  it("refuses a header-signed request dated 20 minutes ago (RequestExpired on EC2, Signature expired on STS and SSM), and takes one dated 10 minutes ago", async () => {
    // Prepare
    await harness.start();
    const keys = keysOf(ACCOUNT_A);
    const twentyAgo = new Date(Date.now() - 20 * MINUTE);
    const tenAgo = new Date(Date.now() - 10 * MINUTE);

    // Act
    const late = await Promise.all(
      (["ec2", "sts", "ssm"] as const).map(async (service) =>
        send(await signed(service, keys, { signingDate: twentyAgo })),
      ),
    );
    const inTime = await send(await signed("sts", keys, { signingDate: tenAgo }));
    const fromTheFuture = await send(
      await signed("sts", keys, { signingDate: new Date(Date.now() + 20 * MINUTE) }),
    );

    // Assess
    expect(late).toMatchObject([
      { status: 400, code: "RequestExpired" },
      { status: 403, code: "SignatureDoesNotMatch" },
      { status: 400, code: "InvalidSignatureException" },
    ]);
    expect(late[1]?.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    expect(inTime.status).toBe(200);
    expect(fromTheFuture).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    expect(fromTheFuture.message).toContain("Signature not yet current");
  });

  it("takes a presigned URL until its X-Amz-Expires has passed, and refuses it after", async () => {
    // Prepare
    await harness.start();
    const keys = keysOf(ACCOUNT_A);
    const twoMinutesAgo = new Date(Date.now() - 2 * MINUTE);

    // Act
    const fresh = await send(await presigned("sts", keys, { expiresIn: 60 }));
    const stillValid = await send(
      await presigned("ec2", keys, { signingDate: twoMinutesAgo, expiresIn: 300 }),
    );
    const expired = await Promise.all([
      send(await presigned("ec2", keys, { signingDate: twoMinutesAgo, expiresIn: 60 })),
      send(await presigned("sts", keys, { signingDate: twoMinutesAgo, expiresIn: 60 })),
    ]);
    const outOfRange = await presigned("sts", keys, { expiresIn: 60 });
    outOfRange.query = { ...outOfRange.query, "X-Amz-Expires": "604801" };
    const tooLong = await send(outOfRange);

    // Assess
    expect(fresh.status).toBe(200);
    expect(fresh.body).toContain(`<Account>${ACCOUNT_A}</Account>`);
    expect(stillValid.status).toBe(200);
    expect(expired).toMatchObject([
      { status: 400, code: "RequestExpired" },
      { status: 403, code: "SignatureDoesNotMatch" },
    ]);
    expect(expired[1]?.message).toContain("Signature expired: the URL was signed at");
    expect(tooLong).toMatchObject({ status: 400, code: "IncompleteSignature" });
  });

  it("takes temporary credentials from AssumeRole until they expire, then answers ExpiredToken (RequestExpired on EC2)", async () => {
    // Prepare: the cloud and the clients share this process's clock, moved on by the test.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-03-01T10:00:00Z"));
    await harness.start();
    await running().createRole({ accountId: ACCOUNT_B, roleName: "copier" });
    const { Credentials } = await sts(keysOf(ACCOUNT_A)).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${ACCOUNT_B}:role/copier`,
        RoleSessionName: "job-1",
        DurationSeconds: 900,
      }),
    );
    const temporary = {
      accessKeyId: Credentials?.AccessKeyId ?? "",
      secretAccessKey: Credentials?.SecretAccessKey ?? "",
      sessionToken: Credentials?.SessionToken ?? "",
    };

    // Act
    vi.setSystemTime(new Date("2026-03-01T10:14:59Z"));
    const beforeExpiry = await sts(temporary).send(new GetCallerIdentityCommand({}));
    vi.setSystemTime(new Date("2026-03-01T10:15:00Z"));
    const [viaSts, viaEc2, viaSsm] = await Promise.all([
      refusalOf(sts(temporary).send(new GetCallerIdentityCommand({}))),
      refusalOf(ec2(temporary).send(new DescribeSnapshotsCommand({}))),
      refusalOf(ssm(temporary).send(new GetParameterCommand({ Name: "/x" }))),
    ]);

    // Assess
    expect(Credentials?.Expiration?.toISOString()).toBe("2026-03-01T10:15:00.000Z");
    expect(beforeExpiry).toMatchObject({
      Account: ACCOUNT_B,
      Arn: `arn:aws:sts::${ACCOUNT_B}:assumed-role/copier/job-1`,
    });
    expect(viaSts).toMatchObject({ name: "ExpiredToken", status: 403 });
    expect(viaSts.message).toContain("The security token included in the request is expired");
    expect(viaEc2).toMatchObject({ name: "RequestExpired", status: 400 });
    expect(viaSsm).toMatchObject({ name: "ExpiredTokenException", status: 400 });
  });

  it("refuses a temporary key without its session token or with another one, and a long-term key with one", async () => {
    // Prepare
    await harness.start();
    await running().createRole({ accountId: ACCOUNT_B, roleName: "copier" });
    const assume = () =>
      sts(keysOf(ACCOUNT_A)).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${ACCOUNT_B}:role/copier`,
          RoleSessionName: "job-1",
        }),
      );
    const first = (await assume()).Credentials;
    const second = (await assume()).Credentials;
    const withoutToken = {
      accessKeyId: first?.AccessKeyId ?? "",
      secretAccessKey: first?.SecretAccessKey ?? "",
    };

    // Act
    const [noToken, otherToken, longTermWithToken, onEc2] = await Promise.all([
      refusalOf(sts(withoutToken).send(new GetCallerIdentityCommand({}))),
      refusalOf(
        sts({ ...withoutToken, sessionToken: second?.SessionToken ?? "" }).send(
          new GetCallerIdentityCommand({}),
        ),
      ),
      refusalOf(
        sts({ ...keysOf(ACCOUNT_A), sessionToken: first?.SessionToken ?? "" }).send(
          new GetCallerIdentityCommand({}),
        ),
      ),
      refusalOf(ec2(withoutToken).send(new DescribeSnapshotsCommand({}))),
    ]);

    // Assess
    const invalid = { name: "InvalidClientTokenId", status: 403 };
    expect(noToken).toMatchObject(invalid);
    expect(otherToken).toMatchObject(invalid);
    expect(longTermWithToken).toMatchObject(invalid);
    expect(onEc2).toMatchObject({ name: "AuthFailure", status: 401 });
  });

  it("refuses a request signed for another service than the one it calls", async () => {
    // Prepare: a GetCallerIdentity signed with EC2's signing name.
    await harness.start();
    const request = requestFor("sts");
    const signer = new SignatureV4({
      service: "ec2",
      region: STS_REGION,
      credentials: keysOf(ACCOUNT_A),
      sha256: Hash.bind(null, "sha256"),
    });

    // Act
    const answer = await send((await signer.sign(request)) as HttpRequest);

    // Assess
    expect(answer).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    expect(answer.message).toContain("Credential should be scoped to correct service: 'sts'.");
  });

  it("limits a role chain to an hour, as AWS does", async () => {
    // Prepare
    await harness.start();
    await running().createRole({ accountId: ACCOUNT_B, roleName: "copier" });
    await running().createRole({ accountId: ACCOUNT_A, roleName: "next" });
    const { Credentials } = await sts(keysOf(ACCOUNT_A)).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${ACCOUNT_B}:role/copier`,
        RoleSessionName: "job-1",
      }),
    );
    const asRole = sts({
      accessKeyId: Credentials?.AccessKeyId ?? "",
      secretAccessKey: Credentials?.SecretAccessKey ?? "",
      sessionToken: Credentials?.SessionToken ?? "",
    });
    const chain = (DurationSeconds: number) =>
      asRole.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${ACCOUNT_A}:role/next`,
          RoleSessionName: "chained",
          DurationSeconds,
        }),
      );

    // Act
    const twoHours = await refusalOf(chain(7200));
    const oneHour = await chain(3600);

    // Assess
    expect(twoHours).toMatchObject({ name: "ValidationError", status: 400 });
    expect(oneHour.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${ACCOUNT_A}:assumed-role/next/chained`,
    );
  });
});
