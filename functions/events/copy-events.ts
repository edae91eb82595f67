// The function EventBridge calls with each EBS copySnapshot event (see serverless.yml): ends the
// wait of the copy it is about. Other events, events of accounts that are not tenants, and events
// about snapshots snaprelay did not start, change nothing. A failure is thrown, so Lambda runs the
// event again (twice at most: an asynchronous invocation's retries), then sends its record to the
// function's on-failure destination, from which the sweeper replays it (core/replay-copy-events.ts).
import { onCopyEvent, readCopyEvent, rememberedTenants } from "../core/copy-events.js";
import { logger } from "../logger.js";
import { ENTRY_FUNCTIONS } from "../manifest.js";
import { traced } from "../tracing.js";
import { eventDeps } from "../wiring.js";

const deps = eventDeps();
const tenants = rememberedTenants(deps.allowlist, deps.clock);
const { name } = ENTRY_FUNCTIONS.copyEvents;

export const handler = traced(name, async (event: unknown) => {
  const copyEvent = readCopyEvent(event);
  if (!copyEvent) {
    logger.info("event ignored: not an EBS copySnapshot event", { step: name });
    return { outcome: "ignored" };
  }
  const outcome = await onCopyEvent(copyEvent, {
    ...deps,
    now: deps.clock.now(),
    tenants,
    warn: (message) => logger.warn(message, { step: name }),
  });
  logger.info("copy event", { step: name, ...copyEvent, outcome });
  return { outcome };
});
