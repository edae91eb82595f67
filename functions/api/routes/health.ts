// GET /health: 200 when the job table and the state machine answer, 503 naming what does not.
import type { ApiDeps } from "../../wiring.js";
import { errorBody, json } from "../http.js";

export const health = async (deps: ApiDeps) => {
  const [jobs, workflow] = await Promise.all([
    deps.jobs.isReachable(),
    deps.workflow.isReachable(),
  ]);
  if (jobs && workflow) return json(200, { status: "ok" });
  const down = [jobs ? null : "job table", workflow ? null : "state machine"]
    .filter(Boolean)
    .join(" and ");
  return json(503, errorBody("Unavailable", `The ${down} did not answer.`));
};
