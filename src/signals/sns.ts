/**
 * The SNS sink: delivers every signal to its topics, or throws.
 *
 * Routing relies only on what SNS documents. Two standard topics: the alert topic
 * (SNS_TOPIC_ARN) gets every signal at or above MIN_SEVERITY, the optional pager topic
 * (PAGER_TOPIC_ARN) every signal at or above PAGER_MIN_SEVERITY. Email and machine subscribers
 * subscribe to the first, the pager to the second, so no subscriber needs a filter policy. Each
 * entry also carries at most 10 routing attributes (routing.ts: severity, utility, namespace, owner,
 * ECS service/family, labels) for subscription filter policies (tested against moto); with
 * MessageStructure "json" SNS does not deliver them, so the body stays the reference.
 *
 * Each message is a PublishBatch entry with MessageStructure "json" (one body per protocol, from
 * renderSnsMessage) and a Subject. Entries are packed in order into requests of at most 10 entries
 * and at most 256 KiB of message + subject bytes (less a margin), so a busy batch costs one request
 * per 10 signals.
 *
 * Delivery is at least once. An entry counts as delivered only when SNS lists it in `Successful`;
 * only then is its `${topicArn}|${id}` remembered in RecentIds. `Failed` entries with SenderFault
 * (bad parameter, too long) are never retried; other failures, entries missing from the answer, and
 * requests that throw a retryable error (throttling, 5xx, network, timeout — after the SDK's own
 * attempts) are retried in later rounds with jittered exponential backoff. Whatever is still
 * undelivered after the last round makes the call throw PublishError, so Lambda retries the event
 * and finally hands it to its on-failure destination. A timed-out request may still have been
 * published: its retry can duplicate a message, with the same signal id for subscribers to
 * deduplicate on; losing it is the worse failure.
 *
 * The client decides how long a stuck request lasts. In this SDK `requestTimeout` alone only logs
 * a warning and the default socket timeout is 5 minutes, so give the client
 * `requestHandler: { connectionTimeout, requestTimeout, throwOnRequestTimeout: true }`, with a
 * request timeout well above SNS's normal latency (a timeout that fires while SNS is still
 * publishing turns into a duplicate).
 *
 * Requests run with a small bounded concurrency (4 in flight across both topics): a burst of a few
 * hundred signals then takes a handful of round trips instead of tens, while staying far below the
 * PublishBatch rate limits and the SDK's shared retry quota. Standard topics promise no order, so
 * running them in parallel loses nothing.
 *
 * Without a deadline the time a call can take grows with the number of requests (more than 4 wait
 * for a free slot, each slot bounded only by the client's timeouts and attempts). With `deadlineMs`
 * the call is over by then: requests are not started after it, unanswered ones are abandoned at it,
 * and a retry round that would start after it is skipped; PublishError then makes Lambda retry.
 */
import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from "@aws-sdk/client-sns";
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
} from "./delivery.js";
import type { RecentIds } from "./recent-ids.js";
import { renderSnsMessage, SNS_MESSAGE_LIMIT_BYTES, type SnsMessage } from "./render.js";
import { attributeBytes, routingAttributes } from "./routing.js";

/** A topic and the lowest severity it receives. */
export interface Route {
  topicArn: string;
  minSeverity: Severity;
  /** The pager topic: skipped for signals whose page the ledger capped (`ledger.pagingCapped`). */
  pager?: true;
}

/** What one {@link publishSignals} call did. */
export interface PublishReport {
  /** Signals handed in, whatever their severity. */
  signals: number;
  /** Topic deliveries attempted: (route, signal) pairs at or above the route's minimum, not deduplicated. */
  entries: number;
  /** Entries SNS confirmed. */
  published: number;
  /** (route, signal) pairs skipped because the same topic got the same id recently or earlier in this call. */
  deduplicated: number;
  /** PublishBatch calls made (each may hide SDK-level retries). */
  requests: number;
  /** Entries sent again in a retry round, summed over rounds. */
  retriedEntries: number;
}

export interface PublishOptions {
  /** Ids published recently by this container; checked before and updated after a successful publish. */
  recent?: RecentIds;
  /** Retry rounds after the first attempt, for `Failed` entries and retryable request errors. Default 3. */
  maxRounds?: number;
  /** Backoff base in ms; round r waits between half and all of base * 2^(r-1). Default 100. */
  baseDelayMs?: number;
  /** Called before each retry round with the number of entries to retry and the last error code. */
  onRetry?: (info: { round: number; failed: number; code?: string }) => void;
  /**
   * Absolute time (epoch ms) by which the call must be over, e.g. the Lambda's end less a margin. No
   * request starts at or after it, a request still unanswered at it is abandoned (aborted), and a
   * retry round that would start after it is not started: whatever is undelivered then makes the
   * call throw PublishError, so Lambda retries the event instead of timing out. An abandoned request
   * may still have been published (a duplicate on the retry, never a loss).
   */
  deadlineMs?: number;
}

/** SNS limits of one PublishBatch request. */
const PUBLISH_BATCH_MAX_ENTRIES = 10;
/** 256 KiB per request less room for what SNS may count beyond message and subject. */
export const PUBLISH_BATCH_MAX_BYTES = SNS_MESSAGE_LIMIT_BYTES - 2_048;

const CONCURRENCY = 4;

interface Delivery extends Attempted {
  topicArn: string;
  signal: Signal;
  key: string;
  /** Its `Id` is unique within the call, hence within any request: `e<n>`. */
  entry: PublishBatchRequestEntry;
}

type BatchOutcome = RequestOutcome<Delivery>;

/** Distinct reasons named per topic; more only lengthen the message. */
const MAX_REASONS = 3;

function utf8Bytes(text: string | undefined): number {
  return text === undefined ? 0 : Buffer.byteLength(text, "utf8");
}

/** Per topic (a request goes to one topic), then {@link packRequests}. */
function pack(deliveries: readonly Delivery[]): Delivery[][] {
  const byTopic = new Map<string, Delivery[]>();
  for (const delivery of deliveries) {
    const list = byTopic.get(delivery.topicArn) ?? [];
    list.push(delivery);
    byTopic.set(delivery.topicArn, list);
  }
  return [...byTopic.values()].flatMap((list) =>
    packRequests(list, PUBLISH_BATCH_MAX_ENTRIES, PUBLISH_BATCH_MAX_BYTES),
  );
}

/** Sends one batch; never throws — every entry lands in exactly one bucket of the outcome. */
async function sendBatch(
  client: SNSClient,
  batch: readonly Delivery[],
  deadlineMs: number | undefined,
): Promise<BatchOutcome> {
  if (deadlineMs !== undefined && Date.now() >= deadlineMs) return notSent(batch);
  const topicArn = batch[0]?.topicArn;
  const outcome: BatchOutcome = { delivered: [], retry: [], failed: [], sent: true };
  try {
    const command = new PublishBatchCommand({
      TopicArn: topicArn,
      PublishBatchRequestEntries: batch.map((d) => d.entry),
    });
    const response = await beforeDeadline(deadlineMs, (abortSignal) =>
      client.send(command, abortSignal ? { abortSignal } : {}),
    );
    const successful = new Set((response.Successful ?? []).map((entry) => entry.Id));
    const failures = new Map((response.Failed ?? []).map((entry) => [entry.Id, entry]));
    for (const delivery of batch) {
      const failure = failures.get(delivery.entry.Id);
      if (failure) {
        delivery.code = failure.Code ?? "UnknownFailure";
        delivery.detail = safeLine(failure.Message ?? "");
        (failure.SenderFault === true ? outcome.failed : outcome.retry).push(delivery);
        outcome.error = new Error(
          `SNS rejected entry ${delivery.entry.Id}: ${delivery.code}: ${failure.Message ?? ""}`,
        );
      } else if (successful.has(delivery.entry.Id)) {
        outcome.delivered.push(delivery);
      } else {
        // SNS always answers for every entry; anything else is an unconfirmed delivery.
        delivery.code = "MissingFromResponse";
        delivery.detail = "SNS answered neither success nor failure";
        outcome.retry.push(delivery);
        outcome.error = new Error(`SNS answered neither success nor failure for entry ${delivery.entry.Id}`);
      }
    }
  } catch (error) {
    requestFailed(outcome, batch, error);
  }
  return outcome;
}

/** A (topic, signal) pair given up on, with the code of its last failure. */
type Lost = Pick<Delivery, "topicArn" | "signal" | "code" | "detail">;

/** `code: detail`, or whichever of the two is known. */
function reasonOf({ code, detail }: Lost): string {
  return [code, detail].filter((part) => part !== undefined && part !== "").join(": ");
}

function undeliveredError(
  signals: number,
  lost: readonly Lost[],
  lastError: unknown,
  stoppedAtDeadline: boolean,
): PublishError {
  const ids = [...new Set(lost.map((d) => d.signal.id))];
  const perTopic = new Map<string, { count: number; reasons: Set<string> }>();
  for (const delivery of lost) {
    const topic = perTopic.get(delivery.topicArn) ?? { count: 0, reasons: new Set<string>() };
    topic.count++;
    const reason = reasonOf(delivery);
    if (reason !== "") topic.reasons.add(reason);
    perTopic.set(delivery.topicArn, topic);
  }
  const where = [...perTopic]
    .map(([arn, { count, reasons }]) => {
      const named = [...reasons].slice(0, MAX_REASONS);
      if (reasons.size > MAX_REASONS) named.push(`${reasons.size - MAX_REASONS} more`);
      return `${count} to ${arn}${named.length > 0 ? ` (${named.join("; ")})` : ""}`;
    })
    .join("; ");
  return new PublishError(
    `${ids.length} of ${signals} signals were not delivered to SNS: ${where}${stoppedAtDeadline ? "; retries stopped at the deadline" : ""}`,
    ids.length,
    ids,
    { cause: lastError },
  );
}

/**
 * Publishes each signal to every route whose minimum it reaches, in PublishBatch requests,
 * retrying what SNS did not confirm. Resolves only when every (route, signal) pair was delivered
 * or deduplicated; otherwise throws {@link PublishError} naming how many signals were lost and
 * where. Never logs: the caller reports the returned figures.
 */
export async function publishSignals(
  client: SNSClient,
  routes: readonly Route[],
  signals: readonly Signal[],
  options: PublishOptions = {},
): Promise<PublishReport> {
  const { recent, maxRounds = 3, baseDelayMs = 100, onRetry, deadlineMs } = options;
  if (!Number.isSafeInteger(maxRounds) || maxRounds < 0)
    throw new RangeError(`maxRounds must be >= 0: ${maxRounds}`);
  if (!Number.isFinite(baseDelayMs) || baseDelayMs < 0) {
    throw new RangeError(`baseDelayMs must be >= 0: ${baseDelayMs}`);
  }
  if (deadlineMs !== undefined && !Number.isFinite(deadlineMs)) {
    throw new RangeError(`deadlineMs must be a finite epoch time in ms: ${deadlineMs}`);
  }
  const report: PublishReport = {
    signals: signals.length,
    entries: 0,
    published: 0,
    deduplicated: 0,
    requests: 0,
    retriedEntries: 0,
  };

  const rendered = new Map<Signal, SnsMessage | { error: unknown }>();
  const render = (signal: Signal) => {
    let message = rendered.get(signal);
    if (!message) {
      try {
        message = renderSnsMessage(signal);
      } catch (error) {
        message = { error };
      }
      rendered.set(signal, message);
    }
    return message;
  };

  const pending: Delivery[] = [];
  const lost: Lost[] = [];
  const seen = new Set<string>();
  let lastError: unknown;
  for (const route of routes) {
    for (const signal of signals) {
      if (!atLeast(signal.severity, route.minSeverity)) continue;
      if (route.pager && signal.ledger?.pagingCapped) continue;
      const key = `${route.topicArn}|${signal.id}`;
      if (seen.has(key) || recent?.has(key)) {
        report.deduplicated++;
        continue;
      }
      seen.add(key);
      report.entries++;
      const message = render(signal);
      if ("error" in message) {
        // A signal that cannot be rendered is lost, and must say so.
        lost.push({
          topicArn: route.topicArn,
          signal,
          code: "RenderError",
          detail: describeError(message.error, "RenderError"),
        });
        lastError = message.error;
        continue;
      }
      // Routing fields for subscription filter policies (routing.ts); they count against the limit.
      const attributes = routingAttributes(signal);
      const entry: PublishBatchRequestEntry = {
        Id: `e${report.entries}`,
        Message: message.message,
        MessageStructure: "json",
        Subject: message.subject,
        MessageAttributes: attributes,
      };
      const bytes = utf8Bytes(message.message) + utf8Bytes(message.subject) + attributeBytes(attributes);
      pending.push({ topicArn: route.topicArn, signal, key, entry, bytes });
    }
  }

  const rounds = await deliverInRounds<Delivery>(
    pending,
    {
      maxRounds,
      baseDelayMs,
      deadlineMs,
      recent,
      onRetry: (round, retried) => {
        const code = retried.at(-1)?.code;
        onRetry?.(
          code === undefined ? { round, failed: retried.length } : { round, failed: retried.length, code },
        );
        report.retriedEntries += retried.length;
      },
    },
    report,
    lost,
    (batch) => mapBounded(pack(batch), CONCURRENCY, (request) => sendBatch(client, request, deadlineMs)),
  );
  if (rounds.lastError !== undefined) lastError = rounds.lastError;
  const { stoppedAtDeadline } = rounds;

  if (lost.length > 0) throw undeliveredError(signals.length, lost, lastError, stoppedAtDeadline);
  return report;
}
