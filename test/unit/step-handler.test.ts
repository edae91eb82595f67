// What a step throws: a named error as it is; an AWS service busy past the SDK's retries as
// ServiceBusy, which the state machine retries; anything else unchanged, for its Catch.
import { ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../functions/core/errors.js";
import { asNamedError } from "../../functions/steps/step-handler.js";

const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: "The level of configured provisioned throughput for the table was exceeded.",
    $metadata: {},
  });

describe("an error a step throws", () => {
  it("becomes ServiceBusy when DynamoDB throttled the step past the SDK's retries", () => {
    const error = asNamedError("Validate", throttled());

    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("ServiceBusy");
    expect((error as DomainError).message).toContain(
      "Validate: a service it calls is busy (ProvisionedThroughputExceededException",
    );
  });

  it("becomes ServiceBusy when Step Functions throttled it (its SendTaskSuccess, say)", () => {
    // As the SDK reports Step Functions' throttling: by name, with no class of its own.
    const throttling = Object.assign(new Error("Rate exceeded"), {
      name: "ThrottlingException",
      $metadata: { httpStatusCode: 400 },
    });

    const error = asNamedError("FinalizeCopy", throttling);

    expect((error as DomainError).code).toBe("ServiceBusy");
  });

  it("stays as it is when it is already named", () => {
    const named = new DomainError("CloudThrottled", "EC2 throttled the call.");

    expect(asNamedError("StartCopy", named)).toBe(named);
  });

  it("stays as it is when it is no passing trouble, so the Catch records it", () => {
    const bug = new TypeError("Cannot read properties of undefined");

    expect(asNamedError("PollCopy", bug)).toBe(bug);
  });
});
