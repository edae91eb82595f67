// The functions' configuration: defaults, and every bad or missing variable named at once.
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig, SEED_REGIONS } from "../../functions/config.js";

const STATE_MACHINE_ARN =
  "arn:aws:states:ap-shanghai:111122223333:stateMachine:snaprelay-dev-replication";

/** The variables that have no default. */
const required = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  JOBS_TABLE: "snaprelay-dev-jobs",
  STATE_MACHINE_ARN,
  ...extra,
});

const refusal = (env: NodeJS.ProcessEnv): string => {
  try {
    loadConfig(env);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("the configuration was accepted");
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("loading the configuration", () => {
  it("fills in the defaults around the required variables", () => {
    // Act
    const config = loadConfig(required());

    // Assess
    expect(config).toEqual({
      jobsTable: "snaprelay-dev-jobs",
      stateMachineArn: STATE_MACHINE_ARN,
      supportedRegions: [...SEED_REGIONS],
      allowlistedAccounts: [],
      authStsEndpoints: ["https://sts.amazonaws.com"],
      authAudience: "snaprelay",
      adminPrincipals: [],
      pollMinSeconds: 15,
      pollMaxSeconds: 86_400,
      assumedCopyMiBPerSecond: 100,
      copyStartLeaseSeconds: 120,
      snapshotQuotaPerRegion: 100_000,
      copyStallSeconds: 7_200,
      sweepStartGraceSeconds: 30,
      sweepCheckSeconds: 900,
      sweepGiveUpSeconds: 3_600,
      serviceAccountId: expect.stringMatching(/^\d{12}$/),
      partition: "aws",
      copySlots: { default: 20, byRegion: {} },
      clockSpeed: 1,
      clockOrigin: 0,
      accountRoleName: "snaprelay-access",
      accountRoleExternalId: undefined,
      accountLimits: {
        requestsPerSecond: 50,
        jobsInFlight: 2_000,
        policies: 100,
        volumesPerRun: 500,
        minScheduleMinutes: 60,
      },
    });
  });

  it("defaults to the seed's seven regions", () => {
    // Act
    const { supportedRegions } = loadConfig(required());

    // Assess
    expect(supportedRegions).toEqual([
      "ap-beijing",
      "ap-shanghai",
      "ap-guangzhou",
      "ap-chengdu",
      "ap-chongqing",
      "ap-mumbai",
      "ap-guangzhou-open",
    ]);
  });

  it("reads lists separated by commas, spaces or both", () => {
    // Act
    const config = loadConfig(
      required({
        SUPPORTED_REGIONS: "us-east-1, eu-west-1 ap-south-1,",
        ALLOWLISTED_ACCOUNTS: "222233334444,444455556666",
      }),
    );

    // Assess
    expect(config.supportedRegions).toEqual(["us-east-1", "eu-west-1", "ap-south-1"]);
    expect(config.allowlistedAccounts).toEqual(["222233334444", "444455556666"]);
  });

  it("refuses to seed the account snaprelay is deployed in as a tenant, naming it", () => {
    // Act
    const message = refusal(required({ ALLOWLISTED_ACCOUNTS: "444455556666,111122223333" }));

    // Assess
    expect(message).toContain("ALLOWLISTED_ACCOUNTS names 111122223333");
    expect(message).toContain("the account snaprelay is deployed in (STATE_MACHINE_ARN's)");
  });

  it("reads an empty allowlist as nobody, as serverless.yml's default gives it", () => {
    // Act
    const config = loadConfig(required({ ALLOWLISTED_ACCOUNTS: "" }));

    // Assess
    expect(config.allowlistedAccounts).toEqual([]);
  });

  it("reads the numbers it is given", () => {
    // Act
    const config = loadConfig(
      required({ POLL_MIN_SECONDS: "5", POLL_MAX_SECONDS: "60", COPY_START_LEASE_SECONDS: "300" }),
    );

    // Assess
    expect(config).toMatchObject({
      pollMinSeconds: 5,
      pollMaxSeconds: 60,
      copyStartLeaseSeconds: 300,
    });
  });

  it("reads a copy slot limit for every region, and limits for regions set apart", () => {
    // Act
    const config = loadConfig(required({ COPY_SLOTS_PER_REGION: "15, ap-mumbai=50,ap-beijing=5" }));

    // Assess
    expect(config.copySlots).toEqual({
      default: 15,
      byRegion: { "ap-mumbai": 50, "ap-beijing": 5 },
    });
  });

  it("refuses a copy slot limit that is not a whole number, saying what is allowed", () => {
    // Act
    const message = refusal(required({ COPY_SLOTS_PER_REGION: "20,ap-mumbai=lots" }));

    // Assess
    expect(message).toContain("COPY_SLOTS_PER_REGION");
    expect(message).toContain("'ap-mumbai=lots' is not a slot limit");
    expect(message).toContain("e.g. 20,ap-mumbai=50");
  });

  it("reads the deployment's own account and partition from its state machine's ARN", () => {
    // Act
    const config = loadConfig(
      required({
        STATE_MACHINE_ARN: "arn:aws-cn:states:cn-north-1:210987654321:stateMachine:snaprelay",
      }),
    );

    // Assess
    expect(config.serviceAccountId).toBe("210987654321");
    expect(config.partition).toBe("aws-cn");
  });

  it("reads the STS endpoints proofs are sent to, the audience, and the admins", () => {
    // Act
    const config = loadConfig(
      required({
        AUTH_STS_ENDPOINTS: "https://sts.eu-west-1.amazonaws.com, https://sts.amazonaws.com",
        AUTH_AUDIENCE: "snaprelay-prod",
        ADMIN_PRINCIPALS:
          "arn:aws:iam::111122223333:role/ops/Admin arn:aws:iam::111122223333:user/alice",
      }),
    );

    // Assess
    expect(config.authStsEndpoints).toEqual([
      "https://sts.eu-west-1.amazonaws.com",
      "https://sts.amazonaws.com",
    ]);
    expect(config.authAudience).toBe("snaprelay-prod");
    expect(config.adminPrincipals).toEqual([
      "arn:aws:iam::111122223333:role/ops/Admin",
      "arn:aws:iam::111122223333:user/alice",
    ]);
  });

  it("takes a plain-http STS endpoint on this machine only, for the local cloud", () => {
    // Act
    const config = loadConfig(required({ AUTH_STS_ENDPOINTS: "http://127.0.0.1:4566" }));

    // Assess
    expect(config.authStsEndpoints).toEqual(["http://127.0.0.1:4566"]);
  });

  it("reads process.env when given nothing", () => {
    // Prepare
    vi.stubEnv("JOBS_TABLE", "from-process-env");
    vi.stubEnv("STATE_MACHINE_ARN", STATE_MACHINE_ARN);
    vi.stubEnv("POLL_MIN_SECONDS", "20");
    vi.stubEnv("POLL_MAX_SECONDS", undefined);

    // Act
    const config = loadConfig();

    // Assess
    expect(config.jobsTable).toBe("from-process-env");
    expect(config.pollMinSeconds).toBe(20);
  });
});

describe("a configuration that is wrong", () => {
  it("names every missing variable in one error", () => {
    // Act
    const message = refusal({});

    // Assess
    expect(message).toMatch(/^snaprelay configuration is invalid: /);
    expect(message).toContain("JOBS_TABLE: required: the DynamoDB table that holds jobs");
    expect(message).toContain(
      "STATE_MACHINE_ARN: required: the ARN of the replication state machine",
    );
  });

  it("names every bad variable in one error", () => {
    // Act
    const message = refusal(
      required({
        STATE_MACHINE_ARN: "replication",
        AUTH_AUDIENCE: "snap relay",
        ALLOWLISTED_ACCOUNTS: "111122223333,12345",
        POLL_MIN_SECONDS: "soon",
        COPY_START_LEASE_SECONDS: "0",
      }),
    );

    // Assess
    expect(message).toContain("STATE_MACHINE_ARN: must be a state machine ARN");
    expect(message).toContain("AUTH_AUDIENCE: 1 to 128 of letters, digits and _.:/-");
    expect(message).toContain("ALLOWLISTED_ACCOUNTS[1]: 12 digits");
    expect(message).toContain("POLL_MIN_SECONDS");
    expect(message).toContain("COPY_START_LEASE_SECONDS");
  });

  it("refuses an STS endpoint that is not STS's own origin, saying what one looks like", () => {
    // Act
    const message = refusal(
      required({
        AUTH_STS_ENDPOINTS:
          "https://sts.amazonaws.com,http://sts.amazonaws.com,https://sts.example.com,https://sts.amazonaws.com/",
      }),
    );

    // Assess
    for (const index of [1, 2, 3]) {
      expect(message).toContain(
        `AUTH_STS_ENDPOINTS[${index}]: an STS endpoint's origin, such as https://sts.eu-west-1.amazonaws.com`,
      );
    }
    expect(message).not.toContain("AUTH_STS_ENDPOINTS[0]");
  });

  it("refuses an empty list of STS endpoints", () => {
    // Act
    const message = refusal(required({ AUTH_STS_ENDPOINTS: " , " }));

    // Assess
    expect(message).toContain("AUTH_STS_ENDPOINTS: at least one STS endpoint");
  });

  it("refuses an admin named by anything but a principal's ARN", () => {
    // Act
    const message = refusal(
      required({ ADMIN_PRINCIPALS: "arn:aws:iam::111122223333:root,111122223333" }),
    );

    // Assess
    expect(message).toContain(
      "ADMIN_PRINCIPALS[1]: an IAM user, role or root ARN, such as arn:aws:iam::123456789012:role/OpsAdmin",
    );
    expect(message).not.toContain("ADMIN_PRINCIPALS[0]");
  });

  it("refuses an empty list of supported regions", () => {
    // Act
    const message = refusal(required({ SUPPORTED_REGIONS: " , " }));

    // Assess
    expect(message).toContain("SUPPORTED_REGIONS: at least one region");
  });

  it("refuses a supported region that is not a region name", () => {
    // Act
    const message = refusal(required({ SUPPORTED_REGIONS: "ap-shanghai,Mumbai" }));

    // Assess
    expect(message).toContain("SUPPORTED_REGIONS[1]");
  });

  it("refuses a poll maximum below the poll minimum, with both values", () => {
    // Act
    const message = refusal(required({ POLL_MIN_SECONDS: "30", POLL_MAX_SECONDS: "20" }));

    // Assess
    expect(message).toBe(
      "snaprelay configuration is invalid: POLL_MAX_SECONDS (20) is below POLL_MIN_SECONDS (30)",
    );
  });

  it("refuses a poll maximum below the default minimum", () => {
    // Act
    const message = refusal(required({ POLL_MAX_SECONDS: "10" }));

    // Assess
    expect(message).toContain("POLL_MAX_SECONDS (10) is below POLL_MIN_SECONDS (15)");
  });

  it("accepts a poll maximum equal to the minimum", () => {
    // Act
    const config = loadConfig(required({ POLL_MIN_SECONDS: "30", POLL_MAX_SECONDS: "30" }));

    // Assess
    expect(config.pollMaxSeconds).toBe(30);
  });
});
