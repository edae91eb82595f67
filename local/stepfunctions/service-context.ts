// What every API operation works on, and the shape of an operation.

import type { ArnScope } from "./arns.js";
import type { ExecutionStore } from "./executions.js";
import type { JsonObject } from "./json.js";
import type { PageTokens } from "./paging.js";
import type { StateMachineRegistry } from "./state-machines.js";
import type { TaskTokens } from "./task-tokens.js";

export interface ServiceContext {
  scope: ArnScope;
  machines: StateMachineRegistry;
  executions: ExecutionStore;
  tokens: PageTokens;
  taskTokens: TaskTokens;
}

/** Takes the request body, returns the response body, throws a WireError for 400s. */
export type Operation = (body: JsonObject, context: ServiceContext) => JsonObject;
