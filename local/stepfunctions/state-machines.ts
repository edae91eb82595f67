// The state machines this endpoint knows, by ARN (and, with a journal, on disk). CreateStateMachine
// is idempotent: the same name with the same definition and type returns the existing machine
// (roleArn not compared).

import { randomUUID } from "node:crypto";
import { type ArnScope, stateMachineArn } from "./arns.js";
import { type Definition, parseDefinition } from "./definition.js";
import type { Journal, JournaledMachine } from "./journal.js";
import type { JsonObject } from "./json.js";
import { stateMachineAlreadyExists, stateMachineDoesNotExist } from "./service-errors.js";

export interface StateMachineRecord {
  arn: string;
  name: string;
  type: string;
  roleArn: string;
  definition: Definition;
  creationDate: number;
  updateDate: number;
  revisionId: string | undefined;
  loggingConfiguration: JsonObject;
  tracingConfiguration: JsonObject;
}

export interface NewStateMachine {
  name: string;
  type: string;
  roleArn: string;
  definition: Definition;
  loggingConfiguration: JsonObject | undefined;
  tracingConfiguration: JsonObject | undefined;
}

export interface StateMachineChanges {
  definition?: Definition;
  roleArn?: string;
  loggingConfiguration?: JsonObject;
  tracingConfiguration?: JsonObject;
}

export class StateMachineRegistry {
  private readonly byArn = new Map<string, StateMachineRecord>();

  constructor(
    private readonly scope: ArnScope,
    private readonly journal?: Journal,
  ) {}

  /** Takes back the machines the journal kept. */
  restore(saved: readonly JournaledMachine[]): void {
    for (const machine of saved) {
      this.byArn.set(machine.arn, { ...machine, definition: parseDefinition(machine.definition) });
    }
  }

  private save(): void {
    this.journal?.saveMachines(
      [...this.byArn.values()].map((record) => ({
        ...record,
        definition: record.definition.text,
      })),
    );
  }

  create(machine: NewStateMachine): StateMachineRecord {
    const arn = stateMachineArn(this.scope, machine.name);
    const existing = this.byArn.get(arn);
    if (existing !== undefined) {
      if (sameConfiguration(existing, machine)) return existing;
      throw stateMachineAlreadyExists(arn);
    }
    const now = Date.now();
    const record: StateMachineRecord = {
      arn,
      name: machine.name,
      type: machine.type,
      roleArn: machine.roleArn,
      definition: machine.definition,
      creationDate: now,
      updateDate: now,
      revisionId: undefined,
      loggingConfiguration: machine.loggingConfiguration ?? {
        level: "OFF",
        includeExecutionData: false,
      },
      tracingConfiguration: machine.tracingConfiguration ?? { enabled: false },
    };
    this.byArn.set(arn, record);
    this.save();
    return record;
  }

  get(arn: string): StateMachineRecord {
    const record = this.byArn.get(arn);
    if (record === undefined) throw stateMachineDoesNotExist(arn);
    return record;
  }

  /** In creation order. */
  list(): StateMachineRecord[] {
    return [...this.byArn.values()];
  }

  /** Running executions keep the definition they started with, as on AWS. */
  update(arn: string, changes: StateMachineChanges): StateMachineRecord {
    const record = this.get(arn);
    Object.assign(record, changes, { updateDate: Date.now(), revisionId: randomUUID() });
    this.save();
    return record;
  }

  /** Deleting an unknown machine succeeds: the API lists no "does not exist" error for it. */
  delete(arn: string): void {
    this.byArn.delete(arn);
    this.save();
  }
}

function sameConfiguration(existing: StateMachineRecord, machine: NewStateMachine): boolean {
  return (
    existing.type === machine.type &&
    JSON.stringify(existing.definition.asl) === JSON.stringify(machine.definition.asl)
  );
}
