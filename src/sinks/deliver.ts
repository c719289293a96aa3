/**
 * The no-loss delivery loop every sink beyond SNS shares, with the SNS sink's contract: entries are
 * packed into requests within the receiver's limits, an entry counts as delivered only when the
 * receiver confirms it, retryable failures (throttling, 5xx, network, timeouts, entries the receiver
 * failed on its side) are sent again in later rounds with jittered backoff, and whatever is still
 * undelivered then makes the call throw PublishError, so Lambda retries the event and finally hands
 * it to its on-failure destination. Final failures (a malformed entry) are not retried and are named
 * in the error. A deadline stops the rounds early, as in publishSignals.
 */
import { beforeDeadline, mapBounded, type RequestOutcome } from "../aws/retry.js";
import { PublishError } from "../errors.js";
import type { Severity, Signal } from "../model.js";
import { atLeast } from "../severity.js";
import {
  type Attempted,
  deliverInRounds,
  describeError,
  notSent,
  packRequests,
  requestFailed,
  safeLine,
} from "../signals/delivery.js";
import type { RecentIds } from "../signals/recent-ids.js";

/** What the receiver said about one entry of a request. */
export type EntryResult = { ok: true } | { ok: false; code: string; message: string; final: boolean };

/** One receiver: its limits and how one request is sent. */
export interface Channel<E> {
  /** Names the receiver in errors: "EventBridge bus x", "Security Hub", "SNS topic arn:…". */
  name: string;
  maxEntries: number;
  /** Byte budget of one request, summed over the entries' own sizes. */
  maxBytes: number;
  /** Builds the entry for one signal; pure. A throw loses the signal, and says so. */
  build(signal: Signal, index: number): { entry: E; bytes: number };
  /** Sends one request; returns one result per entry, in order. Throws for a failed request. */
  send(entries: E[], abortSignal?: AbortSignal): Promise<EntryResult[]>;
}

export interface DeliverOptions {
  minSeverity: Severity;
  recent?: RecentIds;
  /** Retry rounds after the first attempt. Default 3. */
  maxRounds?: number;
  /** Backoff base in ms. Default 100. */
  baseDelayMs?: number;
  /** Absolute time (epoch ms) by which the call must be over. */
  deadlineMs?: number;
}

/** The same figures as the SNS sink's report, so the invocation sums them. */
export interface DeliverReport {
  published: number;
  deduplicated: number;
  requests: number;
}

interface Pending<E> extends Attempted {
  signal: Signal;
  key: string;
  entry: E;
}

/** Receivers that retry on their side answer with these; anything else an entry fails with is final. */
const RETRYABLE_ENTRY_CODE =
  /throttl|limitexceeded|toomanyrequests|internal|serviceunavailable|timeout|unavailable/i;

/** True when an entry-level error code names a passing condition rather than a bad entry. */
export function isRetryableEntryCode(code: string): boolean {
  return RETRYABLE_ENTRY_CODE.test(code);
}

const CONCURRENCY = 4;

type Outcome<E> = RequestOutcome<Pending<E>>;

async function sendBatch<E>(
  channel: Channel<E>,
  batch: Pending<E>[],
  deadlineMs: number | undefined,
): Promise<Outcome<E>> {
  if (deadlineMs !== undefined && Date.now() >= deadlineMs) return notSent(batch);
  const outcome: Outcome<E> = { delivered: [], retry: [], failed: [], sent: true };
  try {
    const results = await beforeDeadline(deadlineMs, (abortSignal) =>
      channel.send(
        batch.map((item) => item.entry),
        abortSignal,
      ),
    );
    batch.forEach((item, i) => {
      const result = results[i];
      if (result?.ok) {
        outcome.delivered.push(item);
        return;
      }
      item.code = result ? result.code : "MissingFromResponse";
      item.detail = result ? safeLine(result.message) : "the receiver answered nothing for this entry";
      (result?.final ? outcome.failed : outcome.retry).push(item);
      outcome.error = new Error(`${channel.name} rejected an entry: ${item.code}: ${item.detail}`);
    });
  } catch (error) {
    requestFailed(outcome, batch, error);
  }
  return outcome;
}

function undelivered(
  channel: string,
  total: number,
  lost: readonly Pending<unknown>[],
  cause: unknown,
): PublishError {
  const ids = [...new Set(lost.map((item) => item.signal.id))];
  const reasons = [...new Set(lost.map((item) => [item.code, item.detail].filter(Boolean).join(": ")))];
  const named = reasons.slice(0, 3).concat(reasons.length > 3 ? [`${reasons.length - 3} more`] : []);
  return new PublishError(
    `${ids.length} of ${total} signals were not delivered to ${channel}${named.length ? ` (${named.join("; ")})` : ""}`,
    ids.length,
    ids,
    { cause },
  );
}

/**
 * Delivers each signal at or above `minSeverity` through `channel`; resolves only when every one
 * was confirmed or deduplicated, otherwise throws {@link PublishError}.
 */
export async function deliver<E>(
  channel: Channel<E>,
  signals: readonly Signal[],
  options: DeliverOptions,
): Promise<DeliverReport> {
  const { minSeverity, recent, maxRounds = 3, baseDelayMs = 100, deadlineMs } = options;
  const report: DeliverReport = { published: 0, deduplicated: 0, requests: 0 };
  const lost: Pending<E>[] = [];
  const seen = new Set<string>();
  let lastError: unknown;
  const pending: Pending<E>[] = [];
  let index = 0;
  for (const signal of signals) {
    if (!atLeast(signal.severity, minSeverity)) continue;
    const key = `${channel.name}|${signal.id}`;
    if (seen.has(key) || recent?.has(key)) {
      report.deduplicated++;
      continue;
    }
    seen.add(key);
    try {
      pending.push({ signal, key, ...channel.build(signal, index++) });
    } catch (error) {
      lost.push({
        signal,
        key,
        entry: undefined as E,
        bytes: 0,
        code: "RenderError",
        detail: describeError(error),
      });
      lastError = error;
    }
  }
  const rounds = await deliverInRounds(
    pending,
    { maxRounds, baseDelayMs, deadlineMs, recent },
    report,
    lost,
    (items) =>
      mapBounded(packRequests(items, channel.maxEntries, channel.maxBytes), CONCURRENCY, (b) =>
        sendBatch(channel, b, deadlineMs),
      ),
  );
  if (rounds.lastError !== undefined) lastError = rounds.lastError;
  if (lost.length > 0) throw undelivered(channel.name, signals.length, lost, lastError);
  return report;
}
