import type { KinesisStreamRecord } from "aws-lambda";
import { type Config, emitSeverity } from "./config.js";
import { DecodeError, PublishError } from "./errors.js";
import { type Decoded, decodeAwslogsEvent, isRecord } from "./ingest/awslogs.js";
import { decodeKinesisRecord } from "./ingest/kinesis.js";
import type { BatchStats, Signal } from "./model.js";
import { addStats, emptyStats, execEventCount, processBatch } from "./pipeline.js";
import type { LedgerGate } from "./signals/ledger.js";
import { countBatch, METRIC, type Telemetry } from "./telemetry.js";

/** What a sink did with the signals it was given. */
export interface DeliveryReport {
  published: number;
  deduplicated: number;
  requests: number;
}

/** Delivers signals (SNS in Lambda, stdout in a dry run). Throws PublishError when any is lost. */
export type Sink = (signals: Signal[]) => Promise<DeliveryReport>;

export interface InvocationDeps {
  config: Readonly<Config>;
  sink: Sink;
  telemetry: Telemetry;
  /** The signal ledger for this invocation (LEDGER_TABLE); absent: every signal goes to the sink. */
  ledger?: LedgerGate;
  /** Epoch ms after which events are judged without analysis (see {@link analysisDeadline}). */
  analysisDeadlineMs?: number;
}

/** What the SNS sink keeps back from the remaining Lambda time (it stops retrying then). */
export const SINK_MARGIN_MS = 5_000;
/** The analysis gets at most this share of the time before the sink's margin; the rest is for signals. */
export const ANALYSIS_SHARE = 0.5;
/** And never more than this: a batch is meant to take well under it (see `npm run bench:worst`). */
export const ANALYSIS_MAX_MS = 10_000;

/**
 * The analysis deadline of an invocation with `remainingMs` left at `nowMs`: half of the time before
 * the sink's 5 s margin, at most 10 s. What is left is for building, rendering and publishing the
 * signals of the events judged before and after it.
 */
export function analysisDeadline(nowMs: number, remainingMs: number): number {
  const beforeSink = Math.max(0, remainingMs - SINK_MARGIN_MS);
  return nowMs + Math.min(ANALYSIS_MAX_MS, Math.floor(beforeSink * ANALYSIS_SHARE));
}

/**
 * The two deadlines of a Lambda invocation: the sink stops retrying {@link SINK_MARGIN_MS} before
 * Lambda would kill it, and the analysis ends at {@link analysisDeadline}. None without a context.
 */
export function timeBudgets(context?: { getRemainingTimeInMillis(): number }): {
  deadlineMs?: number;
  analysisDeadlineMs?: number;
} {
  if (!context) return {};
  const now = Date.now();
  const remaining = context.getRemainingTimeInMillis();
  return {
    deadlineMs: now + remaining - SINK_MARGIN_MS,
    analysisDeadlineMs: analysisDeadline(now, remaining),
  };
}

export interface InvocationResult {
  source: "awslogs" | "kinesis";
  /** Batches that were CONTROL_MESSAGE health probes. */
  controlMessages: number;
  stats: BatchStats;
  /** Every signal detected, delivered or not. */
  signals: Signal[];
  delivery: DeliveryReport;
  /** Signals the sink reported as not delivered (the invocation then failed). */
  undelivered: number;
  /** Kinesis only: sequence number of the first record that could not be handled. */
  batchItemFailures: { itemIdentifier: string }[];
}

function kinesisRecords(event: unknown): KinesisStreamRecord[] | null {
  if (!isRecord(event) || !Array.isArray(event.Records)) return null;
  const records = event.Records as unknown[];
  if (!records.some((r) => isRecord(r) && (isRecord(r.kinesis) || r.eventSource === "aws:kinesis")))
    return null;
  // Every record must carry its sequence number, or a failure could not be reported for it.
  records.forEach((r, i) => {
    if (!isRecord(r) || !isRecord(r.kinesis) || typeof r.kinesis.sequenceNumber !== "string") {
      throw new DecodeError(`Kinesis event record ${i} has no kinesis.sequenceNumber`, "event");
    }
  });
  return records as KinesisStreamRecord[];
}

/** An empty result; pass your own to {@link handleEvent} to keep what was done when it throws. */
export function newInvocationResult(): InvocationResult {
  return {
    source: "awslogs",
    controlMessages: 0,
    stats: emptyStats(),
    signals: [],
    delivery: { published: 0, deduplicated: 0, requests: 0 },
    undelivered: 0,
    batchItemFailures: [],
  };
}

async function processDecoded(
  decoded: Decoded,
  deps: InvocationDeps,
  result: InvocationResult,
): Promise<void> {
  if (decoded.kind === "control") {
    result.controlMessages++;
    deps.telemetry.count(METRIC.controlMessages, 1);
    return;
  }
  const { signals, stats } = processBatch(decoded.batch, {
    minSeverity: emitSeverity(deps.config),
    allowlist: deps.config.allowlist,
    trust: deps.config.trust,
    ...(deps.config.region ? { region: deps.config.region } : {}),
    ...(deps.analysisDeadlineMs !== undefined
      ? { deadline: { atMs: deps.analysisDeadlineMs, now: Date.now } }
      : {}),
    ...(deps.config.channels ? { channels: deps.config.channels } : {}),
  });
  countBatch(deps.telemetry, stats);
  addStats(result.stats, stats);
  if (signals.length === 0) return;
  result.signals.push(...signals);
  const admission = await deps.ledger?.admit(signals);
  let delivery: DeliveryReport;
  try {
    delivery = await deps.sink(admission?.publish ?? signals);
  } catch (error) {
    await deps.ledger?.release(admission, error);
    const undelivered = error instanceof PublishError ? error.undelivered : signals.length;
    deps.telemetry.count(METRIC.publishFailures, undelivered);
    result.undelivered += undelivered;
    throw error;
  }
  deps.telemetry.count(METRIC.published, delivery.published);
  deps.telemetry.count(METRIC.deduplicated, delivery.deduplicated);
  deps.telemetry.count(METRIC.publishRequests, delivery.requests);
  result.delivery.published += delivery.published;
  result.delivery.deduplicated += delivery.deduplicated;
  result.delivery.requests += delivery.requests;
}

function countDecodeError(deps: InvocationDeps, error: unknown, attributes: Record<string, unknown>): void {
  if (!(error instanceof DecodeError)) return;
  deps.telemetry.count(METRIC.decodeErrors, 1);
  deps.telemetry.error("payload could not be decoded", {
    stage: error.stage,
    reason: error.message,
    ...attributes,
  });
}

/**
 * Handles one Lambda event: a CloudWatch Logs subscription event (`{awslogs: {data}}`) or a
 * Kinesis event whose records carry CloudWatch Logs payloads. Decodes, runs the pipeline,
 * hands signals to the sink.
 *
 * awslogs: an undecodable payload or a failed delivery throws, so Lambda retries and the
 * on-failure destination keeps the event; `result`, when the caller passes one, still holds the
 * counters and the signals detected so far. Kinesis: the first record that cannot be decoded or
 * delivered is reported in `batchItemFailures` and processing stops there — Lambda resumes from
 * that record, so the records after it would be processed twice if we went on.
 */
export async function handleEvent(
  event: unknown,
  deps: InvocationDeps,
  result: InvocationResult = newInvocationResult(),
): Promise<InvocationResult> {
  // Every decode failure of the event itself is counted and logged once, here.
  let records: KinesisStreamRecord[] | null;
  let decoded: Decoded | undefined;
  try {
    records = kinesisRecords(event);
    if (!records) decoded = decodeAwslogsEvent(event, deps.config.maxDecodedBytes);
  } catch (error) {
    countDecodeError(deps, error, {});
    throw error;
  }
  if (decoded) {
    await processDecoded(decoded, deps, result);
    return result;
  }
  result.source = "kinesis";
  for (const record of records ?? []) {
    try {
      await processDecoded(decodeKinesisRecord(record, deps.config.maxDecodedBytes), deps, result);
    } catch (error) {
      countDecodeError(deps, error, { sequenceNumber: record.kinesis.sequenceNumber });
      if (!(error instanceof DecodeError)) {
        deps.telemetry.error("record not delivered", {
          sequenceNumber: record.kinesis.sequenceNumber,
          error: (error as Error).message,
        });
      }
      result.batchItemFailures.push({ itemIdentifier: record.kinesis.sequenceNumber });
      break;
    }
  }
  return result;
}

/** The small summary the Lambda returns and logs (never the batch itself). */
export function summarize(result: InvocationResult): Record<string, unknown> {
  const { stats } = result;
  return {
    source: result.source,
    controlMessages: result.controlMessages,
    logEvents: stats.logEvents,
    execEvents: execEventCount(stats),
    findings: stats.findings,
    suppressed: stats.suppressed,
    signals: result.signals.length,
    undelivered: result.undelivered,
    published: result.delivery.published,
    deduplicated: result.delivery.deduplicated,
    publishRequests: result.delivery.requests,
    invalidEvents: stats.invalidEvents,
    parseErrors: stats.parseErrors,
    overBudget: stats.overBudget,
    untrusted: stats.untrusted,
  };
}

/** A loggable description of an error: name, message, and the typed fields that matter. */
export function errorSummary(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return {
    name: error.name,
    message: error.message,
    ...(error instanceof DecodeError ? { stage: error.stage } : {}),
    ...(error instanceof PublishError ? { undelivered: error.undelivered, signalIds: error.signalIds } : {}),
  };
}
