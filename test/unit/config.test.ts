// The functions' configuration: defaults, and every bad or missing variable named at once.
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig, SEED_REGIONS } from "../../functions/config.js";

const STATE_MACHINE_ARN =
  "arn:aws:states:ap-shanghai:111122223333:stateMachine:snaprelay-dev-replication";

/** The variables that have no default. */
const required = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  JOBS_TABLE: "snaprelay-dev-jobs",
  STATE_MACHINE_ARN,
  AUTH_TOKEN_SECRET_PARAMETER: "/snaprelay/dev/token-secret",
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
      authTokenSecretParameter: "/snaprelay/dev/token-secret",
      authTokenIssuer: "snaprelay",
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

  it("reads process.env when given nothing", () => {
    // Prepare
    vi.stubEnv("JOBS_TABLE", "from-process-env");
    vi.stubEnv("STATE_MACHINE_ARN", STATE_MACHINE_ARN);
    vi.stubEnv("AUTH_TOKEN_SECRET_PARAMETER", "/snaprelay/prod/token-secret");
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
    expect(message).toContain(
      "AUTH_TOKEN_SECRET_PARAMETER: required: the SSM parameter (a SecureString) that holds the secret signing API tokens",
    );
  });

  it("names every bad variable in one error", () => {
    // Act
    const message = refusal(
      required({
        STATE_MACHINE_ARN: "replication",
        AUTH_TOKEN_SECRET_PARAMETER: "token secret",
        ALLOWLISTED_ACCOUNTS: "111122223333,12345",
        POLL_MIN_SECONDS: "soon",
        COPY_START_LEASE_SECONDS: "0",
      }),
    );

    // Assess
    expect(message).toContain("STATE_MACHINE_ARN: must be a state machine ARN");
    expect(message).toContain("AUTH_TOKEN_SECRET_PARAMETER: an SSM parameter name");
    expect(message).toContain("ALLOWLISTED_ACCOUNTS[1]: 12 digits");
    expect(message).toContain("POLL_MIN_SECONDS");
    expect(message).toContain("COPY_START_LEASE_SECONDS");
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
