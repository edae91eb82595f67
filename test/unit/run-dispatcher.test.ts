// The scheduler's hand-over of a claimed run to policyRun: one asynchronous invocation, which
// Lambda answers 202 once it has queued it; anything else is a hand-over that did not happen.
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { LambdaRunDispatcher } from "../../functions/adapters/lambda/run-dispatcher.js";

const clientAnswering = (answer: Record<string, unknown>) => {
  const sent: Record<string, unknown>[] = [];
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      sent.push(command.input);
      return answer;
    },
  } as unknown as LambdaClient;
  return { client, sent };
};

describe("handing a run to policyRun", () => {
  it("invokes it asynchronously with the run's ids alone", async () => {
    // Prepare
    const { client, sent } = clientAnswering({ StatusCode: 202 });
    const dispatcher = new LambdaRunDispatcher(client, "snaprelay-dev-policyRun");

    // Act
    await dispatcher.dispatch({ policyId: "pol-1", runId: "2026-12-07T10:00:00.000Z" });

    // Assess
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      FunctionName: "snaprelay-dev-policyRun",
      InvocationType: "Event",
    });
    expect(JSON.parse(new TextDecoder().decode(sent[0]?.Payload as Uint8Array))).toEqual({
      policyId: "pol-1",
      runId: "2026-12-07T10:00:00.000Z",
    });
  });

  it("fails the hand-over when Lambda did not queue the invocation", async () => {
    // Prepare
    const { client } = clientAnswering({
      StatusCode: 404,
      FunctionError: "ResourceNotFoundException",
    });
    const dispatcher = new LambdaRunDispatcher(client, "snaprelay-dev-policyRun");

    // Act
    const handing = dispatcher.dispatch({ policyId: "pol-1", runId: "manual-1" });

    // Assess
    await expect(handing).rejects.toThrow(
      "Lambda did not queue snaprelay-dev-policyRun for run manual-1 (status 404, ResourceNotFoundException)",
    );
  });
});
