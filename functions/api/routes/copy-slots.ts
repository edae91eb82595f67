// GET /regions/{region}/copy-slots: the caller's copy slots in a destination region: the limit
// (and why it is below the configured slots, if it is), the copies holding a slot (and since
// when) and how many copies wait for one.
import { describeLimit, effectiveLimit, poolOf } from "../../core/copy-queue.js";
import { assertSupportedRegion } from "../../core/rules.js";
import { slotLimitOf } from "../../core/step-deps.js";
import type { ApiDeps } from "../../wiring.js";
import { json } from "../http.js";
import { type ApiEvent, type Caller, pathParameter } from "../request-context.js";

export const getCopySlots = async (event: ApiEvent, caller: Caller, deps: ApiDeps) => {
  const region = pathParameter(event, "region");
  assertSupportedRegion(region, "Region", deps.settings);
  const { holders, queueLength, limit } = await deps.slots.view(poolOf(caller, region));
  const configured = slotLimitOf(deps.settings.copySlots, region);
  return json(200, {
    region,
    limit: effectiveLimit(configured, limit),
    configuredSlots: configured,
    ...(limit
      ? {
          limitChange: {
            reason: limit.reason,
            ...(limit.foreignPending === undefined ? {} : { foreignPending: limit.foreignPending }),
            changedAt: limit.changedAt,
            checkedAt: limit.checkedAt,
            summary: describeLimit(configured, limit),
          },
        }
      : {}),
    inUse: holders.length,
    holders: holders.map(({ jobId, since }) => ({ jobId, since })),
    queueLength,
  });
};
