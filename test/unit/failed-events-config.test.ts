// The failed copy events' queue in the configuration: an SQS queue URL, unset where a function has
// no use for it, refused when it is anything else.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config.js";

const required = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  JOBS_TABLE: "snaprelay-dev-jobs",
  STATE_MACHINE_ARN:
    "arn:aws:states:ap-shanghai:111122223333:stateMachine:snaprelay-dev-replication",
  ...extra,
});

describe("the failed copy events' queue", () => {
  it("takes the URL CloudFormation gives a queue, and a local SQS's", () => {
    // Act
    const urls = [
      "https://sqs.eu-west-1.amazonaws.com/123456789012/snaprelay-prod-failed-copy-events",
      "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/snaprelay-prod-failed-copy-events",
      "http://127.0.0.1:4012/000000000000/snaprelay-dev-failed-copy-events",
    ].map(
      (url) => loadConfig(required({ FAILED_COPY_EVENTS_QUEUE_URL: url })).failedCopyEventsQueueUrl,
    );

    // Assess
    expect(urls).toEqual([
      "https://sqs.eu-west-1.amazonaws.com/123456789012/snaprelay-prod-failed-copy-events",
      "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/snaprelay-prod-failed-copy-events",
      "http://127.0.0.1:4012/000000000000/snaprelay-dev-failed-copy-events",
    ]);
  });

  it("is unset when not given, or given empty", () => {
    // Act
    const unset = [required(), required({ FAILED_COPY_EVENTS_QUEUE_URL: "" })].map(
      (env) => loadConfig(env).failedCopyEventsQueueUrl,
    );

    // Assess
    expect(unset).toEqual([undefined, undefined]);
  });

  it("refuses a queue's ARN, its name alone, or plain http to another host", () => {
    // Act
    const refusals = [
      "arn:aws:sqs:eu-west-1:123456789012:snaprelay-prod-failed-copy-events",
      "snaprelay-prod-failed-copy-events",
      "http://sqs.eu-west-1.amazonaws.com/123456789012/snaprelay-prod-failed-copy-events",
    ].map((url) => () => loadConfig(required({ FAILED_COPY_EVENTS_QUEUE_URL: url })));

    // Assess
    for (const refusal of refusals) expect(refusal).toThrow(/FAILED_COPY_EVENTS_QUEUE_URL/);
  });
});
