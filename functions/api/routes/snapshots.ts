// GET /regions/{region}/snapshots/{snapshotId}: a snapshot with its replication status.
import { describeSnapshot } from "../../core/describe-snapshot.js";
import type { Services } from "../../wiring.js";
import { json } from "../http.js";
import { type ApiEvent, pathParameter } from "../request-context.js";
import type { Caller } from "./replications.js";

export const getSnapshot = async (event: ApiEvent, caller: Caller, services: Services) =>
  json(
    200,
    await describeSnapshot(
      caller.accountId,
      pathParameter(event, "region"),
      pathParameter(event, "snapshotId"),
      services,
    ),
  );
