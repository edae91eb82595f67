// A policy's schedule in EventBridge's syntax: `rate(6 hours)` or `cron(0 3 * * ? *)`, in UTC
// unless a time zone is given. Cron expressions are read by croner in its Quartz mode (EventBridge's
// six fields, `?`, `L`, `W`, `#`, a year, weekdays 1 = SUN to 7 = SAT); rates are counted on a
// fixed grid from the policy's anchor, so a late tick never shifts the runs that follow.
import { Cron } from "croner";

export interface Schedule {
  expression: string;
  /** The first run strictly after `after`; undefined when the schedule never runs again. */
  nextAfter(after: Date): Date | undefined;
}

export class InvalidSchedule extends Error {}

const ALLOWED =
  "allowed: rate(N minutes|hours|days) with N ≥ 1, or cron(minutes hours day-of-month month day-of-week year) as EventBridge writes it, with ? in day-of-month or day-of-week";

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
/** The longest rate: a year. */
const LONGEST_RATE_MS = 366 * 86_400_000;

const rateSchedule = (expression: string, amount: string, unit: string, anchor: Date): Schedule => {
  const count = Number(amount);
  const singular = unit.replace(/s$/, "") as keyof typeof UNIT_MS;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new InvalidSchedule(`rate needs a whole number of at least 1, not ${amount}; ${ALLOWED}`);
  }
  // EventBridge's own rule: `rate(1 hour)`, `rate(2 hours)`.
  if ((count === 1) !== (unit === singular)) {
    throw new InvalidSchedule(
      `write rate(1 ${singular}) or rate(${count === 1 ? 2 : count} ${singular}s): the unit is singular for 1 and plural otherwise`,
    );
  }
  const period = count * UNIT_MS[singular];
  if (period > LONGEST_RATE_MS) {
    throw new InvalidSchedule(`rate(${amount} ${unit}) is longer than a year; ${ALLOWED}`);
  }
  const origin = anchor.getTime();
  return {
    expression,
    nextAfter: (after) => {
      const periods = Math.floor((after.getTime() - origin) / period) + 1;
      return new Date(origin + Math.max(1, periods) * period);
    },
  };
};

const cronSchedule = (expression: string, fields: string, timeZone: string): Schedule => {
  const parts = fields.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new InvalidSchedule(`cron needs 6 fields, not ${parts.length}; ${ALLOWED}`);
  }
  const [, , dayOfMonth, , dayOfWeek] = parts;
  if ((dayOfMonth === "?") === (dayOfWeek === "?")) {
    throw new InvalidSchedule(
      `cron needs ? in exactly one of day-of-month (${dayOfMonth}) and day-of-week (${dayOfWeek}), as EventBridge does; ${ALLOWED}`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(`0 ${parts.join(" ")}`, {
      paused: true,
      mode: "7-part",
      timezone: timeZone,
      alternativeWeekdays: true,
      sloppyRanges: true,
    });
    cron.nextRun(new Date());
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(
      /^Cron\w*: /,
      "",
    );
    throw new InvalidSchedule(`cannot read cron(${fields}): ${reason}; ${ALLOWED}`);
  }
  return {
    expression,
    nextAfter: (after) => cron.nextRun(after) ?? undefined,
  };
};

/**
 * Reads a schedule; throws InvalidSchedule saying what is wrong and what is allowed. `anchor` is
 * where a rate's grid starts (the policy's creation), `timeZone` an IANA name for cron.
 */
export const parseSchedule = (expression: string, anchor: Date, timeZone = "UTC"): Schedule => {
  if (!isTimeZone(timeZone)) {
    throw new InvalidSchedule(
      `unknown time zone ${timeZone}; give an IANA name such as UTC or Europe/Paris`,
    );
  }
  const rate = /^rate\(\s*(\S+)\s+(minutes?|hours?|days?)\s*\)$/.exec(expression);
  if (rate?.[1] && rate[2]) return rateSchedule(expression, rate[1], rate[2], anchor);
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron?.[1] !== undefined) return cronSchedule(expression, cron[1], timeZone);
  throw new InvalidSchedule(`cannot read ${JSON.stringify(expression)}; ${ALLOWED}`);
};

const isTimeZone = (name: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
};
