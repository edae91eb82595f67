// What a tenant reads of an error its job's execution met: snaprelay's codes and messages only,
// never a stack trace, a JavaScript class, or an ARN of the service's account.
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../functions/core/errors.js";
import {
  CANCELLED_EXECUTION_ERROR,
  MAX_TENANT_CAUSE_LENGTH,
  tenantCause,
  withoutForeignArns,
} from "../../functions/core/tenant-cause.js";

const TENANT = "111122223333";
const SERVICE = "999988887777";
const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({
    errorType,
    errorMessage,
    trace: [`${errorType}: ${errorMessage}`, "    at startCopy (/var/task/index.mjs:12:7)"],
  });

describe("an error of snaprelay's own", () => {
  it("keeps its code and the errorMessage of a Lambda's cause, never its trace or type", () => {
    // Act
    const shown = tenantCause(
      "CopyFailed",
      lambdaCause("CopyFailed", "Copy snap-1 in ap-mumbai failed: the source is gone."),
      TENANT,
    );

    // Assess
    expect(shown).toEqual({
      error: "CopyFailed",
      cause: "Copy snap-1 in ap-mumbai failed: the source is gone.",
    });
  });

  it("keeps a cause snaprelay wrote as plain text (SendTaskFailure, a Fail state)", () => {
    // Act
    const shown = tenantCause("SnapshotNotFound", "No snapshot snap-9 in ap-shanghai.", TENANT);

    // Assess
    expect(shown).toEqual({
      error: "SnapshotNotFound",
      cause: "No snapshot snap-9 in ap-shanghai.",
    });
  });

  it("says only the code when the cause holds no message", () => {
    // Assess
    expect(tenantCause("CopyStalled", undefined, TENANT).cause).toBe(
      "The step failed with CopyStalled.",
    );
    expect(tenantCause("CopyStalled", '{"trace":["at x"]}', TENANT).cause).toBe(
      "The step failed with CopyStalled.",
    );
  });

  it("names the Fail state's AllCopiesFailed as a code of its own", () => {
    // Act
    const shown = tenantCause("AllCopiesFailed", "No destination received a copy.", TENANT);

    // Assess
    expect(shown.error).toBe("AllCopiesFailed");
    expect(Object.keys(ERROR_CODES)).toContain("AllCopiesFailed");
  });

  it("hides the ARNs of the service's account in its message, and keeps the caller's own", () => {
    // Prepare
    const message = `ServiceBusy: DynamoDB throttled arn:aws:dynamodb:ap-shanghai:${SERVICE}:table/snaprelay-jobs; role arn:aws:iam::${TENANT}:role/snaprelay-access was used.`;

    // Act
    const shown = tenantCause("ServiceBusy", lambdaCause("ServiceBusy", message), TENANT);

    // Assess
    expect(shown.cause).toBe(
      `ServiceBusy: DynamoDB throttled (internal); role arn:aws:iam::${TENANT}:role/snaprelay-access was used.`,
    );
  });

  it("cuts a message longer than it shows", () => {
    // Act
    const shown = tenantCause("CopyFailed", "x".repeat(2000), TENANT);

    // Assess
    expect(shown.cause).toHaveLength(MAX_TENANT_CAUSE_LENGTH);
    expect(shown.cause.endsWith("…")).toBe(true);
  });
});

describe("an error that is not snaprelay's", () => {
  it.each([
    ["Lambda.ServiceException", "ServiceBusy", /AWS Lambda could not run this step for a moment/],
    ["Lambda.TooManyRequestsException", "ServiceBusy", /a passing fault of the service/],
    ["Lambda.Unknown", "InternalError", /stopped before it answered/],
    ["Sandbox.Timedout", "InternalError", /stopped before it answered/],
    ["Lambda.KMSAccessDeniedException", "InternalError", /AWS Lambda could not run this step\./],
    ["States.Timeout", "StepTimedOut", /took longer than its time limit/],
    ["States.HeartbeatTimeout", "StepTimedOut", /took longer than its time limit/],
    ["States.TaskFailed", "InternalError", /Step Functions could not run this step/],
    ["States.Runtime", "InternalError", /Step Functions could not run this step/],
    ["MapStateFailed", "InternalError", /ended every copy of the job/],
    ["Error", "InternalError", /failed unexpectedly/],
    ["TypeError", "InternalError", /failed unexpectedly/],
    ["LambdaFunctionFailed", "InternalError", /failed unexpectedly/],
  ])("reads %s as %s with a fixed message", (error, code, message) => {
    // Prepare: the raw cause names the service's ARNs and carries a stack.
    const raw = lambdaCause(
      error,
      `Lambda was unable to invoke arn:aws:lambda:ap-shanghai:${SERVICE}:function:snaprelay-start-copy`,
    );

    // Act
    const shown = tenantCause(error, raw, TENANT);

    // Assess
    expect(shown.error).toBe(code);
    expect(shown.cause).toMatch(message);
    expect(shown.cause).toMatch(/\.$/);
    expect(shown.cause).not.toContain(SERVICE);
    expect(shown.cause).not.toContain("at startCopy");
    expect(Object.keys(ERROR_CODES)).toContain(shown.error);
  });

  it("gives every fixed message in words, with no ARN, trace or JSON", () => {
    // Act
    const shown = tenantCause(
      "Lambda.ServiceException",
      `Lambda.ServiceException: arn:aws:lambda:ap-shanghai:${SERVICE}:function:x (Service: Lambda, Status Code: 500)`,
      TENANT,
    );

    // Assess
    expect(shown.cause).not.toMatch(/arn:|[{}[\]]|Status Code/);
  });
});

describe("a job's execution stopped because the job was cancelled", () => {
  it("reads as JobCancelled with the cause snaprelay gave the stop", () => {
    // Act
    const shown = tenantCause(
      CANCELLED_EXECUTION_ERROR,
      `Job job-1 was cancelled by account ${TENANT}.`,
      TENANT,
    );

    // Assess
    expect(shown).toEqual({
      error: "JobCancelled",
      cause: `Job job-1 was cancelled by account ${TENANT}.`,
    });
  });
});

describe("ARNs in a message", () => {
  it("are replaced unless they are of the caller's account, in every partition", () => {
    // Act
    const text = withoutForeignArns(
      `a arn:aws-cn:states:cn-north-1:${SERVICE}:execution:m:job-1, b arn:aws:s3:::bucket/key, c (arn:aws:ec2:ap-mumbai:${TENANT}:snapshot/snap-1)`,
      TENANT,
    );

    // Assess
    expect(text).toBe(
      `a (internal), b (internal), c (arn:aws:ec2:ap-mumbai:${TENANT}:snapshot/snap-1)`,
    );
  });
});
