// State machine operations: Create, Describe, List, Update, Delete, and
// DescribeStateMachineForExecution.

import { requireExecutionArn, requireStateMachineArn } from "./arns.js";
import { parseDefinition } from "./definition.js";
import { epochSeconds } from "./epoch.js";
import { isJsonObject, type JsonObject } from "./json.js";
import { requireName } from "./names.js";
import { readPageRequest } from "./paging.js";
import { optionalString, requiredString } from "./request-fields.js";
import type { Operation } from "./service-context.js";
import { missingRequiredParameter, validationError } from "./service-errors.js";
import type { StateMachineChanges, StateMachineRecord } from "./state-machines.js";

const MACHINE_TYPES = new Set(["STANDARD", "EXPRESS"]);

export const createStateMachine: Operation = (body, { machines }) => {
  const type = optionalString(body, "type") ?? "STANDARD";
  if (!MACHINE_TYPES.has(type)) throw validationError(`Invalid state machine type: '${type}'`);
  const machine = machines.create({
    name: requireName(requiredString(body, "name")),
    definition: parseDefinition(requiredString(body, "definition")),
    roleArn: requiredString(body, "roleArn"),
    type,
    loggingConfiguration: optionalObject(body, "loggingConfiguration"),
    tracingConfiguration: optionalObject(body, "tracingConfiguration"),
  });
  return { stateMachineArn: machine.arn, creationDate: epochSeconds(machine.creationDate) };
};

export const describeStateMachine: Operation = (body, { machines }) =>
  describe(machines.get(requireStateMachineArn(requiredString(body, "stateMachineArn"))));

export const listStateMachines: Operation = (body, { machines, tokens }) => {
  const page = readPageRequest(body);
  const query = "ListStateMachines";
  const from = page.token === undefined ? 0 : tokens.decode(page.token, query);
  const all = machines.list();
  const items = all.slice(from, from + page.size);
  const next = from + items.length;
  return {
    stateMachines: items.map((machine) => ({
      stateMachineArn: machine.arn,
      name: machine.name,
      type: machine.type,
      creationDate: epochSeconds(machine.creationDate),
    })),
    ...(next < all.length ? { nextToken: tokens.encode(query, next) } : {}),
  };
};

export const updateStateMachine: Operation = (body, { machines }) => {
  const arn = requireStateMachineArn(requiredString(body, "stateMachineArn"));
  machines.get(arn);
  const changes: StateMachineChanges = {};
  const definition = optionalString(body, "definition");
  if (definition !== undefined) changes.definition = parseDefinition(definition);
  const roleArn = optionalString(body, "roleArn");
  if (roleArn !== undefined) changes.roleArn = roleArn;
  const logging = optionalObject(body, "loggingConfiguration");
  if (logging !== undefined) changes.loggingConfiguration = logging;
  const tracing = optionalObject(body, "tracingConfiguration");
  if (tracing !== undefined) changes.tracingConfiguration = tracing;
  if (Object.keys(changes).length === 0) {
    throw missingRequiredParameter(
      "Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified",
    );
  }
  const machine = machines.update(arn, changes);
  return {
    updateDate: epochSeconds(machine.updateDate),
    ...(machine.revisionId === undefined ? {} : { revisionId: machine.revisionId }),
  };
};

export const deleteStateMachine: Operation = (body, { machines }) => {
  machines.delete(requireStateMachineArn(requiredString(body, "stateMachineArn")));
  return {};
};

/** The definition an execution actually runs, even after the machine was updated. */
export const describeStateMachineForExecution: Operation = (body, { executions }) => {
  const { machine } = executions.get(requireExecutionArn(requiredString(body, "executionArn")));
  return {
    stateMachineArn: machine.arn,
    name: machine.name,
    definition: machine.definition.text,
    roleArn: machine.roleArn,
    updateDate: epochSeconds(machine.updateDate),
  };
};

function describe(machine: StateMachineRecord): JsonObject {
  return {
    stateMachineArn: machine.arn,
    name: machine.name,
    status: "ACTIVE",
    definition: machine.definition.text,
    roleArn: machine.roleArn,
    type: machine.type,
    creationDate: epochSeconds(machine.creationDate),
    loggingConfiguration: machine.loggingConfiguration,
    tracingConfiguration: machine.tracingConfiguration,
    ...(machine.revisionId === undefined ? {} : { revisionId: machine.revisionId }),
  };
}

function optionalObject(body: JsonObject, field: string): JsonObject | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw validationError(`'${field}' must be an object`);
  return value;
}
