// What a job's execution went through, read from its history in the local Step Functions.
import { GetExecutionHistoryCommand, type SFNClient } from "@aws-sdk/client-sfn";

/** The states the job's execution entered, in order. */
export const statesOf = async (
  sfn: SFNClient,
  job: { executionArn: string | null },
): Promise<string[]> => {
  const history = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn: String(job.executionArn), maxResults: 1000 }),
  );
  return (history.events ?? []).flatMap((event) => {
    const name = event.stateEnteredEventDetails?.name;
    return name ? [name] : [];
  });
};
