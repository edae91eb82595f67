// Keeps the endpoint's state machines and executions on disk, so a restart (clean or killed)
// loses neither: machines.json, and per execution a description (rewritten whole, atomically, as
// the execution starts and ends) and its history, one event per line, appended as it happens.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { HistoryEvent } from "./history.js";
import type { JsonObject } from "./json.js";

export interface JournaledMachine {
  arn: string;
  name: string;
  type: string;
  roleArn: string;
  definition: string;
  creationDate: number;
  updateDate: number;
  revisionId: string | undefined;
  loggingConfiguration: JsonObject;
  tracingConfiguration: JsonObject;
}

export interface JournaledExecution {
  arn: string;
  name: string;
  sequence: number;
  machine: {
    arn: string;
    name: string;
    roleArn: string;
    type: string;
    definition: string;
    updateDate: number;
  };
  input: string;
  traceHeader: string | undefined;
  startDate: number;
  status: string;
  stopDate: number | undefined;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
}

export interface ExecutionRecord {
  execution: JournaledExecution;
  events: HistoryEvent[];
}

/** Where the endpoint writes what it must not forget; `undefined` keeps everything in memory. */
export interface Journal {
  saveMachines(machines: JournaledMachine[]): void;
  saveExecution(execution: JournaledExecution): void;
  appendEvent(executionName: string, machineName: string, event: HistoryEvent): void;
}

const RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

const writeAtomically = (file: string, content: string): void => {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
};

const fileName = (machineName: string, executionName: string) =>
  `${encodeURIComponent(machineName)}.${encodeURIComponent(executionName)}`;

export class FileJournal implements Journal {
  private readonly machinesFile: string;
  private readonly executionsDir: string;

  constructor(dataDir: string) {
    this.machinesFile = join(dataDir, "machines.json");
    this.executionsDir = join(dataDir, "executions");
    mkdirSync(this.executionsDir, { recursive: true });
  }

  loadMachines(): JournaledMachine[] {
    if (!existsSync(this.machinesFile)) return [];
    return JSON.parse(readFileSync(this.machinesFile, "utf8")) as JournaledMachine[];
  }

  /**
   * Every execution with its history, oldest first. Those that ended over 90 days ago are
   * forgotten, files and all, as Step Functions forgets them.
   */
  loadExecutions(now = Date.now()): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const entry of readdirSync(this.executionsDir)) {
      if (!entry.endsWith(".json")) continue;
      const base = entry.slice(0, -".json".length);
      const execution = JSON.parse(
        readFileSync(join(this.executionsDir, entry), "utf8"),
      ) as JournaledExecution;
      if (execution.stopDate !== undefined && now - execution.stopDate > RETENTION_MS) {
        rmSync(join(this.executionsDir, entry), { force: true });
        rmSync(join(this.executionsDir, `${base}.events`), { force: true });
        continue;
      }
      records.push({ execution, events: this.readEvents(base) });
    }
    return records.sort((a, b) => a.execution.sequence - b.execution.sequence);
  }

  saveMachines(machines: JournaledMachine[]): void {
    writeAtomically(this.machinesFile, JSON.stringify(machines));
  }

  saveExecution(execution: JournaledExecution): void {
    const base = fileName(execution.machine.name, execution.name);
    writeAtomically(join(this.executionsDir, `${base}.json`), JSON.stringify(execution));
  }

  appendEvent(executionName: string, machineName: string, event: HistoryEvent): void {
    const base = fileName(machineName, executionName);
    appendFileSync(join(this.executionsDir, `${base}.events`), `${JSON.stringify(event)}\n`);
  }

  // A process killed mid-write leaves at most its last line torn: that event is dropped.
  private readEvents(base: string): HistoryEvent[] {
    const file = join(this.executionsDir, `${base}.events`);
    if (!existsSync(file)) return [];
    const events: HistoryEvent[] = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        events.push(JSON.parse(line) as HistoryEvent);
      } catch {
        break;
      }
    }
    return events;
  }
}
