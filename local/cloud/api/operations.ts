// The EC2 actions the local cloud answers, by their Action name.
import { WireError } from "../../wire-error.js";
import type { Operation } from "./context.js";
import { copySnapshot } from "./copy-snapshot.js";
import { createSnapshot } from "./create-snapshot.js";
import { createTags } from "./create-tags.js";
import { createVolume } from "./create-volume.js";
import { deleteSnapshot } from "./delete-snapshot.js";
import { describeSnapshots } from "./describe-snapshots.js";
import { describeVolumes } from "./describe-volumes.js";

const OPERATIONS: ReadonlyMap<string, Operation> = new Map([
  ["CopySnapshot", copySnapshot],
  ["CreateSnapshot", createSnapshot],
  ["CreateTags", createTags],
  ["CreateVolume", createVolume],
  ["DeleteSnapshot", deleteSnapshot],
  ["DescribeSnapshots", describeSnapshots],
  ["DescribeVolumes", describeVolumes],
]);

export function operationFor(action: string): Operation {
  const operation = OPERATIONS.get(action);
  if (!operation) {
    throw new WireError(
      "InvalidAction",
      `The action ${action} is not valid for this web service. The local cloud answers ${[...OPERATIONS.keys()].join(", ")}.`,
    );
  }
  return operation;
}
