// What the state machine hands the steps, and the caught error turned back into the job's error.
import { describe, expect, it } from "vitest";
import { CopyInput, FailInput, failureFromCatch } from "../../functions/steps/step-input.js";

describe("the failure a Catch passes on", () => {
  it("takes the errorMessage out of a Lambda error's JSON cause", () => {
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
    const failure = failureFromCatch(caught);

    // Assess
    expect(failure).toEqual({
      code: "CopyFailed",
      message: "Copy snap-copy0001 in ap-mumbai failed: bad block.",
    });
  });

  it("keeps a plain-text cause as it came", () => {
    // Prepare
    const caught = { Error: "States.Timeout", Cause: "The task timed out after 30 seconds." };

    // Act
    const failure = failureFromCatch(caught);

    // Assess
    expect(failure).toEqual({
      code: "States.Timeout",
      message: "The task timed out after 30 seconds.",
    });
  });

  it("keeps a JSON cause that has no errorMessage as it came", () => {
    // Prepare
    const cause = JSON.stringify({ reason: "unknown" });

    // Act
    const failure = failureFromCatch({ Error: "States.Runtime", Cause: cause });

    // Assess
    expect(failure.message).toBe(cause);
  });

  it("says which error it was when there is no cause at all", () => {
    // Act
    const failure = failureFromCatch({ Error: "States.Runtime" });

    // Assess
    expect(failure).toEqual({
      code: "States.Runtime",
      message: "The step failed with States.Runtime.",
    });
  });

  it("says which error it was when the Lambda error's message is empty", () => {
    // Act
    const failure = failureFromCatch({
      Error: "Error",
      Cause: JSON.stringify({ errorType: "Error", errorMessage: "" }),
    });

    // Assess
    expect(failure.message).toBe("The step failed with Error.");
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
