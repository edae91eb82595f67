// How the CLI shows things to a person: aligned tables, progress bars, a job with its copies.
// With --json the CLI prints the API's own JSON instead, for scripts.
import type { CopyBody, JobBody } from "../../functions/api/openapi/schemas.js";

/**
 * Text from the API made safe for a terminal: a control or formatting character (an escape
 * sequence, a right-to-left override) a tenant put in a name or reason shows as U+FFFD instead of
 * being obeyed. The CLI's own line breaks stay.
 */
export const printable = (text: string): string =>
  text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (character) =>
    character === "\n" ? "\n" : "\uFFFD",
  );

/** `[########------------]  40%` */
export const progressBar = (percent: number, width = 20): string => {
  const clamped = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((clamped / 100) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(clamped).padStart(3)}%`;
};

/** Rows under a header, each column as wide as its widest cell. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
};

/** 95 → "1m35s"; null → "-". */
export const duration = (seconds: number | null | undefined): string => {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "-";
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, "0")}m`;
  if (minutes > 0) return `${minutes}m${String(rest).padStart(2, "0")}s`;
  return `${rest}s`;
};

const copyLine = (copy: CopyBody): string[] => {
  const where =
    copy.status === "QUEUED" && typeof copy.queuePosition === "number"
      ? `queued, ${copy.queuePosition} ahead`
      : copy.status === "COPYING"
        ? `eta ${duration(copy.etaSeconds)}`
        : "";
  const note = copy.error
    ? `${copy.error.code}: ${copy.error.message}`
    : copy.cleanup
      ? `partial copy ${copy.cleanup.snapshotId} ${copy.cleanup.state.toLowerCase()}`
      : (copy.destinationSnapshotId ?? "");
  return [copy.destinationRegion, copy.status, progressBar(copy.progress), where, note];
};

/** A job as a person reads it: a title line, then one line per copy with its progress bar. */
export const renderJob = (job: JobBody): string => {
  const title = `${job.jobId}  ${job.status}  ${job.snapshotId} from ${job.sourceRegion}  (${job.name})`;
  const lines = [
    title,
    table(["destination", "status", "progress", "", ""], job.copies.map(copyLine)),
  ];
  if (job.error) lines.push(`error: ${job.error.code}: ${job.error.message}`);
  if (job.cancellation) {
    const why = job.cancellation.reason ? `: ${job.cancellation.reason}` : "";
    lines.push(`cancelled by ${job.cancellation.by} at ${job.cancellation.at}${why}`);
  }
  return lines.join("\n");
};
