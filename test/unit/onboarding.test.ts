// Onboarding an approved account: it is told the role to create (the role ARN, the account to
// trust, its own external id, a CloudFormation template and the command that deploys it), and it
// is PENDING_CONNECTION until snaprelay has assumed that role with that id, at its request (tried
// at most every CONNECT_RETRY_SECONDS) or at once on POST /account/connect. Then it replicates,
// with no restart. snaprelay assumes each account's role with the account's own external id.
import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  type AccessDeps,
  type Allowlist,
  assertAllowlisted,
  connectAccount,
  decideAccessRequest,
  externalIdOf,
  submitAccessRequest,
  tenantAllowlist,
} from "../../functions/core/access.js";
import {
  CONNECT_RETRY_SECONDS,
  onboardingOf,
  ROLE_TEMPLATE_PATH,
  roleTemplate,
} from "../../functions/core/onboarding.js";
import {
  DEPLOYMENT_EXTERNAL_ID,
  FakeAccountRoles,
  SERVICE_ACCOUNT,
  tenancySettings,
} from "./access-fakes.js";
import { ACCOUNT, FixedClock, InMemoryAccessStore } from "./fakes.js";

const NEWCOMER = "999988887777";
const ROLE_ARN = `arn:aws-cn:iam::${NEWCOMER}:role/snaprelay-access`;
const ADMIN = "000011112222";
const EXTERNAL_ID = "snaprelay-0123456789abcdef0123456789abcdef";

let access: InMemoryAccessStore;
let roles: FakeAccountRoles;
let clock: FixedClock;
let deps: AccessDeps & { roles: FakeAccountRoles };
let allowlist: Allowlist;

beforeEach(async () => {
  access = new InMemoryAccessStore();
  roles = new FakeAccountRoles();
  clock = new FixedClock();
  deps = {
    access,
    clock,
    tenancy: tenancySettings(),
    roles,
    newRequestId: () => "acc-1",
    newExternalId: () => EXTERNAL_ID,
  };
  allowlist = tenantAllowlist(deps);
  await submitAccessRequest(
    NEWCOMER,
    { reason: "DR copies of the orders database", contact: "ops@example.com" },
    deps,
  );
  await decideAccessRequest(ADMIN, "acc-1", "APPROVED", {}, deps);
});

/** The newcomer's next request, as the API's allowlist check sees it. */
const nextRequest = () => assertAllowlisted(NEWCOMER, allowlist);

describe("the onboarding of an approved account", () => {
  it("names the role to create, the account it trusts and the external id, and deploys with one command", async () => {
    // Prepare
    const grant = await access.grant(NEWCOMER);
    if (!grant) throw new Error("not granted");

    // Act
    const onboarding = onboardingOf(grant, deps.tenancy);

    // Assess
    expect(onboarding).toMatchObject({
      roleArn: ROLE_ARN,
      trustedAccountId: SERVICE_ACCOUNT,
      externalId: EXTERNAL_ID,
      connect: "POST /account/connect",
    });
    expect(onboarding?.deployCommand).toBe(
      `aws cloudformation deploy --stack-name snaprelay-access --template-file snaprelay-access-role.yml --capabilities CAPABILITY_NAMED_IAM --parameter-overrides ServiceAccountId=${SERVICE_ACCOUNT} ExternalId=${EXTERNAL_ID} RoleName=snaprelay-access`,
    );
  });

  it("gives a template whose role trusts snaprelay's account with the account's external id only", async () => {
    // Prepare
    const grant = await access.grant(NEWCOMER);
    if (!grant) throw new Error("not granted");

    // Act
    const template = parse(onboardingOf(grant, deps.tenancy)?.roleTemplate ?? "");

    // Assess
    expect(template.Parameters.ServiceAccountId.Default).toBe(SERVICE_ACCOUNT);
    expect(template.Parameters.ExternalId.Default).toBe(EXTERNAL_ID);
    expect(template.Parameters.RoleName.Default).toBe("snaprelay-access");
    const role = template.Resources.SnaprelayAccessRole.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: "Allow",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub, not JavaScript's
        Principal: { AWS: { "Fn::Sub": "arn:${AWS::Partition}:iam::${ServiceAccountId}:root" } },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": { Ref: "ExternalId" } } },
      },
    ]);
    const actions = role.Policies[0].PolicyDocument.Statement.flatMap(
      (statement: { Action: string | string[] }) => statement.Action,
    );
    expect(actions).toEqual([
      "ec2:DescribeSnapshots",
      "ec2:DescribeVolumes",
      "ec2:CopySnapshot",
      "ec2:CreateTags",
      "ec2:DeleteSnapshot",
    ]);
  });

  it("is the same template as the repository's generic one, which has no account's values", () => {
    // Act
    const generic = readFileSync(ROLE_TEMPLATE_PATH, "utf8");

    // Assess
    expect(generic).toBe(roleTemplate());
    expect(parse(generic).Parameters.ExternalId.Default).toBeUndefined();
  });

  it("is none for a grant of an older build, whose role asks the deployment's external id", () => {
    // Act
    const onboarding = onboardingOf({ accountId: NEWCOMER, externalId: undefined }, deps.tenancy);

    // Assess
    expect(onboarding).toBeNull();
  });
});

describe("an approved account at its requests", () => {
  it("is refused while its role is missing, with a message naming the role, the trusted account, the external id and the template", async () => {
    // Act
    const act = nextRequest();

    // Assess
    await expect(act).rejects.toMatchObject({ code: "AccountNotConnected" });
    const message = await act.catch((error: Error) => error.message);
    expect(message).toContain(ROLE_ARN);
    expect(message).toContain(`trusting account ${SERVICE_ACCOUNT}`);
    expect(message).toContain(`external id ${EXTERNAL_ID}`);
    expect(message).toContain("GET /access-requests/acc-1");
    expect(message).toContain("docs/deploy/tenant-access-role.yml");
    expect(message).toContain("POST /account/connect");
    expect((await access.grant(NEWCOMER))?.status).toBe("PENDING_CONNECTION");
  });

  it("tries a missing role once per window, not once per request", async () => {
    // Act
    for (let request = 0; request < 5; request++) await nextRequest().catch(() => undefined);
    clock.advance(CONNECT_RETRY_SECONDS - 1);
    await nextRequest().catch(() => undefined);
    const withinWindow = roles.triesFor(NEWCOMER);
    clock.advance(1);
    await nextRequest().catch(() => undefined);

    // Assess
    expect(withinWindow).toBe(1);
    expect(roles.triesFor(NEWCOMER)).toBe(2);
  });

  it("stays pending while its role asks another external id (the deployment's), saying why", async () => {
    // Prepare
    roles.createRole(NEWCOMER, DEPLOYMENT_EXTERNAL_ID);

    // Act
    const act = nextRequest();

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "AccountNotConnected",
      message: expect.stringContaining("failed: STS refused to let snaprelay assume"),
    });
    expect(roles.tries).toEqual([`${NEWCOMER} ${EXTERNAL_ID}`]);
    expect(await access.grant(NEWCOMER)).toMatchObject({
      status: "PENDING_CONNECTION",
      connectFailure: { at: clock.now().toISOString() },
    });
  });

  it("is let in at its first request after its role exists, and is CONNECTED from then on", async () => {
    // Prepare: refused once, then the tenant creates its role
    await nextRequest().catch(() => undefined);
    roles.createRole(NEWCOMER, EXTERNAL_ID);
    clock.advance(CONNECT_RETRY_SECONDS);

    // Act
    const next = nextRequest();

    // Assess
    await expect(next).resolves.toBeUndefined();
    expect(await access.grant(NEWCOMER)).toMatchObject({
      status: "CONNECTED",
      connectedAt: clock.now().toISOString(),
      connectFailure: null,
    });
    await nextRequest();
    expect(roles.triesFor(NEWCOMER)).toBe(2);
  });
});

describe("connecting an account (POST /account/connect)", () => {
  it("tries the role at once, within the window too, and leaves a missing role pending with the message", async () => {
    // Prepare
    await nextRequest().catch(() => undefined);

    // Act
    const act = connectAccount(NEWCOMER, deps);

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "AccountNotConnected",
      message: expect.stringContaining(ROLE_ARN),
    });
    expect(roles.triesFor(NEWCOMER)).toBe(2);
    expect((await access.grant(NEWCOMER))?.status).toBe("PENDING_CONNECTION");
  });

  it("connects the account once its role trusts snaprelay with its external id", async () => {
    // Prepare
    roles.createRole(NEWCOMER, EXTERNAL_ID);

    // Act
    const connection = await connectAccount(NEWCOMER, deps);

    // Assess
    expect(connection).toEqual({
      accountId: NEWCOMER,
      status: "CONNECTED",
      roleArn: ROLE_ARN,
      connectedAt: clock.now().toISOString(),
      seeded: false,
    });
    await expect(nextRequest()).resolves.toBeUndefined();
  });

  it("checks a connected account's role again, and says what broke without taking its access", async () => {
    // Prepare
    roles.createRole(NEWCOMER, EXTERNAL_ID);
    await connectAccount(NEWCOMER, deps);
    roles.deleteRole(NEWCOMER);

    // Act
    const act = connectAccount(NEWCOMER, deps);

    // Assess
    await expect(act).rejects.toMatchObject({
      code: "AccountAccessDenied",
      message: expect.stringContaining(`external id ${EXTERNAL_ID}`),
    });
    expect((await access.grant(NEWCOMER))?.status).toBe("CONNECTED");
  });

  it("checks a seeded account's role with the deployment's external id", async () => {
    // Prepare
    roles.createRole(ACCOUNT, DEPLOYMENT_EXTERNAL_ID);

    // Act
    const connection = await connectAccount(ACCOUNT, deps);

    // Assess
    expect(connection).toMatchObject({ accountId: ACCOUNT, status: "CONNECTED", seeded: true });
    expect(roles.tries).toEqual([`${ACCOUNT} ${DEPLOYMENT_EXTERNAL_ID}`]);
  });

  it("refuses an account never approved, and snaprelay's own, without trying any role", async () => {
    // Act
    const stranger = connectAccount("444455556666", deps);
    const own = connectAccount(SERVICE_ACCOUNT, deps);

    // Assess
    await expect(stranger).rejects.toMatchObject({ code: "NotAllowlisted" });
    await expect(own).rejects.toMatchObject({ code: "ServiceAccountNotTenant" });
    expect(roles.tries).toEqual([]);
  });
});

describe("the external id snaprelay assumes each account's role with", () => {
  it("is an approved account's own, a seeded account's the deployment's", async () => {
    // Prepare
    const idOf = externalIdOf(deps.tenancy, access);

    // Act
    const ids = [await idOf(NEWCOMER), await idOf(ACCOUNT), await idOf("444455556666")];

    // Assess
    expect(ids).toEqual([EXTERNAL_ID, DEPLOYMENT_EXTERNAL_ID, DEPLOYMENT_EXTERNAL_ID]);
  });
});
