// What one execution's history says of its copy: when it joined the queue, took a slot, started,
// gave its slot back, how often it was polled, and how many state transitions the job cost.
// Pure, over the history events as GetExecutionHistory returns them (times in real epoch ms).

export interface HistoryEventLike {
  type?: string;
  timestamp?: Date | number;
  stateEnteredEventDetails?: { name?: string; input?: string };
  stateExitedEventDetails?: { name?: string; output?: string };
}

export interface CopyTimeline {
  jobId: string;
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
  /** The first StartCopy: when CopySnapshot was called, holding a slot. */
  startedAt: number | undefined;
  /** When its slot went back: during FinalizeCopy or RecordCopyFailure (when that step began). */
  releasedAt: number | undefined;
  /** When snaprelay recorded the copy's completion: FinalizeCopy entered. */
  completionRecordedAt: number | undefined;
  polls: number;
  /** Every state entered, as Step Functions bills transitions. */
  transitions: number;
}

const timeOf = (event: HistoryEventLike): number =>
  event.timestamp instanceof Date ? event.timestamp.getTime() : Number(event.timestamp ?? 0) * 1000;

interface SlotAnswer {
  acquired?: boolean;
  /** The queue's and the grant's own times (the functions' clock), when the step gave them. */
  queuedAt?: string;
  grantedAt?: string;
}

const slotOf = (output: string | undefined): SlotAnswer => {
  try {
    return (JSON.parse(output ?? "{}") as { slot?: SlotAnswer }).slot ?? {};
  } catch {
    return {};
  }
};

export const copyTimeline = (jobId: string, events: readonly HistoryEventLike[]): CopyTimeline => {
  const timeline: CopyTimeline = {
    jobId,
    askedAt: undefined,
    queuedAt: undefined,
    grantedAt: undefined,
    slotAt: undefined,
    startedAt: undefined,
    releasedAt: undefined,
    completionRecordedAt: undefined,
    polls: 0,
    transitions: 0,
  };
  for (const event of events) {
    const at = timeOf(event);
    const entered = event.stateEnteredEventDetails?.name;
    const exited = event.stateExitedEventDetails?.name;
    if (entered !== undefined) timeline.transitions++;
    if (entered === "PollCopy") timeline.polls++;
    if (entered === "StartCopy") timeline.startedAt ??= at;
    if (entered === "FinalizeCopy") timeline.completionRecordedAt ??= at;
    if (entered === "FinalizeCopy" || entered === "RecordCopyFailure") timeline.releasedAt ??= at;
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
