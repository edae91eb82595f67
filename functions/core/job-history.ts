// A page of a job's history, read with one page of Step Functions' history: an execution may hold
// 25,000 events, and a caller asks for a page at a time. What is folded and not yet shown rides
// in the nextToken (history-token.ts), so no call reads more than one page of events.
import { byEntry, type HistoryEntry, HistoryFold, type ShownEntry } from "./history-fold.js";
import { decodeHistoryToken, encodeHistoryToken, type HistoryCursor } from "./history-token.js";
import type { ReplicationJob } from "./job.js";
import type { Workflow } from "./ports.js";

export interface HistoryPage {
  entries: HistoryEntry[];
  nextToken?: string;
}

export interface HistoryRequest {
  /** At most this many entries. */
  limit: number;
  nextToken?: string | undefined;
  /** Events per read of Step Functions; by default from `limit` (see `eventsPerRead`). */
  eventsPerRead?: number;
}

/**
 * A state takes about five events (entered, scheduled, started, succeeded, exited), more with
 * retries: ten events an entry asked for, from 100 to Step Functions' most, 1000.
 */
export const eventsPerRead = (limit: number): number => Math.min(1000, Math.max(100, limit * 10));

/**
 * The entries from `nextToken` on, at most `limit`, each page ordered by the time each state was
 * entered. An entry is given once its state has ended (or, at the end of the history, as
 * Running), so an entry entered early may come on a later page than one entered after it. Reads
 * at most one page of the execution's history; none when there is no execution, or when entries
 * left over from the page before fill this one.
 */
export const historyPage = async (
  job: Pick<ReplicationJob, "jobId" | "accountId" | "executionArn" | "copies">,
  request: HistoryRequest,
  workflow: Pick<Workflow, "historyPage">,
): Promise<HistoryPage> => {
  const cursor: HistoryCursor = request.nextToken
    ? decodeHistoryToken(request.nextToken, job.jobId)
    : {
        after: 0,
        eventsPerRead: request.eventsPerRead ?? eventsPerRead(request.limit),
        done: false,
        fold: { open: [], tips: [] },
        pending: [],
      };
  const fold = new HistoryFold(
    {
      accountId: job.accountId,
      destinations: job.copies.map((copy) => copy.destinationRegion),
    },
    cursor.fold,
  );
  const shown: ShownEntry[] = [];
  const pending: ShownEntry[] = [];
  /** Entries ended together: the earliest entered fill the page, the rest wait for the next. */
  const give = (entries: ShownEntry[]) => {
    for (const entry of [...entries].sort(byEntry)) {
      (shown.length < request.limit ? shown : pending).push(entry);
    }
  };
  give(cursor.pending);
  let { page, after, done } = cursor;

  if (!job.executionArn) done = true;
  if (!done && job.executionArn && shown.length < request.limit) {
    const read = await workflow.historyPage(job.executionArn, {
      ...(page === undefined ? {} : { nextToken: page }),
      maxResults: cursor.eventsPerRead,
    });
    if (!read) {
      done = true;
    } else {
      let readToEnd = true;
      for (const event of read.events) {
        // Read again, a page gives the events folded in already first.
        if (event.id <= after) continue;
        if (shown.length >= request.limit) {
          readToEnd = false;
          break;
        }
        give(fold.add(event));
        after = event.id;
      }
      if (readToEnd && read.nextToken) page = read.nextToken;
      else if (readToEnd && shown.length < request.limit) {
        give(fold.finish());
        done = true;
      }
      // Otherwise the last page was read to its end and this page is full: the next call reads
      // it again, with whatever the execution did meanwhile, before it ends the history.
    }
  }

  const entries = shown.sort(byEntry).map(({ entry }) => entry);
  if (done && pending.length === 0) return { entries };
  const next: HistoryCursor = {
    ...(page === undefined ? {} : { page }),
    after,
    eventsPerRead: cursor.eventsPerRead,
    done,
    fold: fold.state(),
    pending,
  };
  return { entries, nextToken: encodeHistoryToken(next, job.jobId) };
};
