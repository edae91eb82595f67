// Named errors: the code is the name Lambda reports and the state machine matches.
import { describe, expect, it } from "vitest";
import {
  DomainError,
  ERROR_CODE_LIST,
  errorMessage,
  httpStatusOf,
  isDomainError,
  isRejection,
  REJECTION_CODES,
} from "../../functions/core/errors.js";

describe("a domain error", () => {
  it("carries its code as its name, so Lambda reports it as the error type", () => {
    // Prepare
    const cause = new Error("EC2 said no");

    // Act
    const error = new DomainError("CopyFailed", "The copy failed.", { cause });

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("CopyFailed");
    expect(error.code).toBe("CopyFailed");
    expect(error.message).toBe("The copy failed.");
    expect(error.cause).toBe(cause);
  });

  it("is recognised by code, and not taken for another code", () => {
    // Prepare
    const error = new DomainError("CopyFailed", "x");

    // Act
    const answers = [
      isDomainError(error),
      isDomainError(error, "CopyFailed"),
      isDomainError(error, "CopyStalled"),
      isDomainError(new Error("x")),
    ];

    // Assess
    expect(answers).toEqual([true, true, false, false]);
  });

  it("rejects a job for a broken rule or a snapshot that cannot be copied, and nothing else", () => {
    // Act
    const rejections = [...REJECTION_CODES].sort();

    // Assess
    expect(rejections).toEqual([
      "AccountAccessDenied",
      "AccountNotConnected",
      "AccountRevoked",
      "InvalidDestination",
      "InvalidRequest",
      "NameTooLong",
      "NotAllowlisted",
      "QuotaExceeded",
      "ServiceAccountNotTenant",
      "SnapshotNotFound",
      "SnapshotNotReady",
      "UnsupportedRegion",
    ]);
  });

  it.each(ERROR_CODE_LIST)("gives %s an HTTP error status of its own", (code) => {
    // Act
    const status = httpStatusOf(code);

    // Assess
    expect(Number.isInteger(status)).toBe(true);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
  });

  it.each(REJECTION_CODES)("counts %s as a rejection of the job", (code) => {
    // Act
    const rejected = isRejection(new DomainError(code, "x"));

    // Assess
    expect(rejected).toBe(true);
  });

  it.each([
    "CopyFailed",
    "CloudThrottled",
    "IllegalTransition",
    "JobNotFound",
    "WorkflowUnavailable",
  ] as const)("does not count %s as a rejection: the job did not break a rule", (code) => {
    // Act
    const rejected = isRejection(new DomainError(code, "x"));

    // Assess
    expect(rejected).toBe(false);
  });

  it("does not count a plain error named like a rejection", () => {
    // Prepare
    const error = new Error("x");
    error.name = "SnapshotNotFound";

    // Act
    const rejected = isRejection(error);

    // Assess
    expect(rejected).toBe(false);
  });

  it("gives the message of an error, and the text of anything else thrown", () => {
    // Act
    const messages = [errorMessage(new Error("boom")), errorMessage("plain"), errorMessage(42)];

    // Assess
    expect(messages).toEqual(["boom", "plain", "42"]);
  });
});
