import type { CliIO } from "./io.js";

/** What the progress line shows; `fraction` (0..1) only when the total work is knowable. */
export interface ProgressSnapshot {
  /** Where the work is, e.g. "group 2/3 /ecs/payments". */
  label: string;
  events: number;
  signals: number;
  fraction?: number;
}

export interface ProgressOptions {
  /** Redraw interval on a terminal; the line is overwritten in place with `\r`. */
  ttyIntervalMs?: number;
  /** Interval between plain lines when stderr is a file or pipe (CI logs stay readable). */
  plainIntervalMs?: number;
}

const CLEAR_TO_END = "\u001b[K";

/** 12345 -> "12,345". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** Milliseconds as a short human duration: "42s", "3m 05s", "2h 03m". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/** Events per second, or null when too little time has passed to say. */
export function ratePerSecond(count: number, elapsedMs: number): number | null {
  return elapsedMs >= 1 ? (count * 1000) / elapsedMs : null;
}

/** Remaining time from the fraction done so far, or null while it cannot be estimated. */
export function estimateRemainingMs(fraction: number | undefined, elapsedMs: number): number | null {
  if (fraction === undefined || !Number.isFinite(fraction) || fraction <= 0 || elapsedMs <= 0) return null;
  if (fraction >= 1) return 0;
  return (elapsedMs * (1 - fraction)) / fraction;
}

const ELLIPSIS = "…";
const SEPARATOR = " · ";
/** A label shorter than this once clipped says nothing; the counts are then shown alone. */
const MIN_LABEL = 8;

/** The part of `text` that fits in `width` characters, its middle replaced by an ellipsis when cut. */
export function clipMiddle(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 1) return width === 1 ? ELLIPSIS : "";
  const tail = Math.floor((width - 1) / 2);
  const head = width - 1 - tail;
  return `${chars.slice(0, head).join("")}${ELLIPSIS}${chars.slice(chars.length - tail).join("")}`;
}

/**
 * One progress line (no newline, no control characters). With `width`, the line fits in that many
 * characters: the label (a log-group name can be long) is shortened in its middle first, so the
 * counts stay readable; when no readable label fits beside them, the counts are shown alone (cut at
 * their end if even they do not fit). A line wider than
 * the terminal wraps, and `\r` then returns only to the start of its last row, leaving stale rows.
 */
export function formatProgressLine(snapshot: ProgressSnapshot, elapsedMs: number, width?: number): string {
  const line = progressParts(snapshot, elapsedMs);
  if (width === undefined || !Number.isFinite(width)) return line.join(SEPARATOR);
  const limit = Math.max(0, Math.floor(width));
  const whole = line.join(SEPARATOR);
  if (Array.from(whole).length <= limit) return whole;
  const [label = "", ...counts] = line;
  const rest = counts.join(SEPARATOR);
  const room = limit - Array.from(rest).length - SEPARATOR.length;
  if (room >= Math.min(MIN_LABEL, Array.from(label).length)) {
    return `${clipMiddle(label, room)}${SEPARATOR}${rest}`;
  }
  return Array.from(rest).slice(0, limit).join("");
}

function progressParts(snapshot: ProgressSnapshot, elapsedMs: number): string[] {
  const rate = ratePerSecond(snapshot.events, elapsedMs);
  const parts = [
    snapshot.label,
    `${formatCount(snapshot.events)} events`,
    rate === null ? "– ev/s" : `${formatCount(rate)} ev/s`,
    `${formatCount(snapshot.signals)} signals`,
  ];
  const remaining = estimateRemainingMs(snapshot.fraction, elapsedMs);
  if (snapshot.fraction !== undefined && remaining !== null) {
    parts.push(`${Math.floor(Math.min(1, snapshot.fraction) * 100)}%`, `ETA ${formatDuration(remaining)}`);
  }
  return parts;
}

/**
 * Progress on stderr. On a terminal the line is redrawn in place (throttled); otherwise a plain
 * line is written every `plainIntervalMs`, so logs of non-interactive runs stay short.
 */
export class ProgressReporter {
  private lastDraw: number;
  private drawn = false;
  private last: ProgressSnapshot | null = null;
  private readonly ttyIntervalMs: number;
  private readonly plainIntervalMs: number;

  constructor(
    private readonly io: CliIO,
    private readonly startedAt: number,
    options: ProgressOptions = {},
  ) {
    this.ttyIntervalMs = options.ttyIntervalMs ?? 200;
    this.plainIntervalMs = options.plainIntervalMs ?? 10_000;
    this.lastDraw = startedAt;
  }

  /** Records the latest state and draws it when the interval has passed. */
  update(snapshot: ProgressSnapshot): void {
    this.last = snapshot;
    const now = this.io.now();
    const interval = this.io.stderrIsTTY ? this.ttyIntervalMs : this.plainIntervalMs;
    if (now - this.lastDraw < interval) return;
    this.draw(now);
  }

  /** Ends the progress display: the final state stays on screen and the cursor moves to a new line. */
  finish(): void {
    if (!this.io.stderrIsTTY) return;
    if (this.last) this.draw(this.io.now());
    if (this.drawn) this.io.stderr("\n");
    this.drawn = false;
  }

  private draw(now: number): void {
    if (!this.last) return;
    this.lastDraw = now;
    if (this.io.stderrIsTTY) {
      // One column short of the width: writing the last column leaves some terminals' cursor
      // pending a wrap, and the next `\r` would then land on a new row.
      const columns = this.io.stderrColumns?.();
      const width = columns !== undefined && columns > 1 ? columns - 1 : undefined;
      const line = formatProgressLine(this.last, now - this.startedAt, width);
      this.io.stderr(`\r${line}${CLEAR_TO_END}`);
      this.drawn = true;
    } else {
      this.io.stderr(`${formatProgressLine(this.last, now - this.startedAt)}\n`);
    }
  }
}

/** A diagnostic line; on a terminal it first clears the progress line it interrupts. */
export function notice(io: CliIO, text: string): void {
  io.stderr(`${io.stderrIsTTY ? "\r\u001b[K" : ""}${text}\n`);
}

export type Align = "left" | "right";

/** A plain-text table: header, rule, rows; columns padded to their widest cell. */
export function formatTable(columns: { header: string; align?: Align }[], rows: string[][]): string {
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? "";
        const width = widths[i] ?? 0;
        return column.align === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return `${[line(columns.map((c) => c.header)), rule, ...rows.map(line)].join("\n")}\n`;
}
