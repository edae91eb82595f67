// Recovery-point events as structured log lines: `event` is RpoBreached or RpoRecovered, so a
// CloudWatch metric filter such as { $.event = "RpoBreached" } can find them; each breach is also
// counted in the RpoBreaches metric, which the template's alarm watches.
import type { PolicyEvents } from "./core/policies/events.js";
import { logger } from "./logger.js";
import { cloudWatchMetrics } from "./metrics.js";

export const loggedPolicyEvents: PolicyEvents = {
  breached: (event) => {
    logger.warn("recovery point older than the policy's RPO", { event: "RpoBreached", ...event });
    cloudWatchMetrics.rpoBreached(event.destinationRegion);
  },
  recovered: (event) =>
    logger.info("recovery point back within the policy's RPO", {
      event: "RpoRecovered",
      ...event,
    }),
};
