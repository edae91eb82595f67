// What an EC2 operation gets to work with: the signing region, the request's parameters and the
// state of the caller's account, no other. It validates everything before it changes anything.
import type { SnapshotCopies } from "../snapshot-copies.js";
import type { SnapshotCreation } from "../snapshot-creation.js";
import type { CloudStore } from "../store.js";
import type { QueryParams } from "../wire/query-params.js";
import type { XmlMembers } from "../wire/xml.js";

export interface OperationContext {
  region: string;
  params: QueryParams;
  store: CloudStore;
  copies: SnapshotCopies;
  creation: SnapshotCreation;
  /** The caller's account: the owner of every snapshot it makes. */
  accountId: string;
}

export interface Operation {
  /** Whether it changes state: the answer then waits until the change is on disk. */
  changesState: boolean;
  run(context: OperationContext): XmlMembers;
}
