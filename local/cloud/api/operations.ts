// The EC2 actions the local cloud answers, by their Action name.
import { Ec2Error } from "../wire/errors";
import type { Operation } from "./context";
import { copySnapshot } from "./copy-snapshot";
import { createSnapshot } from "./create-snapshot";
import { createTags } from "./create-tags";
import { createVolume } from "./create-volume";
import { deleteSnapshot } from "./delete-snapshot";
import { describeSnapshots } from "./describe-snapshots";
import { describeVolumes } from "./describe-volumes";

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
    throw new Ec2Error(
      "InvalidAction",
      `The action ${action} is not valid for this web service. The local cloud answers ${[...OPERATIONS.keys()].join(", ")}.`,
    );
  }
  return operation;
}
