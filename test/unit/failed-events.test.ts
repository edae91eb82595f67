// The in-memory failed events' queue keeps the port's promises (the SQS queue keeps them too:
// test/integration/failed-events.test.ts).

import { failedEventsContract } from "../support/failed-events-contract.js";
import { InMemoryFailedEvents } from "./failed-events-fakes.js";
import { FixedClock } from "./fakes.js";

failedEventsContract("the in-memory queue", async () => {
  const clock = new FixedClock();
  const queue = new InMemoryFailedEvents(clock, 30);
  return {
    queue,
    put: async (body) => {
      queue.put(body);
    },
    passVisibilityTimeout: async () => {
      clock.advance(30);
    },
  };
});
