// What the API reads of a request before any route: a body within its bound, and path parameters
// checked like a body's fields.
import { describe, expect, it } from "vitest";
import {
  type ApiEvent,
  jsonBody,
  MAX_BODY_BYTES,
  pathParameter,
} from "../../functions/api/request-context.js";

const event = (fields: Partial<ApiEvent> = {}): ApiEvent =>
  ({ headers: {}, isBase64Encoded: false, requestContext: {}, ...fields }) as ApiEvent;

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
