// The event Step Functions sends as an execution's status changes, as its documentation shows it,
// and its rule for a payload too large for an event: past 248 KiB escaped, the input (with the
// output counted in) or the output is left out, and inputDetails/outputDetails say so.
import { describe, expect, it } from "vitest";
import {
  EVENT_PAYLOAD_LIMIT,
  type ExecutionStatusView,
  statusEventDetail,
  statusEventEntry,
} from "../../local/stepfunctions/status-events.js";

const EXECUTION = "arn:aws:states:ap-shanghai:000000000000:execution:replication:job-1";
const MACHINE = "arn:aws:states:ap-shanghai:000000000000:stateMachine:replication";

const execution = (fields: Partial<ExecutionStatusView> = {}): ExecutionStatusView => ({
  arn: EXECUTION,
  name: "job-1",
  machine: { arn: MACHINE },
  status: "RUNNING",
  startDate: 1_796_000_000_000,
  stopDate: undefined,
  input: "{}",
  output: undefined,
  error: undefined,
  cause: undefined,
  ...fields,
});

/** A JSON payload of exactly `bytes` bytes, escaped as the event carries it. */
const payloadOf = (bytes: number, character = "a") =>
  JSON.stringify({ blob: character.repeat(bytes - '{\\"blob\\":\\"\\"}'.length) });

const ended = { stopDate: 1_796_000_005_000 };

describe("a status change event", () => {
  it("is an aws.states Execution Status Change about the execution, at the time of the change", () => {
    // Act
    const started = statusEventEntry(execution());
    const succeeded = statusEventEntry(execution({ status: "SUCCEEDED", output: "{}", ...ended }));

    // Assess
    expect(started).toMatchObject({
      Source: "aws.states",
      DetailType: "Step Functions Execution Status Change",
      Resources: [EXECUTION],
      Time: new Date(1_796_000_000_000),
    });
    expect(succeeded.Time).toEqual(new Date(ended.stopDate));
  });

  it("tells a RUNNING execution with no stop date, output, error nor cause", () => {
    // Act
    const detail = statusEventDetail(execution({ input: '{"jobId":"job-1"}' }));

    // Assess
    expect(detail).toEqual({
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      name: "job-1",
      status: "RUNNING",
      startDate: 1_796_000_000_000,
      stopDate: null,
      input: '{"jobId":"job-1"}',
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: null,
      cause: null,
    });
  });

  it("tells the error and cause of an execution that failed, timed out or was aborted, when known", () => {
    // Act
    const failed = statusEventDetail(
      execution({ status: "FAILED", error: "CopyFailed", cause: "gone", ...ended }),
    );
    const timedOut = statusEventDetail(
      execution({ status: "TIMED_OUT", error: "States.Timeout", ...ended }),
    );
    const aborted = statusEventDetail(execution({ status: "ABORTED", ...ended }));

    // Assess
    expect(failed).toMatchObject({ error: "CopyFailed", cause: "gone", output: null });
    expect(timedOut).toMatchObject({ error: "States.Timeout", cause: null });
    expect(aborted).toMatchObject({ error: null, cause: null, stopDate: ended.stopDate });
  });
});

describe("a payload too large for an event", () => {
  it("is kept up to 248 KiB, input and output together", () => {
    // Prepare
    const input = payloadOf(EVENT_PAYLOAD_LIMIT - 1024);
    const output = payloadOf(1024);

    // Act
    const detail = statusEventDetail(execution({ status: "SUCCEEDED", input, output, ...ended }));

    // Assess
    expect(detail).toMatchObject({
      input,
      inputDetails: { included: true },
      output,
      outputDetails: { included: true },
    });
  });

  it("leaves the input out when input and output together are over 248 KiB", () => {
    // Prepare
    const input = payloadOf(EVENT_PAYLOAD_LIMIT - 1024);
    const output = payloadOf(1025);

    // Act
    const detail = statusEventDetail(execution({ status: "SUCCEEDED", input, output, ...ended }));

    // Assess
    expect(detail).toMatchObject({
      input: null,
      inputDetails: { included: false },
      output,
      outputDetails: { included: true },
    });
  });

  it("leaves the output out, and so the input, when the output alone is over 248 KiB", () => {
    // Prepare
    const output = payloadOf(EVENT_PAYLOAD_LIMIT + 1);

    // Act
    const detail = statusEventDetail(
      execution({ status: "SUCCEEDED", input: "{}", output, ...ended }),
    );

    // Assess
    expect(detail).toMatchObject({
      input: null,
      inputDetails: { included: false },
      output: null,
      outputDetails: { included: false },
    });
  });

  it("is measured escaped, as the event carries it, not as sent", () => {
    // Prepare: 70 Ki quotes, 140 KiB of input (\"), 280 KiB escaped again in the event (\\\")
    const input = JSON.stringify({ quotes: '"'.repeat(70 * 1024) });

    // Act
    const running = statusEventDetail(execution({ input }));

    // Assess
    expect(Buffer.byteLength(input)).toBeLessThan(EVENT_PAYLOAD_LIMIT);
    expect(running).toMatchObject({ input: null, inputDetails: { included: false } });
  });
});
