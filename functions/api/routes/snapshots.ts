// GET /regions/{region}/snapshots/{snapshotId}: a snapshot with its replication status.
import { describeSnapshot } from "../../core/describe-snapshot.js";
import type { ApiDeps } from "../../wiring.js";
import { json } from "../http.js";
import { type ApiEvent, type Caller, pathParameter } from "../request-context.js";

export const getSnapshot = async (event: ApiEvent, caller: Caller, deps: ApiDeps) =>
  json(
    200,
    await describeSnapshot(
      caller.accountId,
      pathParameter(event, "region"),
      pathParameter(event, "snapshotId"),
      deps,
    ),
  );
