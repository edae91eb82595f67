// The clients snaprelay acts in a tenant's account with, against the local cloud: their role
// sessions name what they act for, so the tenant's CloudTrail shows which job or policy made each
// call (the local STS keeps the session names it granted, as CloudTrail would show them); and a
// CopySnapshot is sent once, never again by the SDK, since a second attempt could make a second copy.
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountAccess } from "../../functions/adapters/ec2/account-access.js";
import { Ec2SnapshotProvider } from "../../functions/adapters/ec2/snapshot-provider.js";
import {
  actingFor,
  currentRoleSessionName,
  roleSessionNameOf,
} from "../../functions/core/acting-for.js";
import { type CloudUnderTest, startCloud } from "../support/services.js";

const SERVICE = "000000000000";
const TENANT = "444455556666";
const ROLE = "snaprelay-access";
const EXTERNAL_ID = "snaprelay-ext-tenant";

let cloud: CloudUnderTest;
const savedEnv = { ...process.env };

beforeAll(async () => {
  cloud = await startCloud();
  await cloud.cloud.createRole({ accountId: TENANT, roleName: ROLE, externalId: EXTERNAL_ID });
  // The functions' own identity and endpoints, as the local stack gives them.
  const keys = cloud.cloud.credentialsFor(SERVICE);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_STS: cloud.cloud.url,
    AWS_ENDPOINT_URL_EC2: cloud.cloud.url,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_SESSION_TOKEN: "",
    AWS_REGION: "us-east-1",
  });
});

afterAll(async () => {
  process.env = savedEnv;
  await cloud.close();
});

const tenantAccess = () =>
  new AccountAccess({
    serviceAccountId: SERVICE,
    partition: "aws",
    roleName: ROLE,
    externalId: EXTERNAL_ID,
  });

const describeAs = (access: AccountAccess) =>
  access.ec2(TENANT, "ap-mumbai").send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));

describe("a role session's name", () => {
  it("is snaprelay-<what it acts for>, cut to STS's 64 characters of its alphabet", () => {
    expect(roleSessionNameOf("job-5f1b2c3d")).toBe("snaprelay-job-5f1b2c3d");
    expect(roleSessionNameOf("pol 1/ä")).toBe("snaprelay-pol-1--");
    expect(roleSessionNameOf("x".repeat(100))).toHaveLength(64);
  });

  it("is the innermost work's, and snaprelay's own outside any", async () => {
    const seen = await actingFor("api", async () => [
      currentRoleSessionName(),
      await actingFor("pol-1", async () => currentRoleSessionName()),
    ]);
    expect(seen).toEqual(["snaprelay-api", "snaprelay-pol-1"]);
    expect(currentRoleSessionName()).toBe("snaprelay");
  });

  it("names the job or policy in each AssumeRole the tenant's account sees, once per session", async () => {
    // Prepare
    const access = tenantAccess();

    // Act: two steps of one job, one of another, a policy's run
    await actingFor("job-aaa", () => describeAs(access));
    await actingFor("job-aaa", () => describeAs(access));
    await actingFor("job-bbb", () => describeAs(access));
    await actingFor("pol-ccc", () => describeAs(access));

    // Assess
    expect(cloud.cloud.stats().sts.sessionNamesByAccount[TENANT]).toEqual([
      "snaprelay-job-aaa",
      "snaprelay-job-bbb",
      "snaprelay-pol-ccc",
    ]);
  });
});

describe("a copy's CopySnapshot", () => {
  it("is sent once when EC2 throttles it, where a read is sent again by the SDK", async () => {
    // Prepare: a completed snapshot of the tenant's, and a cloud that throttles every call
    const shanghai = cloud.ec2("ap-shanghai", TENANT);
    const { VolumeId } = await shanghai.send(
      new CreateVolumeCommand({ AvailabilityZone: "ap-shanghaia", Size: 1 }),
    );
    const { SnapshotId = "" } = await shanghai.send(new CreateSnapshotCommand({ VolumeId }));
    const provider = new Ec2SnapshotProvider(tenantAccess());
    await provider.describe(TENANT, "ap-mumbai", SnapshotId); // the role is assumed before throttling
    cloud.cloud.setKnobs({ throttleRate: 1 });
    const throttled = () => cloud.cloud.stats().throttledRequests;

    // Act
    const beforeCopy = throttled();
    const copy = provider.startCopy({
      accountId: TENANT,
      sourceRegion: "ap-shanghai",
      sourceSnapshotId: SnapshotId,
      destinationRegion: "ap-mumbai",
      description: "a copy",
      tags: { "snaprelay:job-id": "job-once" },
    });
    await expect(copy).rejects.toMatchObject({ name: "CloudThrottled" });
    const copyAttempts = throttled() - beforeCopy;
    const beforeRead = throttled();
    await expect(provider.countOwned(TENANT, "ap-mumbai")).rejects.toMatchObject({
      name: "CloudThrottled",
    });
    const readAttempts = throttled() - beforeRead;
    cloud.cloud.setKnobs({ throttleRate: 0 });

    // Assess
    expect(copyAttempts).toBe(1);
    expect(readAttempts).toBeGreaterThan(1);
  }, 60_000);
});
