// The function EventBridge calls with each EBS copySnapshot event (see serverless.yml): ends the
// wait of the copy it is about. Other events, and events about snapshots snaprelay did not start,
// change nothing. A failure is thrown, so EventBridge delivers the event again.
import { onCopyEvent, readCopyEvent } from "../core/copy-events.js";
import { logger } from "../logger.js";
import { traced } from "../tracing.js";
import { servicesFromEnv } from "../wiring.js";

const { steps, clock } = servicesFromEnv();

export const handler = traced("CopyEvents", async (event: unknown) => {
  const copyEvent = readCopyEvent(event);
  if (!copyEvent) {
    logger.info("event ignored: not an EBS copySnapshot event", { step: "CopyEvent" });
    return { outcome: "ignored" };
  }
  const outcome = await onCopyEvent(copyEvent, {
    ...steps,
    now: clock.now(),
    warn: (message) => logger.warn(message, { step: "CopyEvent" }),
  });
  logger.info("copy event", { step: "CopyEvent", ...copyEvent, outcome });
  return { outcome };
});
