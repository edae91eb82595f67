// Types of aws-local-stepfunctions that its typings use but do not export.

import type { RunOptions, StateMachine } from "aws-local-stepfunctions";

type Run = ReturnType<StateMachine["run"]>;

export type InterpreterRun = Run;
export type InterpreterEvent = Run["eventLogs"] extends AsyncGenerator<infer E> ? E : never;
export type Overrides = NonNullable<RunOptions["overrides"]>;
export type TaskHandlers = NonNullable<Overrides["taskResourceLocalHandlers"]>;
export type InterpreterContext = NonNullable<RunOptions["context"]>;
