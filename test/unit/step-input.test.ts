// What the state machine hands the steps, and the caught error turned back into the job's error.
import { describe, expect, it } from "vitest";
import { CopyInput, FailInput, failureFromCatch } from "../../functions/steps/step-input.js";

describe("the failure a Catch passes on, as the job records it", () => {
  const ACCOUNT = "111122223333";

  it("takes the errorMessage out of a Lambda error's JSON cause, never its trace", () => {
    // Prepare
    const caught = {
      Error: "CopyFailed",
      Cause: JSON.stringify({
        errorType: "CopyFailed",
        errorMessage: "Copy snap-copy0001 in ap-mumbai failed: bad block.",
        trace: ["CopyFailed: Copy snap-copy0001 …", "    at pollCopy (poll-copy.js:38:11)"],
      }),
    };

    // Act
    const failure = failureFromCatch(caught, ACCOUNT);

    // Assess
    expect(failure).toEqual({
      code: "CopyFailed",
      message: "Copy snap-copy0001 in ap-mumbai failed: bad block.",
    });
  });

  it("records a step that ran past its time as StepTimedOut, in plain words", () => {
    // Prepare
    const caught = { Error: "States.Timeout", Cause: "The task timed out after 30 seconds." };

    // Act
    const failure = failureFromCatch(caught, ACCOUNT);

    // Assess
    expect(failure.code).toBe("StepTimedOut");
    expect(failure.message).toMatch(/took longer than its time limit/);
  });

  it("records Step Functions' and Lambda's own errors as InternalError, without their text", () => {
    // Act
    const failures = [
      failureFromCatch(
        { Error: "States.Runtime", Cause: JSON.stringify({ reason: "x" }) },
        ACCOUNT,
      ),
      failureFromCatch(
        {
          Error: "Lambda.Unknown",
          Cause:
            "The cause could not be determined because Lambda did not return an error type. arn:aws:lambda:us-east-1:999988887777:function:snaprelay-dev-startCopy",
        },
        ACCOUNT,
      ),
      failureFromCatch(
        { Error: "TypeError", Cause: JSON.stringify({ errorMessage: "x is undefined" }) },
        ACCOUNT,
      ),
    ];

    // Assess
    expect(failures.map((failure) => failure.code)).toEqual([
      "InternalError",
      "InternalError",
      "InternalError",
    ]);
    for (const failure of failures) {
      expect(failure.message).not.toMatch(/arn:|undefined|reason/);
      expect(failure.message).toMatch(/logs hold the details/);
    }
  });

  it("keeps the account's own ARNs in snaprelay's messages, and hides the service's", () => {
    // Act
    const failure = failureFromCatch(
      {
        Error: "AccountAccessDenied",
        Cause: JSON.stringify({
          errorMessage: `Create arn:aws:iam::${ACCOUNT}:role/snaprelay-access trusting arn:aws:iam::999988887777:root.`,
        }),
      },
      ACCOUNT,
    );

    // Assess
    expect(failure.message).toBe(
      `Create arn:aws:iam::${ACCOUNT}:role/snaprelay-access trusting (internal).`,
    );
  });

  it("says which error it was when the Lambda error's message is empty", () => {
    // Act
    const failure = failureFromCatch(
      { Error: "CopyFailed", Cause: JSON.stringify({ errorType: "CopyFailed", errorMessage: "" }) },
      ACCOUNT,
    );

    // Assess
    expect(failure.message).toBe("The step failed with CopyFailed.");
  });
});

describe("the steps' inputs", () => {
  it("reads the Fail input of a copy and of a whole job", () => {
    // Act
    const forCopy = FailInput.parse({
      jobId: "job-1",
      destinationRegion: "ap-mumbai",
      error: { Error: "CopyFailed", Cause: "x" },
    });
    const forJob = FailInput.parse({ jobId: "job-1", error: { Error: "States.Timeout" } });

    // Assess
    expect(forCopy.destinationRegion).toBe("ap-mumbai");
    expect(forJob.destinationRegion).toBeUndefined();
  });

  it("refuses a copy input without a valid destination region", () => {
    // Act
    const results = [
      CopyInput.safeParse({ jobId: "job-1" }).success,
      CopyInput.safeParse({ jobId: "job-1", destinationRegion: "Mumbai" }).success,
      CopyInput.safeParse({ jobId: "", destinationRegion: "ap-mumbai" }).success,
    ];

    // Assess
    expect(results).toEqual([false, false, false]);
  });
});
