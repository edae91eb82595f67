// The OpenAPI document: a valid OpenAPI 3.1 document, generated from the routes' own zod schemas,
// covering every route serverless.yml gives the HTTP API, each private route behind a proof of
// identity or a session.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { openApiDocument } from "../../functions/api/openapi/document.js";
import { presentJob } from "../../functions/api/presenter.js";
import { recipeOf } from "../../functions/core/caller-proof.js";
import { historyPage } from "../../functions/core/job-history.js";
import { assertConforms } from "../support/openapi-conformance.js";
import { aCopy, aJob, executionArnOf, RecordingWorkflow } from "./fakes.js";

interface Document {
  paths: Record<string, Record<string, { security?: unknown[] }>>;
}

/** Every route serverless.yml gives the API function, as "METHOD /path". */
const routesInServerlessYml = (): string[] => {
  const config = parse(readFileSync("serverless.yml", "utf8")) as {
    functions: Record<string, { events?: { httpApi?: { method: string; path: string } }[] }>;
  };
  return Object.values(config.functions).flatMap((fn) =>
    (fn.events ?? []).flatMap((event) =>
      event.httpApi ? [`${event.httpApi.method.toUpperCase()} ${event.httpApi.path}`] : [],
    ),
  );
};

describe("the OpenAPI document", () => {
  const document = openApiDocument() as Document;

  it("validates against the OpenAPI 3.1 schema", async () => {
    // Act
    const validator = new Validator();
    const result = await validator.validate(
      structuredClone(document) as unknown as Parameters<Validator["validate"]>[0],
    );

    // Assess
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("describes every route of serverless.yml, and no route it does not serve", () => {
    // Prepare
    const served = routesInServerlessYml();
    const described = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );

    // Assess
    expect(served.length).toBeGreaterThan(10);
    expect([...described].sort()).toEqual([...served].sort());
  });

  it("asks for a proof of identity or a session on every route but /health, /openapi.json, /console and /auth, and for a proof alone to make a session", () => {
    // Assess
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const open = ["/health", "/openapi.json", "/console", "/auth"].includes(path);
        const proofOnly = method === "post" && path === "/sessions";
        expect(operation.security, `${method} ${path}`).toEqual(
          open
            ? undefined
            : proofOnly
              ? [{ awsIdentityProof: [] }]
              : [{ awsIdentityProof: [] }, { session: [] }],
        );
      }
    }
  });

  it("names the proof's scheme in the Authorization header, and the session as a bearer token", () => {
    // Prepare
    const schemes = (document as { components?: { securitySchemes?: Record<string, unknown> } })
      .components?.securitySchemes;

    // Assess
    expect(schemes?.awsIdentityProof).toMatchObject({
      type: "apiKey",
      in: "header",
      name: "Authorization",
      description: expect.stringContaining("SnapRelay-STS"),
    });
    expect(schemes?.session).toMatchObject({ type: "http", scheme: "bearer" });
    expect(JSON.stringify(schemes)).not.toContain("JWT");
  });

  it("holds the recipe GET /auth gives", () => {
    // Prepare
    const recipe = recipeOf({
      stsEndpoints: ["https://sts.eu-west-1.amazonaws.com"],
      audience: "snaprelay-prod",
    });

    // Act
    const conforms = () =>
      assertConforms({ method: "GET", path: "/auth", status: 200, responseBody: recipe });

    // Assess
    expect(conforms).not.toThrow();
  });

  it("holds a job body as the API presents it, and refuses one that breaks it", () => {
    // Prepare
    const job = aJob({
      status: "CANCELLED",
      copies: [aCopy("ap-mumbai", { status: "CANCELLED" })],
      cancellation: { by: "123456789012", at: "2026-12-03T10:00:00.000Z" },
    });
    const body = presentJob(job, { "ap-mumbai": 0 });
    const exchange = { method: "GET", path: `/replications/${job.jobId}`, status: 200 };

    // Act
    const good = () => assertConforms({ ...exchange, responseBody: body });
    const bad = () =>
      assertConforms({ ...exchange, responseBody: { ...body, status: "SOMEWHERE" } });
    const unlisted = () => assertConforms({ ...exchange, status: 418, responseBody: body });

    // Assess
    expect(good).not.toThrow();
    expect(bad).toThrow(/answer 200 does not match the document: .*status/);
    expect(unlisted).toThrow(/answered 418, which the document does not list/);
  });

  it("holds a page of history as the route gives it, its errors snaprelay's codes only", async () => {
    // Prepare: a step that Lambda failed, then the job's cancel.
    const job = aJob({ executionArn: executionArnOf("job-1") });
    const workflow = new RecordingWorkflow();
    workflow.histories.set(executionArnOf("job-1"), [
      { id: 1, previousEventId: 0, at: "2026-12-03T10:00:00.000Z", type: "ExecutionStarted" },
      {
        id: 2,
        previousEventId: 1,
        at: "2026-12-03T10:00:01.000Z",
        type: "TaskStateEntered",
        stateName: "Validate",
      },
      {
        id: 3,
        previousEventId: 2,
        at: "2026-12-03T10:00:02.000Z",
        type: "LambdaFunctionFailed",
        error: "Lambda.ServiceException",
        cause: "arn:aws:lambda:ap-shanghai:999988887777:function:x failed",
      },
      {
        id: 4,
        previousEventId: 3,
        at: "2026-12-03T10:00:03.000Z",
        type: "ExecutionAborted",
        error: "Cancelled",
        cause: "Job job-1 was cancelled by account 111122223333.",
      },
    ]);
    const page = await historyPage(job, { limit: 2 }, workflow);
    const exchange = { method: "GET", path: "/replications/job-1/history", status: 200 };
    const entry = page.entries[0];

    // Act
    const good = () => assertConforms({ ...exchange, responseBody: { jobId: "job-1", ...page } });
    const raw = () =>
      assertConforms({
        ...exchange,
        responseBody: { jobId: "job-1", entries: [{ ...entry, error: "Lambda.ServiceException" }] },
      });

    // Assess
    expect(page.nextToken).toBeDefined();
    expect(good).not.toThrow();
    expect(raw).toThrow(/answer 200 does not match the document: .*error/);
  });
});
