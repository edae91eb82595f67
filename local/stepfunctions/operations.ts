// The AWSStepFunctions operations this endpoint serves, by X-Amz-Target name.

import {
  describeExecution,
  getExecutionHistory,
  listExecutions,
  startExecution,
  stopExecution,
} from "./execution-operations.js";
import {
  createStateMachine,
  deleteStateMachine,
  describeStateMachine,
  describeStateMachineForExecution,
  listStateMachines,
  updateStateMachine,
} from "./machine-operations.js";
import type { Operation } from "./service-context.js";
import { sendTaskFailure, sendTaskHeartbeat, sendTaskSuccess } from "./task-operations.js";

export const operations: ReadonlyMap<string, Operation> = new Map([
  ["CreateStateMachine", createStateMachine],
  ["DescribeStateMachine", describeStateMachine],
  ["ListStateMachines", listStateMachines],
  ["UpdateStateMachine", updateStateMachine],
  ["DeleteStateMachine", deleteStateMachine],
  ["DescribeStateMachineForExecution", describeStateMachineForExecution],
  ["StartExecution", startExecution],
  ["DescribeExecution", describeExecution],
  ["ListExecutions", listExecutions],
  ["StopExecution", stopExecution],
  ["GetExecutionHistory", getExecutionHistory],
  ["SendTaskSuccess", sendTaskSuccess],
  ["SendTaskFailure", sendTaskFailure],
  ["SendTaskHeartbeat", sendTaskHeartbeat],
]);
