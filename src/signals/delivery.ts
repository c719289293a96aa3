/**
 * What every sink's delivery loop shares (the SNS sink here, the others in src/sinks/deliver.ts): how
 * entries are packed into requests, what a request that failed or was never sent does to its entries,
 * and how an error is told in a PublishError, one redacted line per reason.
 */
import { DeadlineExceeded, errorCode, inRounds, isRetryable, type RequestOutcome } from "../aws/retry.js";
import type { RecentIds } from "./recent-ids.js";
import { redactText } from "./redact.js";

/** Longest wait between two retry rounds of a sink. */
export const MAX_DELAY_MS = 5_000;

/** How much of an error's own words a PublishError repeats, per reason. */
const DETAIL_MAX_CHARS = 300;

/** One line, redacted (an SDK message may quote an endpoint URL), at most DETAIL_MAX_CHARS. */
export function safeLine(text: string): string {
  const line = redactText(text).replace(/ {2,}/g, " ").trim();
  return line.length <= DETAIL_MAX_CHARS ? line : `${line.slice(0, DETAIL_MAX_CHARS - 1)}…`;
}

/**
 * What an error says, for a person: `name: message`, without a name that only says "Error" or
 * repeats `code`. An AggregateError (Node's dual-stack connect) has no message of its own: its first
 * inner error speaks for it; so does a cause.
 */
export function describeError(error: unknown, code?: string, depth = 0): string {
  if (typeof error === "string") return safeLine(error);
  if (typeof error !== "object" || error === null || depth > 3) return "";
  const e = error as { name?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  let message = typeof e.message === "string" ? e.message : "";
  if (message.trim() === "" && Array.isArray(e.errors)) message = describeError(e.errors[0], code, depth + 1);
  if (message.trim() === "" && e.cause !== undefined) message = describeError(e.cause, code, depth + 1);
  const name = typeof e.name === "string" && e.name !== "Error" && e.name !== code ? e.name : "";
  return safeLine([name, message.trim()].filter((part) => part !== "").join(": "));
}

/** What a sink remembers of an entry's latest failure, for PublishError. */
export interface Attempted {
  bytes: number;
  /** Error code of the latest failed attempt. */
  code?: string;
  /** What that attempt's error said: one redacted, bounded line. */
  detail?: string;
}

/** Next-fit in order: a new request when `maxEntries` or the byte budget would be exceeded. */
export function packRequests<T extends Attempted>(
  items: readonly T[],
  maxEntries: number,
  maxBytes: number,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length === maxEntries || bytes + item.bytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A batch left unsent because the deadline had passed: all of it stays pending. */
export function notSent<T extends Attempted>(batch: readonly T[]): RequestOutcome<T> {
  for (const item of batch) {
    item.code = "DeadlineExceeded";
    item.detail = "not sent, the deadline had passed";
  }
  return { delivered: [], retry: [...batch], failed: [], sent: false };
}

/**
 * A request that threw: each of its entries carries the error's code and words, and is sent again
 * when the error passes (or the deadline abandoned it: nothing says the receiver would refuse it).
 */
export function requestFailed<T extends Attempted>(
  outcome: RequestOutcome<T>,
  batch: readonly T[],
  error: unknown,
): void {
  const code = errorCode(error) ?? "UnknownError";
  const detail = describeError(error, code);
  for (const item of batch) {
    item.code = code;
    item.detail = detail;
  }
  const retry = error instanceof DeadlineExceeded || isRetryable(error);
  (retry ? outcome.retry : outcome.failed).push(...batch);
  outcome.error = error;
}

/** How a sink's call retries, as its options say. */
export interface SinkRounds<T> {
  maxRounds: number;
  baseDelayMs: number;
  deadlineMs?: number | undefined;
  /** Ids delivered are remembered here. */
  recent?: RecentIds | undefined;
  onRetry?: (round: number, pending: readonly T[]) => void;
}

/**
 * {@link inRounds} with the sinks' backoff (at most {@link MAX_DELAY_MS} between rounds). What the
 * rounds delivered is counted in `report` and remembered in `recent`; what they lost (failed for good
 * or still pending) is added to `lost`. Returns the last error met and whether the deadline stopped it.
 */
export async function deliverInRounds<T extends Attempted & { key: string }>(
  entries: readonly T[],
  options: SinkRounds<T>,
  report: { requests: number; published: number },
  lost: { push(...items: T[]): number },
  send: (pending: T[]) => Promise<RequestOutcome<T>[]>,
): Promise<{ lastError?: unknown; stoppedAtDeadline: boolean }> {
  const { maxRounds, baseDelayMs, deadlineMs, recent, onRetry } = options;
  const rounds = await inRounds(
    entries,
    {
      maxRounds,
      backoff: { baseDelayMs, maxDelayMs: MAX_DELAY_MS },
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      ...(onRetry ? { onRetry } : {}),
    },
    send,
  );
  report.requests += rounds.requests;
  for (const item of rounds.delivered) {
    recent?.add(item.key);
    report.published++;
  }
  lost.push(...rounds.failed, ...rounds.pending);
  return { lastError: rounds.lastError, stoppedAtDeadline: rounds.stoppedAtDeadline };
}
