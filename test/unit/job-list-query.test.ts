// How a listing reads the jobs table: the index, key condition and filter for each combination
// of filters, and page tokens that only the listing which gave them takes back.
import { describe, expect, it } from "vitest";
import {
  decodePageToken,
  encodePageToken,
  listPlan,
} from "../../functions/adapters/dynamodb/job-list-query.js";

const ACCOUNT = "111122223333";

/** The expression with its placeholders filled in, to read as DynamoDB would. */
const spelled = (expression: string | undefined, plan: ReturnType<typeof listPlan>) =>
  (expression ?? "").replace(/[#:][a-z]\d+/g, (placeholder) =>
    placeholder.startsWith("#")
      ? String(plan.query.ExpressionAttributeNames?.[placeholder])
      : JSON.stringify(plan.query.ExpressionAttributeValues?.[placeholder]),
  );

describe("a listing of an account's jobs", () => {
  it("reads the account index, with no filter and no second read, when nothing is filtered", () => {
    // Act
    const plan = listPlan(ACCOUNT, {});

    // Assess
    expect(plan.query.IndexName).toBe("byAccount");
    expect(spelled(plan.query.KeyConditionExpression, plan)).toBe(`gsi1pk = "ACCOUNT#${ACCOUNT}"`);
    expect(plan.query.FilterExpression).toBeUndefined();
    expect(plan.readsItems).toBe(false);
  });

  it("reads the status index for a status, keyed by account and status", () => {
    // Act
    const plan = listPlan(ACCOUNT, { status: "FAILED" });

    // Assess
    expect(plan.query.IndexName).toBe("byAccountStatus");
    expect(spelled(plan.query.KeyConditionExpression, plan)).toBe(
      `gsi3pk = "ACCOUNT#${ACCOUNT}#STATUS#FAILED"`,
    );
    expect(plan.query.FilterExpression).toBeUndefined();
    expect(plan.readsItems).toBe(true);
  });

  it("reads the snapshot index for a snapshot, keyed by account and snapshot", () => {
    // Act
    const plan = listPlan(ACCOUNT, { snapshotId: "snap-0abc" });

    // Assess
    expect(plan.query.IndexName).toBe("byAccountSnapshot");
    expect(spelled(plan.query.KeyConditionExpression, plan)).toBe(
      `gsi4pk = "ACCOUNT#${ACCOUNT}#SNAPSHOT#snap-0abc"`,
    );
    expect(plan.query.FilterExpression).toBeUndefined();
  });

  it("reads the status index and filters on the snapshot when both are given", () => {
    // Act
    const plan = listPlan(ACCOUNT, { status: "RUNNING", snapshotId: "snap-0abc" });

    // Assess
    expect(plan.query.IndexName).toBe("byAccountStatus");
    expect(spelled(plan.query.FilterExpression, plan)).toBe(`snapshotId = "snap-0abc"`);
  });

  it("declares every placeholder it uses, and uses every one it declares", () => {
    // Act
    const plan = listPlan(ACCOUNT, { status: "RUNNING", snapshotId: "snap-0abc" });

    // Assess: DynamoDB refuses an unused placeholder (the bug of a listing past its first page)
    const text = `${plan.query.KeyConditionExpression} ${plan.query.FilterExpression}`;
    const used = new Set(text.match(/[#:][a-z]\d+/g));
    const declared = new Set([
      ...Object.keys(plan.query.ExpressionAttributeNames ?? {}),
      ...Object.keys(plan.query.ExpressionAttributeValues ?? {}),
    ]);
    expect([...declared].sort()).toEqual([...used].sort());
  });
});

describe("a page token", () => {
  const lastKey = { pk: "JOB#job-9", gsi1pk: `ACCOUNT#${ACCOUNT}`, gsi1sk: "2026-11-25T02:00:00Z" };

  it("brings back the key it was made from, for the same listing", () => {
    // Prepare
    const { signature } = listPlan(ACCOUNT, { status: "FAILED" });
    const token = encodePageToken(signature, lastKey);

    // Act
    const key = decodePageToken(signature, token);

    // Assess
    expect(key).toEqual(lastKey);
  });

  it("is absent when the listing has no more pages", () => {
    // Act
    const token = encodePageToken(listPlan(ACCOUNT, {}).signature, undefined);

    // Assess
    expect(token).toBeUndefined();
  });

  it("is refused by a listing with other filters, with InvalidRequest saying what to do", () => {
    // Prepare
    const token = encodePageToken(listPlan(ACCOUNT, { status: "FAILED" }).signature, lastKey);

    // Act
    const decoding = () =>
      decodePageToken(listPlan(ACCOUNT, { status: "RUNNING" }).signature, token);

    // Assess
    expect(decoding).toThrow(expect.objectContaining({ code: "InvalidRequest" }));
    expect(decoding).toThrow(/repeat the status and snapshotId/);
  });

  it("is refused by another account's listing", () => {
    // Prepare
    const token = encodePageToken(listPlan(ACCOUNT, {}).signature, lastKey);

    // Act
    const decoding = () => decodePageToken(listPlan("444455556666", {}).signature, token);

    // Assess
    expect(decoding).toThrow(expect.objectContaining({ code: "InvalidRequest" }));
  });

  it.each([
    ["text that is not base64 JSON", "not-a-token!"],
    ["JSON of another shape", Buffer.from('{"a":1}').toString("base64url")],
  ])("refuses %s with InvalidRequest", (_case, token) => {
    // Act
    const decoding = () => decodePageToken(listPlan(ACCOUNT, {}).signature, token);

    // Assess
    expect(decoding).toThrow(expect.objectContaining({ code: "InvalidRequest" }));
  });
});
