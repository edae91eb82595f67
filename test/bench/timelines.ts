// What executions' histories say of a copy: when it joined the queue, took a slot, started, gave
// its slot back, how often it was polled; and what a job's executions cost as Step Functions bills
// them. Pure, over the history events as GetExecutionHistory returns them (times in real epoch ms).

export interface HistoryEventLike {
  id?: number;
  previousEventId?: number;
  type?: string;
  timestamp?: Date | number;
  stateEnteredEventDetails?: { name?: string; input?: string };
  stateExitedEventDetails?: { name?: string; output?: string };
}

export interface CopyTimeline {
  jobId: string;
  /** The copy's destination region (undefined: the job's only one, read from every event). */
  region: string | undefined;
  /**
   * The account whose copy it is (undefined: the scenario's one account). A queue is one
   * account's in one region: copies of two accounts never wait for the same slots.
   */
  account?: string;
  /** The first AcquireSlot's answer: when the copy asked for a slot. */
  askedAt: number | undefined;
  /**
   * When it joined the queue, by the functions' clock (as the queue orders it); undefined if it
   * never waited.
   */
  queuedAt: number | undefined;
  /** When it was given a slot, by the functions' clock (as the queue decided it). */
  grantedAt: number | undefined;
  /** When its execution learnt it had a slot (real time): the step that answered "acquired". */
  slotAt: number | undefined;
  /** The first StartCopy entered: when the copy's own execution went to start it. */
  startedAt: number | undefined;
  /**
   * When the cloud began the copy (its snapshot's StartTime, real ms): CopySnapshot, called by the
   * step that handed the slot on or by the copy's own StartCopy. Read from the cloud, not the history.
   */
  cloudStartedAt?: number;
  /**
   * When its slot went back, at the earliest: when its copy's event ended the AwaitCopy wait (the
   * event's handler settles the wait, then gives the slot back and hands it on), else when
   * FinalizeCopy or RecordCopyFailure began (the step gives it back).
   */
  releasedAt: number | undefined;
  /** When snaprelay recorded the copy's completion: FinalizeCopy entered. */
  completionRecordedAt: number | undefined;
  polls: number;
  /**
   * Grants (the functions' clock) of slots the copy gave back because the cloud refused it for
   * capacity (copies that are not snaprelay's took the places). `grantedAt`, `slotAt` and
   * `startedAt` are then those of the slot the copy went on to use.
   */
  refusedGrants?: number[];
}

/** The error StartCopy ends with when the cloud has no place left for the copy. */
const CAPACITY = "CopyCapacityExceeded";

const timeOf = (event: HistoryEventLike): number =>
  event.timestamp instanceof Date ? event.timestamp.getTime() : Number(event.timestamp ?? 0) * 1000;

interface SlotAnswer {
  acquired?: boolean;
  /** The queue's and the grant's own times (the functions' clock), when the step gave them. */
  queuedAt?: string;
  grantedAt?: string;
}

const parsed = (text: string | undefined): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(text ?? "{}");
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

const slotOf = (output: string | undefined): SlotAnswer =>
  (parsed(output).slot as SlotAnswer | undefined) ?? {};

/** The destination region a state of a copy works for, from its input or output. */
const regionOf = (event: HistoryEventLike): string | undefined => {
  const payload =
    event.stateEnteredEventDetails?.input ?? event.stateExitedEventDetails?.output ?? undefined;
  if (payload === undefined || !payload.includes("destinationRegion")) return undefined;
  const region = parsed(payload).destinationRegion;
  return typeof region === "string" ? region : undefined;
};

/**
 * The copy into `region` as the job's executions (oldest first, adopted ones after) show it; with
 * no region, every state event counts (a job of one destination).
 */
export const copyTimeline = (
  jobId: string,
  events: readonly HistoryEventLike[],
  region?: string,
): CopyTimeline => {
  const timeline: CopyTimeline = {
    jobId,
    region,
    askedAt: undefined,
    queuedAt: undefined,
    grantedAt: undefined,
    slotAt: undefined,
    startedAt: undefined,
    releasedAt: undefined,
    completionRecordedAt: undefined,
    polls: 0,
  };
  // The latest end of an AwaitCopy wait: its copy's event may have given the slot back there.
  let awaitEndedAt: number | undefined;
  // StartCopy ended refused for capacity: the next AcquireSlot is the copy back in the queue.
  let refusedForCapacity = false;
  for (const event of events) {
    const entered = event.stateEnteredEventDetails?.name;
    const exited = event.stateExitedEventDetails?.name;
    if (entered === undefined && exited === undefined) continue;
    if (region !== undefined && regionOf(event) !== region) continue;
    const at = timeOf(event);
    if (exited === "StartCopy") {
      refusedForCapacity = event.stateExitedEventDetails?.output?.includes(CAPACITY) ?? false;
    }
    if (entered === "AcquireSlot" && refusedForCapacity) {
      refusedForCapacity = false;
      if (timeline.grantedAt !== undefined) {
        timeline.refusedGrants = [...(timeline.refusedGrants ?? []), timeline.grantedAt];
      }
      timeline.grantedAt = undefined;
      timeline.slotAt = undefined;
      timeline.startedAt = undefined;
    }
    if (entered === "PollCopy") timeline.polls++;
    if (entered === "StartCopy") timeline.startedAt ??= at;
    if (entered === "FinalizeCopy") timeline.completionRecordedAt ??= at;
    if (entered === "FinalizeCopy" || entered === "RecordCopyFailure") {
      timeline.releasedAt ??= Math.min(at, awaitEndedAt ?? at);
    }
    if (exited === "AwaitCopy" && timeline.releasedAt === undefined) awaitEndedAt = at;
    if (exited === "AcquireSlot" || exited === "WaitForSlot") {
      // A WaitForSlot that timed out (and asks again) leaves without a slot.
      const slot = slotOf(event.stateExitedEventDetails?.output);
      if (exited === "AcquireSlot") timeline.askedAt ??= at;
      if (slot.queuedAt) timeline.queuedAt ??= Date.parse(slot.queuedAt);
      if (slot.acquired && slot.grantedAt) timeline.grantedAt ??= Date.parse(slot.grantedAt);
      if (slot.acquired) timeline.slotAt ??= at;
    }
  }
  return timeline;
};

const SCHEDULED = /(?:LambdaFunction|Task|Activity)Scheduled$/;

/**
 * The state transitions one execution is billed for. "Step Functions counts a state transition
 * each time a step of your workflow is executed. You are charged for the total number of state
 * transitions across all your state machines, including retries", and "each retry will be
 * charged as an additional state transition" (https://aws.amazon.com/step-functions/pricing/).
 * In a history a step executed is a `*StateEntered` event; a retry enters no state again but
 * schedules its task once more: a `*Scheduled` event that follows the task's failure, not its
 * `*StateEntered` (the first attempt's).
 */
export const billedTransitions = (events: readonly HistoryEventLike[]): number => {
  const byId = new Map<number, HistoryEventLike>();
  for (const event of events) if (event.id !== undefined) byId.set(event.id, event);
  let transitions = 0;
  events.forEach((event, index) => {
    const type = event.type ?? "";
    if (type.endsWith("StateEntered")) {
      transitions++;
      return;
    }
    if (!SCHEDULED.test(type)) return;
    const previous =
      event.previousEventId !== undefined ? byId.get(event.previousEventId) : events[index - 1];
    if (!previous?.type?.endsWith("StateEntered")) transitions++;
  });
  return transitions;
};
