// Execution operations: StartExecution, DescribeExecution, ListExecutions, StopExecution and
// GetExecutionHistory (paged by event id, so events added meanwhile never shift a page).

import { randomUUID } from "node:crypto";
import { requireExecutionArn, requireStateMachineArn } from "./arns.js";
import { epochSeconds } from "./epoch.js";
import type { Execution } from "./execution.js";
import { toWireEvent } from "./history.js";
import { isJsonObject, type JsonObject, tryParseJson } from "./json.js";
import { requireName } from "./names.js";
import { readPageRequest } from "./paging.js";
import { checkPayloadMember } from "./payload-quota.js";
import { checkLength, optionalBoolean, optionalString, requiredString } from "./request-fields.js";
import type { Operation } from "./service-context.js";
import { invalidExecutionInput, validationError } from "./service-errors.js";

const STATUSES = new Set([
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "ABORTED",
  "PENDING_REDRIVE",
]);

export const startExecution: Operation = (body, { machines, executions }) => {
  const machine = machines.get(requireStateMachineArn(requiredString(body, "stateMachineArn")));
  const input = optionalString(body, "input") ?? "{}";
  checkPayloadMember("input", input);
  if (!isJsonObject(tryParseJson(input))) {
    throw invalidExecutionInput(`the input must be a JSON object: '${input.slice(0, 100)}'`);
  }
  const execution = executions.start({
    // A snapshot: executions keep running the definition they started with.
    machine: { ...machine },
    name: requireName(optionalString(body, "name") ?? randomUUID()),
    input,
    traceHeader: optionalString(body, "traceHeader"),
  });
  return { executionArn: execution.arn, startDate: epochSeconds(execution.startDate) };
};

export const describeExecution: Operation = (body, { executions }) => {
  const execution = executions.get(requireExecutionArn(requiredString(body, "executionArn")));
  const withData = optionalString(body, "includedData") !== "METADATA_ONLY";
  const description: JsonObject = {
    executionArn: execution.arn,
    stateMachineArn: execution.machine.arn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
  };
  if (execution.stopDate !== undefined) description.stopDate = epochSeconds(execution.stopDate);
  if (withData) {
    description.input = execution.input;
    description.inputDetails = { included: true };
  }
  if (withData && execution.output !== undefined) {
    description.output = execution.output;
    description.outputDetails = { included: true };
  }
  if (execution.error !== undefined) description.error = execution.error;
  if (execution.cause !== undefined) description.cause = execution.cause;
  if (execution.traceHeader !== undefined) description.traceHeader = execution.traceHeader;
  return description;
};

export const listExecutions: Operation = (body, { machines, executions, tokens }) => {
  const machineArn = optionalString(body, "stateMachineArn");
  if (machineArn === undefined) {
    throw validationError("Must provide a StateMachine ARN or MapRun ARN");
  }
  machines.get(requireStateMachineArn(machineArn));
  const statusFilter = optionalString(body, "statusFilter");
  if (statusFilter !== undefined && !STATUSES.has(statusFilter)) {
    throw validationError(`Invalid statusFilter: '${statusFilter}'`);
  }
  const page = readPageRequest(body);
  const query = `ListExecutions ${machineArn} ${statusFilter ?? ""}`;
  // The cursor is a sequence number: executions started meanwhile never shift a page.
  const below =
    page.token === undefined ? Number.POSITIVE_INFINITY : tokens.decode(page.token, query);
  const matching = executions
    .list(machineArn)
    .filter(
      (e) => e.sequence <= below && (statusFilter === undefined || e.status === statusFilter),
    );
  const items = matching.slice(0, page.size);
  const following = matching[page.size];
  return {
    executions: items.map(listItem),
    ...(following === undefined ? {} : { nextToken: tokens.encode(query, following.sequence) }),
  };
};

export const stopExecution: Operation = (body, { executions }) => {
  const execution = executions.get(requireExecutionArn(requiredString(body, "executionArn")));
  const error = optionalString(body, "error");
  const cause = optionalString(body, "cause");
  checkLength("error", error, 0, 256);
  checkLength("cause", cause, 0, 32768);
  execution.stop(error, cause);
  return { stopDate: epochSeconds(execution.stopDate ?? Date.now()) };
};

export const getExecutionHistory: Operation = (body, { executions, tokens }) => {
  const execution = executions.get(requireExecutionArn(requiredString(body, "executionArn")));
  const reverse = optionalBoolean(body, "reverseOrder") ?? false;
  const withData = optionalBoolean(body, "includeExecutionData") ?? true;
  const page = readPageRequest(body);
  // The model bounds a page token; a longer one is invalid input, not an unknown token.
  checkLength("nextToken", page.token, 1, 1024);
  // A token is bound to its execution and order: used elsewhere it is InvalidToken, as on AWS.
  const query = `GetExecutionHistory ${execution.arn} ${reverse}`;
  const events = reverse ? [...execution.history.events].reverse() : execution.history.events;
  // The cursor is the id of the next event to return.
  const start = page.token === undefined ? undefined : tokens.decode(page.token, query);
  const from =
    start === undefined ? events : events.filter((e) => (reverse ? e.id <= start : e.id >= start));
  const items = from.slice(0, page.size);
  const following = from[page.size];
  return {
    events: items.map((event) => toWireEvent(event, withData)),
    ...(following === undefined ? {} : { nextToken: tokens.encode(query, following.id) }),
  };
};

function listItem(execution: Execution): JsonObject {
  return {
    executionArn: execution.arn,
    stateMachineArn: execution.machine.arn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    ...(execution.stopDate === undefined ? {} : { stopDate: epochSeconds(execution.stopDate) }),
  };
}
