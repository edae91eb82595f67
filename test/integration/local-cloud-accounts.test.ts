// The local cloud's accounts and its local STS: each account's resources apart from every other's,
// the account of a request from the key that signed it, roles assumed through the SDK, and a restart.
import { access, mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  GetCallerIdentityCommand,
  STSClient,
  STSServiceException,
} from "@aws-sdk/client-sts";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { afterEach, describe, expect, it } from "vitest";
import { snapshotById, useLocalCloud, waitUntil } from "../support/local-cloud-harness.js";

const GIB = 1024 ** 3;
const INSTANT = 1024 * GIB;
// A copy that stays pending for the whole test.
const STALLED = 1;

const SHANGHAI = "ap-shanghai";
const MUMBAI = "ap-mumbai";
// The region STS clients sign for: the local STS answers every region alike.
const STS_REGION = "us-east-1";

// The harness's clients sign with the default account's keys.
const DEFAULT_ACCOUNT = "000000000000";
const ACCOUNT_A = "111111111111";
const ACCOUNT_B = "222222222222";

const harness = useLocalCloud({});
const startCloud = harness.start;
const running = harness.running;

interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

let stsClients: STSClient[] = [];
afterEach(() => {
  for (const client of stsClients) client.destroy();
  stsClients = [];
});

/** The account's own long-term keys: AKIA<account>LOCL and the secret the cloud made for it. */
const keysOf = (accountId: string): AwsCredentialIdentity => running().credentialsFor(accountId);

/** The default account's keys, as `npm start` gives the Lambdas the service account's. */
const defaultKeys = () => keysOf(running().defaultAccountId);

const ec2As = (accountId: string, region: string) =>
  harness.ec2(region, { credentials: keysOf(accountId) });

function stsWith(credentials: AwsCredentialIdentity): STSClient {
  const client = new STSClient({ region: STS_REGION, endpoint: running().url, credentials });
  stsClients.push(client);
  return client;
}

const roleArn = (accountId: string, roleName: string) =>
  `arn:aws:iam::${accountId}:role/${roleName}`;

async function assumedCredentials(input: AssumeRoleCommandInput): Promise<AwsCredentialIdentity> {
  const { Credentials } = await stsWith(defaultKeys()).send(new AssumeRoleCommand(input));
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) {
    throw new Error("AssumeRole returned no credentials");
  }
  return {
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretAccessKey,
    sessionToken: Credentials.SessionToken,
  };
}

async function volumeIn(client: EC2Client, region: string): Promise<string> {
  const { VolumeId } = await client.send(
    new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 8 }),
  );
  if (!VolumeId) throw new Error("CreateVolume returned no VolumeId");
  return VolumeId;
}

/** A completed snapshot of a new volume in the client's account. */
async function completedSnapshotIn(client: EC2Client, region: string): Promise<string> {
  return completedSnapshotOf(client, await volumeIn(client, region));
}

/**
 * A completed snapshot in the account of a new volume with 8 written blocks: a copy moves only
 * written blocks, so its copies have those to send and stay pending while copies are stalled.
 */
async function snapshotWithDataIn(accountId: string, region: string): Promise<string> {
  const client = ec2As(accountId, region);
  const VolumeId = await volumeIn(client, region);
  await running().fillBlocks(
    region,
    VolumeId,
    { firstBlock: 0, count: 8, seed: accountId },
    accountId,
  );
  return completedSnapshotOf(client, VolumeId);
}

async function completedSnapshotOf(client: EC2Client, VolumeId: string): Promise<string> {
  const { SnapshotId } = await client.send(new CreateSnapshotCommand({ VolumeId }));
  if (!SnapshotId) throw new Error("CreateSnapshot returned no SnapshotId");
  await waitUntil(async () =>
    (await snapshotById(client, SnapshotId)).State === "completed" ? true : undefined,
  );
  return SnapshotId;
}

async function copyFromShanghai(destination: EC2Client, SourceSnapshotId: string) {
  const { SnapshotId } = await destination.send(
    new CopySnapshotCommand({ SourceRegion: SHANGHAI, SourceSnapshotId }),
  );
  if (!SnapshotId) throw new Error("CopySnapshot returned no SnapshotId");
  return SnapshotId;
}

async function snapshotIdsSeenBy(client: EC2Client, OwnerIds?: string[]): Promise<string[]> {
  const { Snapshots = [] } = await client.send(new DescribeSnapshotsCommand({ OwnerIds }));
  return Snapshots.map((snapshot) => snapshot.SnapshotId ?? "").sort();
}

/**
 * Waits for every call, so that a refusal meets its assertion without ever being unhandled: each
 * outcome then reads `{ status: "rejected", reason }` or `{ status: "fulfilled", value }`.
 */
const outcomesOf = (...calls: Promise<unknown>[]) => Promise.allSettled(calls);
const refused = (reason: object) => ({ status: "rejected", reason });

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A call to the admin routes, as the CLI makes it. */
async function admin(path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${running().url}/_admin/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

// Generous: the machine is shared, and a slow run should fail on an assertion, not a timeout.
describe("local cloud accounts", { timeout: 30_000 }, () => {
  it("keeps each account's snapshots to itself: B gets InvalidSnapshot.NotFound describing, copying or deleting A's, and lists none of them", async () => {
    // Prepare
    await startCloud();
    const aShanghai = ec2As(ACCOUNT_A, SHANGHAI);
    const bShanghai = ec2As(ACCOUNT_B, SHANGHAI);
    const bMumbai = ec2As(ACCOUNT_B, MUMBAI);
    const snapshotOfA = await completedSnapshotIn(aShanghai, SHANGHAI);
    const snapshotOfB = await completedSnapshotIn(bShanghai, SHANGHAI);

    // Act
    const [describing, copying, deleting] = await outcomesOf(
      bShanghai.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotOfA] })),
      copyFromShanghai(bMumbai, snapshotOfA),
      bShanghai.send(new DeleteSnapshotCommand({ SnapshotId: snapshotOfA })),
    );
    const listedByB = await snapshotIdsSeenBy(bShanghai);
    const ownedByB = await snapshotIdsSeenBy(bShanghai, ["self"]);
    const listedByDefault = await snapshotIdsSeenBy(harness.ec2(SHANGHAI));

    // Assess: the very answers of a snapshot that does not exist.
    const notFound = {
      name: "InvalidSnapshot.NotFound",
      message: `The snapshot '${snapshotOfA}' does not exist.`,
    };
    expect(describing).toMatchObject(refused(notFound));
    expect(copying).toMatchObject(
      refused({
        ...notFound,
        message: `The snapshot '${snapshotOfA}' does not exist in ${SHANGHAI}.`,
      }),
    );
    expect(deleting).toMatchObject(refused(notFound));
    expect(listedByB).toEqual([snapshotOfB]);
    expect(ownedByB).toEqual([snapshotOfB]);
    expect(listedByDefault).toEqual([]);
    expect(await snapshotById(aShanghai, snapshotOfA)).toMatchObject({
      State: "completed",
      OwnerId: ACCOUNT_A,
    });
    expect((await snapshotById(bShanghai, snapshotOfB)).OwnerId).toBe(ACCOUNT_B);
  });

  it("treats another account's volume or snapshot as missing in DescribeVolumes, CreateSnapshot, CreateTags and CreateVolume", async () => {
    // Prepare
    await startCloud();
    const aShanghai = ec2As(ACCOUNT_A, SHANGHAI);
    const bShanghai = ec2As(ACCOUNT_B, SHANGHAI);
    const volumeOfA = await volumeIn(aShanghai, SHANGHAI);
    const snapshotOfA = await completedSnapshotIn(aShanghai, SHANGHAI);

    // Act
    const [describing, snapshotting, tagging, restoring] = await outcomesOf(
      bShanghai.send(new DescribeVolumesCommand({ VolumeIds: [volumeOfA] })),
      bShanghai.send(new CreateSnapshotCommand({ VolumeId: volumeOfA })),
      bShanghai.send(
        new CreateTagsCommand({ Resources: [snapshotOfA], Tags: [{ Key: "k", Value: "v" }] }),
      ),
      bShanghai.send(
        new CreateVolumeCommand({ AvailabilityZone: `${SHANGHAI}a`, SnapshotId: snapshotOfA }),
      ),
    );

    // Assess
    expect(describing).toMatchObject(refused({ name: "InvalidVolume.NotFound" }));
    expect(snapshotting).toMatchObject(refused({ name: "InvalidVolume.NotFound" }));
    expect(tagging).toMatchObject(refused({ name: "InvalidSnapshot.NotFound" }));
    expect(restoring).toMatchObject(refused({ name: "InvalidSnapshot.NotFound" }));
    expect((await bShanghai.send(new DescribeVolumesCommand({}))).Volumes).toEqual([]);
    expect((await snapshotById(aShanghai, snapshotOfA)).Tags ?? []).toEqual([]);
  });

  it("holds the limit of 20 pending copies per account: with A at 20 pending into a region, B's copy there is accepted", async () => {
    // Prepare
    await startCloud({ copyBytesPerSecond: STALLED });
    const aMumbai = ec2As(ACCOUNT_A, MUMBAI);
    const bMumbai = ec2As(ACCOUNT_B, MUMBAI);
    const snapshotOfA = await snapshotWithDataIn(ACCOUNT_A, SHANGHAI);
    const snapshotOfB = await snapshotWithDataIn(ACCOUNT_B, SHANGHAI);
    for (let copy = 0; copy < 20; copy++) await copyFromShanghai(aMumbai, snapshotOfA);

    // Act
    const [twentyFirstOfA, firstOfB] = await outcomesOf(
      copyFromShanghai(aMumbai, snapshotOfA),
      copyFromShanghai(bMumbai, snapshotOfB),
    );

    // Assess
    expect(twentyFirstOfA).toMatchObject(refused({ name: "ResourceLimitExceeded" }));
    expect(firstOfB).toMatchObject({ status: "fulfilled", value: expect.stringMatching(/^snap-/) });
    const stats = running().stats();
    expect(stats.accounts[ACCOUNT_A]?.regions[MUMBAI]).toMatchObject({
      pendingCopies: 20,
      mostPendingCopies: 20,
    });
    expect(stats.accounts[ACCOUNT_B]?.regions[MUMBAI]).toMatchObject({
      pendingCopies: 1,
      mostPendingCopies: 1,
    });
    expect(stats.regions[MUMBAI]).toMatchObject({ pendingCopies: 21, mostPendingCopies: 20 });
    expect(stats.copies.started).toBe(21);
  });

  it("gives credentials through AssumeRole that act in the role's account, where GetCallerIdentity places them", async () => {
    // Prepare
    await startCloud();
    await running().createRole({
      accountId: ACCOUNT_A,
      roleName: "snaprelay-copier",
      externalId: "snaprelay-ext-1",
    });
    const snapshotOfA = await completedSnapshotIn(ec2As(ACCOUNT_A, SHANGHAI), SHANGHAI);
    const askedAt = Date.now();

    // Act
    const assumed = await stsWith(defaultKeys()).send(
      new AssumeRoleCommand({
        RoleArn: roleArn(ACCOUNT_A, "snaprelay-copier"),
        RoleSessionName: "job-1",
        ExternalId: "snaprelay-ext-1",
        DurationSeconds: 900,
      }),
    );
    const credentials = {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? "",
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? "",
      sessionToken: assumed.Credentials?.SessionToken,
    };
    const asRole = harness.ec2(SHANGHAI, { credentials });
    const seen = await snapshotIdsSeenBy(asRole, ["self"]);
    const identity = await stsWith(credentials).send(new GetCallerIdentityCommand({}));

    // Assess
    expect(assumed.Credentials?.AccessKeyId).toMatch(/^ASIA111111111111[A-Z0-9]{4}$/);
    expect(assumed.Credentials?.SessionToken).toBeTruthy();
    const expiresInMs = (assumed.Credentials?.Expiration?.getTime() ?? 0) - askedAt;
    expect(expiresInMs).toBeGreaterThan(890_000);
    expect(expiresInMs).toBeLessThanOrEqual(910_000);
    expect(assumed.AssumedRoleUser).toMatchObject({
      Arn: `arn:aws:sts::${ACCOUNT_A}:assumed-role/snaprelay-copier/job-1`,
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z0-9]{17}:job-1$/),
    });
    expect(seen).toEqual([snapshotOfA]);
    expect(identity).toMatchObject({
      Account: ACCOUNT_A,
      Arn: `arn:aws:sts::${ACCOUNT_A}:assumed-role/snaprelay-copier/job-1`,
      UserId: assumed.AssumedRoleUser?.AssumedRoleId,
    });
  });

  it("refuses AssumeRole of an unknown role, or with a wrong or missing external id, with AccessDenied naming the caller and the role", async () => {
    // Prepare
    await startCloud();
    await running().createRole({ accountId: ACCOUNT_A, roleName: "guarded", externalId: "ext-1" });
    await running().createRole({ accountId: ACCOUNT_A, roleName: "open" });
    const sts = stsWith(defaultKeys());
    const assume = (roleName: string, ExternalId?: string) =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn(ACCOUNT_A, roleName),
          RoleSessionName: "job-1",
          ExternalId,
        }),
      );

    // Act
    const [unknown, inAnotherAccount, wrongId, missingId, idTheRoleLacks, granted] =
      await outcomesOf(
        assume("missing"),
        sts.send(
          new AssumeRoleCommand({ RoleArn: roleArn(ACCOUNT_B, "open"), RoleSessionName: "job-1" }),
        ),
        assume("guarded", "ext-2"),
        assume("guarded"),
        assume("open", "ext-1"),
        assume("open"),
      );

    // Assess
    const deniedOn = (arn: string) =>
      refused({
        name: "AccessDenied",
        message: `User: arn:aws:iam::${DEFAULT_ACCOUNT}:user/local is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
        $metadata: { httpStatusCode: 403 },
      });
    expect(unknown).toMatchObject(deniedOn(roleArn(ACCOUNT_A, "missing")));
    expect(inAnotherAccount).toMatchObject(deniedOn(roleArn(ACCOUNT_B, "open")));
    expect(wrongId).toMatchObject(deniedOn(roleArn(ACCOUNT_A, "guarded")));
    expect(missingId).toMatchObject(deniedOn(roleArn(ACCOUNT_A, "guarded")));
    expect(idTheRoleLacks).toMatchObject(deniedOn(roleArn(ACCOUNT_A, "open")));
    expect(granted).toMatchObject({
      status: "fulfilled",
      value: { AssumedRoleUser: { Arn: `arn:aws:sts::${ACCOUNT_A}:assumed-role/open/job-1` } },
    });
  });

  it("refuses a malformed RoleArn and a DurationSeconds outside 900 to 43200 with ValidationError", async () => {
    // Prepare
    await startCloud();
    await running().createRole({ accountId: ACCOUNT_A, roleName: "open" });
    const sts = stsWith(defaultKeys());
    const assume = (RoleArn: string, DurationSeconds?: number) =>
      sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: "job-1", DurationSeconds }));

    // Act
    const [notAnArn, shortAccount, tooShort, tooLong] = await outcomesOf(
      assume("snaprelay-copier-role"),
      assume("arn:aws:iam::1111:role/open"),
      assume(roleArn(ACCOUNT_A, "open"), 899),
      assume(roleArn(ACCOUNT_A, "open"), 43201),
    );

    // Assess
    const invalid = { name: "ValidationError", $metadata: { httpStatusCode: 400 } };
    expect(notAnArn).toMatchObject(refused(invalid));
    expect(shortAccount).toMatchObject(refused(invalid));
    expect(tooShort).toMatchObject(
      refused({ ...invalid, message: expect.stringContaining("greater than or equal to 900") }),
    );
    expect(tooLong).toMatchObject(
      refused({ ...invalid, message: expect.stringContaining("less than or equal to 43200") }),
    );
  });

  it("answers GetCallerIdentity with the account whose keys signed the request, as its IAM user local", async () => {
    // Prepare
    await startCloud({ accountId: "123456789012" });

    // Act
    const ofB = await stsWith(keysOf(ACCOUNT_B)).send(new GetCallerIdentityCommand({}));
    const ofDefault = await stsWith(defaultKeys()).send(new GetCallerIdentityCommand({}));

    // Assess
    expect(ofB).toMatchObject({
      Account: ACCOUNT_B,
      Arn: `arn:aws:iam::${ACCOUNT_B}:user/local`,
      UserId: `AIDA${ACCOUNT_B}LOCAL`,
    });
    expect(ofDefault).toMatchObject({
      Account: "123456789012",
      Arn: "arn:aws:iam::123456789012:user/local",
    });
  });

  it("lets an EC2 client with fromTemporaryCredentials, pointed at the local STS, act in the role's account", async () => {
    // Prepare
    await startCloud();
    await running().createRole({ accountId: ACCOUNT_B, roleName: "copier", externalId: "ext-b" });
    const snapshotOfB = await completedSnapshotIn(ec2As(ACCOUNT_B, SHANGHAI), SHANGHAI);
    const credentials = fromTemporaryCredentials({
      params: { RoleArn: roleArn(ACCOUNT_B, "copier"), ExternalId: "ext-b" },
      clientConfig: { endpoint: running().url, region: STS_REGION, credentials: defaultKeys() },
    });
    const mumbaiAsB = harness.ec2(MUMBAI, { credentials });

    // Act
    const copyId = await copyFromShanghai(mumbaiAsB, snapshotOfB);
    const copy = await waitUntil(async () => {
      const snapshot = await snapshotById(mumbaiAsB, copyId);
      return snapshot.State === "pending" ? undefined : snapshot;
    });

    // Assess
    expect(copy).toMatchObject({ State: "completed", OwnerId: ACCOUNT_B });
    expect(await snapshotIdsSeenBy(ec2As(ACCOUNT_B, MUMBAI))).toEqual([copyId]);
    expect(await snapshotIdsSeenBy(harness.ec2(MUMBAI))).toEqual([]);
    // The provider assumed the role once and kept its credentials for every call.
    expect(running().stats().sts.assumeRoleCallsByAccount).toEqual({ [ACCOUNT_B]: 1 });
  });

  it("rejects an EC2 call whose fromTemporaryCredentials cannot assume the role with STS's AccessDenied, not a CredentialsProviderError, before any EC2 request", async () => {
    // Prepare
    await startCloud();
    await running().createRole({ accountId: ACCOUNT_B, roleName: "copier", externalId: "ext-b" });
    const arn = roleArn(ACCOUNT_B, "copier");
    const credentials = fromTemporaryCredentials({
      params: { RoleArn: arn, ExternalId: "not-ext-b" },
      clientConfig: { endpoint: running().url, region: STS_REGION, credentials: defaultKeys() },
    });
    const client = harness.ec2(MUMBAI, { credentials });
    const requestsBefore = running().stats().requests;

    // Act
    const error: unknown = await client.send(new DescribeSnapshotsCommand({})).catch((e) => e);

    // Assess: the STS client's own exception, passed through unwrapped.
    expect(error).toBeInstanceOf(STSServiceException);
    expect(error).toMatchObject({
      name: "AccessDenied",
      Code: "AccessDenied",
      Type: "Sender",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
      message: `User: arn:aws:iam::${DEFAULT_ACCOUNT}:user/local is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
    });
    expect((error as Error).name).not.toBe("CredentialsProviderError");
    expect(running().stats().requests).toBe(requestsBefore);
  });

  it("counts AssumeRole calls in stats, in all and by the role's account, granted or refused, and names the sessions granted", async () => {
    // Prepare
    await startCloud();
    await running().createRole({ accountId: ACCOUNT_A, roleName: "open" });
    await ec2As(ACCOUNT_B, SHANGHAI).send(new DescribeVolumesCommand({}));
    const sts = stsWith(defaultKeys());
    const assume = (accountId: string) =>
      sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn(accountId, "open"), RoleSessionName: "job-1" }),
      );

    // Act
    await assume(ACCOUNT_A);
    await assume(ACCOUNT_A);
    await assume(ACCOUNT_B).catch(() => undefined);

    // Assess
    const stats = running().stats();
    expect(stats.sts).toEqual({
      assumeRoleCalls: 3,
      assumeRoleCallsByAccount: { [ACCOUNT_A]: 2, [ACCOUNT_B]: 1 },
      // Only a granted session shows in the role's account, as CloudTrail would show it.
      sessionNamesByAccount: { [ACCOUNT_A]: ["job-1", "job-1"] },
    });
    // STS calls are not EC2 requests.
    expect(stats.requests).toBe(1);
    expect(Object.keys(stats.accounts)).toEqual([ACCOUNT_B]);
  });

  it("acts in the account named by ?account= on the admin routes, and creates and lists roles", async () => {
    // Prepare
    await startCloud({ blockSizeBytes: 64 * 1024 });

    // Act
    const created = await admin(`regions/${SHANGHAI}/volumes?account=${ACCOUNT_A}`, {
      sizeBytes: 4 * 64 * 1024,
    });
    const { volumeId } = created.json as { volumeId: string };
    const filled = await admin(
      `regions/${SHANGHAI}/volumes/${volumeId}/fill?account=${ACCOUNT_A}`,
      { firstBlock: 1, seed: "a" },
    );
    const inDefault = await admin(`regions/${SHANGHAI}/volumes/${volumeId}/manifest`);
    const role = await admin(`roles?account=${ACCOUNT_B}`, { roleName: "copier" });
    const roles = await admin("roles");
    const statsOfA = await admin(`stats?account=${ACCOUNT_A}`);
    const malformed = await admin("stats?account=12");

    // Assess
    expect(created.status).toBe(200);
    expect(filled.status).toBe(200);
    expect(running().volumeManifest(SHANGHAI, volumeId, ACCOUNT_A).blocks).toHaveLength(1);
    expect(inDefault).toMatchObject({ status: 404, json: { error: { code: "NotFound" } } });
    expect(role.json).toEqual({ accountId: ACCOUNT_B, roleName: "copier" });
    expect(roles.json).toEqual([{ accountId: ACCOUNT_B, roleName: "copier" }]);
    expect(statsOfA.json).toMatchObject({ regions: { [SHANGHAI]: { volumes: 1, blocks: 1 } } });
    expect(malformed).toMatchObject({
      status: 400,
      json: { error: { code: "InvalidParameterValue" } },
    });
  });

  it("keeps each account's resources, its pending copies and the roles across a restart on the same data dir", async () => {
    // Prepare
    const first = await startCloud({ copyBytesPerSecond: STALLED });
    const snapshotOfA = await snapshotWithDataIn(ACCOUNT_A, SHANGHAI);
    const copyOfA = await copyFromShanghai(ec2As(ACCOUNT_A, MUMBAI), snapshotOfA);
    expect((await snapshotById(ec2As(ACCOUNT_A, MUMBAI), copyOfA)).State).toBe("pending");
    const volumeOfB = await volumeIn(ec2As(ACCOUNT_B, SHANGHAI), SHANGHAI);
    await first.createRole({ accountId: ACCOUNT_A, roleName: "copier", externalId: "ext-a" });
    await first.close();

    // Act
    const second = await startCloud({ copyBytesPerSecond: INSTANT });
    const resumed = await waitUntil(async () => {
      const snapshot = await snapshotById(ec2As(ACCOUNT_A, MUMBAI), copyOfA);
      return snapshot.State === "pending" ? undefined : snapshot;
    });
    const credentials = await assumedCredentials({
      RoleArn: roleArn(ACCOUNT_A, "copier"),
      RoleSessionName: "after-restart",
      ExternalId: "ext-a",
    });

    // Assess
    expect(resumed).toMatchObject({ State: "completed", OwnerId: ACCOUNT_A });
    expect(await snapshotIdsSeenBy(ec2As(ACCOUNT_A, SHANGHAI))).toEqual([snapshotOfA]);
    expect(await snapshotIdsSeenBy(harness.ec2(SHANGHAI, { credentials }))).toEqual([snapshotOfA]);
    const volumesOfB = await ec2As(ACCOUNT_B, SHANGHAI).send(new DescribeVolumesCommand({}));
    expect(volumesOfB.Volumes?.map((volume) => volume.VolumeId)).toEqual([volumeOfB]);
    expect(await snapshotIdsSeenBy(ec2As(ACCOUNT_B, SHANGHAI))).toEqual([]);
    expect(second.roles()).toEqual([
      { accountId: ACCOUNT_A, roleName: "copier", externalId: "ext-a" },
    ]);
    expect(Object.keys(second.stats().accounts)).toEqual([ACCOUNT_A, ACCOUNT_B]);
    const dataDir = harness.dataDir();
    for (const accountId of [ACCOUNT_A, ACCOUNT_B]) {
      expect(await exists(join(dataDir, "accounts", accountId, "state.json"))).toBe(true);
    }
    expect(JSON.parse(await readFile(join(dataDir, "roles.json"), "utf8"))).toMatchObject({
      roles: [{ accountId: ACCOUNT_A, roleName: "copier" }],
    });
  });

  it("takes over a data dir in the layout from before accounts as the default account's", async () => {
    // Prepare: state.json and regions/ at the data dir's top, as the cloud kept them before accounts.
    const before = await startCloud();
    const snapshotId = await completedSnapshotIn(harness.ec2(SHANGHAI), SHANGHAI);
    await before.close();
    const dataDir = harness.dataDir();
    const folder = join(dataDir, "accounts", DEFAULT_ACCOUNT);
    await rename(join(folder, "state.json"), join(dataDir, "state.json"));
    await rename(join(folder, "regions"), join(dataDir, "regions"));
    await rm(join(dataDir, "accounts"), { recursive: true });

    // Act: with another default account than the one the data was made under.
    await startCloud({ accountId: "123456789012" });
    const shanghai = harness.ec2(SHANGHAI);
    const owned = await snapshotIdsSeenBy(shanghai, ["self"]);
    const restored = await shanghai.send(
      new CreateVolumeCommand({ AvailabilityZone: `${SHANGHAI}a`, SnapshotId: snapshotId }),
    );

    // Assess
    expect(owned).toEqual([snapshotId]);
    expect((await snapshotById(shanghai, snapshotId)).OwnerId).toBe("123456789012");
    expect(restored.SnapshotId).toBe(snapshotId);
    expect(await snapshotIdsSeenBy(ec2As(ACCOUNT_A, SHANGHAI))).toEqual([]);
    expect(await exists(join(dataDir, "state.json"))).toBe(false);
    expect(await exists(join(dataDir, "regions"))).toBe(false);
    expect(await exists(join(dataDir, "accounts", "123456789012", "state.json"))).toBe(true);
    expect(await exists(join(dataDir, "accounts", "123456789012", "regions", SHANGHAI))).toBe(true);
  });

  it("refuses to start on a data dir holding an account's state both at its top and in the account's folder", async () => {
    // Prepare
    const dataDir = await harness.prepareDataDir();
    await mkdir(join(dataDir, "accounts", DEFAULT_ACCOUNT, "regions"), { recursive: true });
    await mkdir(join(dataDir, "regions"), { recursive: true });

    // Act
    const starting = startCloud();

    // Assess
    await expect(starting).rejects.toThrow(/holds regions both at its top/);
  });
});
