// What the API answers when things go wrong: the contract's error body with the right status, a
// 503 ServiceBusy with Retry-After for a busy moment, and never a stack trace or error object.
import {
  InternalServerError,
  ProvisionedThroughputExceededException,
} from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { answerInTime, errorResponse, json } from "../../functions/api/http.js";
import { DomainError, ERROR_CODE_LIST, httpStatusOf } from "../../functions/core/errors.js";

const REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001";
const bodyOf = (response: { body?: string }) => JSON.parse(response.body ?? "{}");

describe("an error answer", () => {
  it("gives a domain error its status and the contract's body", () => {
    // Act
    const response = errorResponse(
      new DomainError("NameTooLong", "The name has 61 characters; at most 60 are allowed."),
      REQUEST_ID,
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({
      error: {
        code: "NameTooLong",
        message: "The name has 61 characters; at most 60 are allowed.",
      },
    });
  });

  it("answers ServiceBusy with 503 and Retry-After", () => {
    // Act
    const response = errorResponse(new DomainError("ServiceBusy", "busy"), REQUEST_ID);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ "retry-after": "5" });
    expect(bodyOf(response).error.code).toBe("ServiceBusy");
  });

  it("answers the cloud's throttling as 503 ServiceBusy, not as a conflict", () => {
    // Act
    const response = errorResponse(
      new DomainError(
        "CloudThrottled",
        "Describing snap-1 in ap-mumbai: EC2 throttled the request.",
      ),
      REQUEST_ID,
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response).error.code).toBe("ServiceBusy");
    expect(response.headers).toMatchObject({ "retry-after": "5" });
  });

  it.each([
    [
      "a throttled DynamoDB call",
      new ProvisionedThroughputExceededException({
        message: "Throughput exceeds the current capacity",
        $metadata: { httpStatusCode: 400 },
      }),
    ],
    [
      "a DynamoDB server error",
      new InternalServerError({ message: "Internal error", $metadata: { httpStatusCode: 500 } }),
    ],
    ["a call that timed out", Object.assign(new Error("socket hang up"), { name: "TimeoutError" })],
  ])("answers %s as 503 ServiceBusy, quoting the request id", (_case, error) => {
    // Act
    const response = errorResponse(error, REQUEST_ID);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ "retry-after": "5" });
    expect(bodyOf(response).error).toEqual({
      code: "ServiceBusy",
      message: expect.stringContaining(REQUEST_ID),
    });
  });

  it("answers an unexpected error with 500 quoting the request id, and none of the error", () => {
    // Prepare
    const error = new TypeError("Cannot read properties of undefined (reading 'copies')");

    // Act
    const response = errorResponse(error, REQUEST_ID);

    // Assess
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({
      error: { code: "InternalError", message: expect.stringContaining(REQUEST_ID) },
    });
    expect(response.body).not.toMatch(/TypeError|copies|stack|at /);
  });
});

describe("an answer in time", () => {
  it("is the route's own answer when it is ready before the deadline", async () => {
    // Act
    const response = await answerInTime(new Date(Date.now() + 1_000), async () =>
      json(200, { ok: true }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
  });

  it("is ServiceBusy when the route is not done by the deadline", async () => {
    // Prepare
    const never = () => new Promise<never>(() => {});

    // Act
    const answering = answerInTime(new Date(Date.now() + 50), never);

    // Assess
    await expect(answering).rejects.toMatchObject({ code: "ServiceBusy" });
  });
});

describe("the status of each domain error", () => {
  it.each(ERROR_CODE_LIST)("answers %s with the status the error table gives it", (code) => {
    // Act
    const response = errorResponse(new DomainError(code, `${code} happened.`), REQUEST_ID);

    // Assess
    expect(response.statusCode).toBe(httpStatusOf(code));
    expect(bodyOf(response).error.message).toBe(`${code} happened.`);
  });
});
