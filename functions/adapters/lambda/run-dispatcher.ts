// The RunDispatcher on Lambda: each claimed run is one asynchronous invocation of the policyRun
// function (InvocationType Event: Lambda queues it and answers 202 at once), so the tick hands
// over hundreds of runs in seconds and each runs in a function of its own. Lambda retries a
// failed asynchronous invocation twice; a run that still fails stays STARTING and the tick takes
// it up again (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { RunDispatcher, RunRef } from "../../core/policies/scheduler.js";

export class LambdaRunDispatcher implements RunDispatcher {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async dispatch(run: RunRef): Promise<void> {
    const { StatusCode, FunctionError } = await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: "Event",
        Payload: new TextEncoder().encode(JSON.stringify(run)),
      }),
    );
    if (StatusCode !== 202 || FunctionError) {
      throw new Error(
        `Lambda did not queue ${this.functionName} for run ${run.runId} (status ${StatusCode}${FunctionError ? `, ${FunctionError}` : ""})`,
      );
    }
  }
}
