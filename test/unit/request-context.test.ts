// What the API reads of a request before any route: the caller the authorizer vouched for, a body
// within its bound, and path parameters checked like a body's fields.
import { describe, expect, it } from "vitest";
import {
  type ApiEvent,
  callerOf,
  jsonBody,
  MAX_BODY_BYTES,
  pathParameter,
} from "../../functions/api/request-context.js";

const event = (fields: Partial<ApiEvent> = {}): ApiEvent =>
  ({ headers: {}, isBase64Encoded: false, requestContext: {}, ...fields }) as ApiEvent;

const NOW = new Date("2026-12-07T12:00:00.000Z");

/** An event carrying the authorizer's verdict, as API Gateway hands it to the API. */
const vouched = (verdict: Record<string, unknown>): ApiEvent =>
  event({ requestContext: { authorizer: { lambda: verdict } } } as Partial<ApiEvent>);

const identity = {
  accountId: "111122223333",
  principalArn: "arn:aws:sts::111122223333:assumed-role/Ops/alice",
  admin: true,
  expiresAt: "2026-12-07T12:10:00.000Z",
  via: "proof",
};

describe("the caller the authorizer vouched for", () => {
  it("is read from the verdict as the authorizer gave it", () => {
    // Act
    const caller = callerOf(vouched(identity), NOW);

    // Assess
    expect(caller).toEqual(identity);
  });

  it("is an admin only when the verdict says true, as a boolean or as a string", () => {
    // Act
    const admins = [true, "true", false, "false", undefined, "yes"].map(
      (admin) => callerOf(vouched({ ...identity, admin }), NOW).admin,
    );

    // Assess
    expect(admins).toEqual([true, true, false, false, false, false]);
  });

  it("is refused with 401 once what it showed has expired, though the verdict still stands", () => {
    // Act
    const reading = () =>
      callerOf(vouched({ ...identity, expiresAt: "2026-12-07T11:59:59.000Z" }), NOW);

    // Assess
    expect(reading).toThrow(
      expect.objectContaining({
        code: "Unauthorized",
        message: expect.stringContaining("expired at 2026-12-07T11:59:59.000Z"),
      }),
    );
  });

  it("is refused when the verdict names no expiry", () => {
    // Act
    const reading = () => callerOf(vouched({ ...identity, expiresAt: undefined }), NOW);

    // Assess
    expect(reading).toThrow(
      expect.objectContaining({
        code: "Unauthorized",
        message: expect.stringContaining("expired at an unknown time"),
      }),
    );
  });

  it("is refused with the authorizer's own reason", () => {
    // Act
    const reading = () =>
      callerOf(vouched({ refusal: "Authorization refused: the session is not known." }), NOW);

    // Assess
    expect(reading).toThrow(
      expect.objectContaining({
        code: "Unauthorized",
        message: "Authorization refused: the session is not known.",
      }),
    );
  });

  it("is a 503 to retry when STS could not be asked", () => {
    // Act
    const reading = () =>
      callerOf(
        vouched({ refusal: "STS did not answer.", refusalCode: "IdentityUnavailable" }),
        NOW,
      );

    // Assess
    expect(reading).toThrow(
      expect.objectContaining({ code: "IdentityUnavailable", retryAfterSeconds: 5 }),
    );
  });

  it("is refused, saying what to send, when no authorizer spoke", () => {
    // Act
    const reading = () => callerOf(event(), NOW);

    // Assess
    expect(reading).toThrow(
      expect.objectContaining({
        code: "Unauthorized",
        message: expect.stringContaining("send a proof of your AWS identity"),
      }),
    );
  });
});

describe("a request body", () => {
  it("is read when it is within the bound", () => {
    // Act
    const body = jsonBody(event({ body: JSON.stringify({ pad: "x".repeat(1000) }) }));

    // Assess
    expect(body).toEqual({ pad: "x".repeat(1000) });
  });

  it("is refused with PayloadTooLarge past 64 KiB, before it is parsed", () => {
    // Prepare: not even JSON, so a parse would have failed otherwise
    const oversized = event({ body: `{${"x".repeat(MAX_BODY_BYTES)}` });

    // Act
    const reading = () => jsonBody(oversized);

    // Assess
    expect(reading).toThrow(
      expect.objectContaining({
        code: "PayloadTooLarge",
        message: `The request body has ${MAX_BODY_BYTES + 1} bytes; at most 65536 are read.`,
      }),
    );
  });

  it("counts a base64 body by the bytes it decodes to", () => {
    // Prepare
    const encoded = Buffer.from(JSON.stringify({ pad: "y".repeat(60_000) })).toString("base64");

    // Act
    const body = jsonBody(event({ body: encoded, isBase64Encoded: true }));

    // Assess
    expect(encoded.length).toBeGreaterThan(MAX_BODY_BYTES);
    expect(body).toEqual({ pad: "y".repeat(60_000) });
  });
});

describe("a path parameter", () => {
  it.each([
    ["snapshotId", "snap_NOT-valid", "path: snapshotId: must look like snap-0123abcd"],
    ["region", "AP-SHANGHAI", "path: region: must be a region name"],
    ["jobId", "job-1;drop", "path: jobId: must be an id of at most 128"],
    ["policyId", "p".repeat(129), "path: policyId: must be an id of at most 128"],
  ] as const)("refuses a malformed %s with 400 naming it", (name, value, said) => {
    // Act
    const reading = () => pathParameter(event({ pathParameters: { [name]: value } }), name);

    // Assess
    expect(reading).toThrow(
      expect.objectContaining({ code: "InvalidRequest", message: expect.stringContaining(said) }),
    );
  });

  it("answers a well-formed one as it is", () => {
    // Act
    const snapshotId = pathParameter(
      event({ pathParameters: { snapshotId: "snap-0123abcd" } }),
      "snapshotId",
    );

    // Assess
    expect(snapshotId).toBe("snap-0123abcd");
  });
});
