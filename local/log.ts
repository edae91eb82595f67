// What local/ writes to its terminal: info on stdout, warnings and errors on stderr, each line
// formatted as console formats it (an Error with its stack), after the prefix of whoever speaks.

export interface Log {
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  error(...parts: unknown[]): void;
}

/** A log whose lines start with `prefix` and a space, or with nothing when there is no prefix. */
function createLog(prefix?: string): Log {
  // console joins its parts with spaces: the prefix goes first, as a part of its own.
  const lead: unknown[] = prefix === undefined ? [] : [prefix];
  return {
    info: (...parts) => console.log(...lead, ...parts),
    warn: (...parts) => console.warn(...lead, ...parts),
    error: (...parts) => console.error(...lead, ...parts),
  };
}

/** Lines as given: a tool's own output, banners, usage. */
export const log = createLog();
/** The local stack (`npm start`, `npm run clean`). */
export const stackLog = createLog("[snaprelay]");
/** The local cloud's complaints about its own work. */
export const cloudLog = createLog("local cloud:");
