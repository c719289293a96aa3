/**
 * The email sink (EMAIL_TOPIC_ARN): a topic of its own for email subscribers, with burst protection.
 * SNS delivers about 10 messages per second to one email subscription and a burst can get it
 * switched off, so each minute (UTC, fixed windows) the topic gets at most EMAIL_DIGEST_PER_MINUTE
 * signals as individual emails (renderEmail's text, renderSubject's subject). The rule, per sink
 * call (one call per log batch; a Kinesis invocation may make several):
 *
 *   the call's signals (at or above MIN_SEVERITY, not sent before) are added to the minute's count;
 *   if the count, this call included, stays within the budget, each goes as its own email;
 *   otherwise the call's signals all go as ONE digest message listing them.
 *
 * So a burst of 50 in one batch with a budget of 10 is one email, and later over-budget batches of
 * that minute are one digest each. The machine topics (SNS_TOPIC_ARN, PAGER_TOPIC_ARN) and the other
 * sinks get every full signal as before: this sink only decides what the people see.
 *
 * The count: with LEDGER_TABLE, one item per topic and minute in the ledger table (`email|<topic>|
 * <minute>`), raised by one atomic UpdateItem ADD that returns the new total, so every concurrent
 * Lambda shares the budget; the item expires an hour later (TTL). Without LEDGER_TABLE the count is
 * per container, in memory: N concurrent containers may send up to N budgets a minute.
 * A count that cannot be read (DynamoDB errors after the SDK's retries) fails closed toward
 * delivery: the call's signals go as one digest, never dropped and never a flood of emails.
 * A retried batch is counted again, so its resend is likelier to be a digest; it is not lost.
 *
 * The digest respects the SNS limits: plain text within the message budget (entries that do not fit
 * are summed up in a "+K more" line), a one-line printable-ASCII subject under 100 characters. Every
 * entry comes from the signal redacted and bounded again (renderedSignal), never from the raw one.
 * Delivery has the no-loss contract of deliver.ts: a digest that SNS does not confirm throws a
 * PublishError naming every signal it carried, so Lambda retries the batch.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { PublishBatchRequestEntry, SNSClient } from "@aws-sdk/client-sns";
import type { Config } from "../config.js";
import { PublishError } from "../errors.js";
import type { DeliveryReport } from "../invocation.js";
import type { Severity, Signal } from "../model.js";
import { atLeast, severityRank } from "../severity.js";
import { lastSegment, shortContainerId } from "../signals/build.js";
import { sanitizeText } from "../signals/redact.js";
import { MESSAGE_BUDGET_BYTES, renderEmail, renderSubject, SUBJECT_MAX_CHARS } from "../signals/render.js";
import { type DeliverOptions, deliver } from "./deliver.js";
import type { SinkCall, SinkOptions } from "./index.js";
import { clip, renderedSignal } from "./rendered.js";
import { snsBatchChannel } from "./sns-batch.js";

export const EMAIL_DIGEST_DEFAULT_PER_MINUTE = 10;
/** How long a minute's counter item outlives its minute (the table's TTL attribute). */
const COUNTER_TTL_SECONDS = 3_600;
/** Same names as the ledger's (ledger.ts), not imported: that module loads the DynamoDB commands. */
const KEY_ATTRIBUTE = "pk";
const TTL_ATTRIBUTE = "expiresAt";
const COMMAND_MAX = 200;
const WORKLOAD_MAX = 200;
/** Each digest entry is built from the signal bounded to this many bytes of JSON. */
const ENTRY_SIGNAL_BUDGET = 16 * 1024;
/** Kept free at the end of the digest for the "+K more" line. */
const MORE_RESERVE_BYTES = 512;

/** The minute's count of signals sent to the email topic. */
export interface EmailCounter {
  /** Adds `n` to the count of the minute `minute` (epoch minutes) and returns the new total. */
  add(minute: number, n: number): Promise<number>;
  /** Where the count lives, for the digest's words when it failed. */
  readonly where: string;
}

/** Per container: a Map of the current minute's count (older minutes are forgotten). */
export function memoryCounter(): EmailCounter {
  const counts = new Map<number, number>();
  return {
    where: "memory",
    async add(minute, n) {
      for (const key of counts.keys()) if (key < minute) counts.delete(key);
      const total = (counts.get(minute) ?? 0) + n;
      counts.set(minute, total);
      return total;
    },
  };
}

/** Shared by every Lambda: one item per topic and minute in the ledger table, one atomic ADD per call. */
export function ledgerCounter(
  client: () => Promise<DynamoDBClient>,
  table: string,
  topicArn: string,
): EmailCounter {
  return {
    where: `DynamoDB table ${table}`,
    async add(minute, n) {
      const { UpdateItemCommand } = await import("@aws-sdk/client-dynamodb");
      const out = await (await client()).send(
        new UpdateItemCommand({
          TableName: table,
          Key: { [KEY_ATTRIBUTE]: { S: counterKey(topicArn, minute) } },
          UpdateExpression: "ADD #count :n SET #ttl = if_not_exists(#ttl, :ttl)",
          ExpressionAttributeNames: { "#count": "emails", "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ":n": { N: String(n) },
            ":ttl": { N: String((minute + 1) * 60 + COUNTER_TTL_SECONDS) },
          },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      const total = Number(out.Attributes?.emails?.N);
      if (!Number.isSafeInteger(total)) throw new Error("the counter item came back without a count");
      return total;
    },
  };
}

/** The counter item's key: the topic and the minute's start, e.g. `email|arn:…:alerts|2024-05-01T12:04Z`. */
export function counterKey(topicArn: string, minute: number): string {
  return `email|${topicArn}|${new Date(minute * 60_000).toISOString().slice(0, 16)}Z`;
}

/** What one call sends: each signal as its own email, or one digest, and why. */
export type EmailPlan =
  | { kind: "individual" }
  | { kind: "digest"; reason: "over-budget"; total: number }
  | { kind: "digest"; reason: "counter-unavailable"; where: string };

/** The rule in one place. Pure: `total` is the minute's count with this call's signals included. */
export function planEmail(total: number, perMinute: number): EmailPlan {
  return total <= perMinute ? { kind: "individual" } : { kind: "digest", reason: "over-budget", total };
}

/** Printable ASCII on one line, whitespace collapsed (what a Subject may hold). */
function ascii(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\x20-\x7e]/gu, " ")
    .replace(/ {2,}/g, " ")
    .trim();
}

function workloadOf(signal: Signal): string {
  const { workload, container } = signal;
  const parts =
    workload.platform === "ecs"
      ? [
          workload.cluster && lastSegment(workload.cluster),
          workload.service ?? workload.family,
          workload.task && lastSegment(workload.task),
          container.name,
        ]
      : [
          workload.cluster,
          workload.namespace,
          workload.owner ? `${workload.owner.kind}/${workload.owner.name}` : undefined,
          workload.pod,
          container.name,
        ];
  const path = parts.filter((p): p is string => typeof p === "string" && p !== "").join(" / ");
  return path || (container.id ? shortContainerId(container.id) : "unknown");
}

function oneLine(text: string, max: number): string {
  return clip(sanitizeText(text).replace(/\s+/g, " ").trim(), max);
}

/** The digest's lines for one signal, from its redacted, bounded rendering. */
function entryLines(input: Signal, index: number): string {
  const signal = renderedSignal(input, ENTRY_SIGNAL_BUDGET);
  const command = [signal.process.name, ...signal.process.args].join(" ");
  return [
    `${index}. [${signal.severity.toUpperCase()}] ${oneLine(signal.utility.name, 64)} in ${oneLine(workloadOf(signal), WORKLOAD_MAX)} (${signal.workload.platform})`,
    `   Command line: ${oneLine(command, COMMAND_MAX)}`,
    `   Signal id:    ${oneLine(signal.id, 128)}`,
    "",
    "",
  ].join("\n");
}

function bySeverity(signals: readonly Signal[]): Signal[] {
  return signals
    .map((signal, order) => ({ signal, order }))
    .sort((a, b) => severityRank(b.signal.severity) - severityRank(a.signal.severity) || a.order - b.order)
    .map(({ signal }) => signal);
}

export interface Digest {
  subject: string;
  message: string;
  /** Signals listed one by one; the rest are counted in the "+K more" line. */
  listed: number;
}

/** The one digest message for `signals` (at least one). Pure; within the SNS limits. */
export function buildDigest(
  signals: readonly Signal[],
  plan: Exclude<EmailPlan, { kind: "individual" }>,
  perMinute: number,
  minute: number,
): Digest {
  const ordered = bySeverity(signals);
  const highest = ordered[0]?.severity ?? "medium";
  const start = new Date(minute * 60_000).toISOString().slice(0, 16).replace("T", " ");
  const counts = (["critical", "high", "medium", "low"] as const)
    .map((severity) => [severity, signals.filter((s) => s.severity === severity).length] as const)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${severity} ${n}`)
    .join(", ");
  const noun = signals.length === 1 ? "signal" : "signals";
  const subject = clip(
    ascii(`[${highest.toUpperCase()}] netutil-detector digest: ${signals.length} ${noun} (${start} UTC)`),
    SUBJECT_MAX_CHARS,
  );
  const why =
    plan.reason === "over-budget"
      ? `More than EMAIL_DIGEST_PER_MINUTE (${perMinute}) signals reached this email topic in the minute from ${start} UTC (${plan.total} so far), so this batch comes as one message instead of one email per signal.`
      : `The per-minute email count (${plan.where}) could not be read, so this batch comes as one message rather than risking a burst of emails.`;
  const head = [
    `Network utilities executed in containers - digest of ${signals.length} ${noun}`,
    "",
    why,
    "Every full signal went to the machine topic(s) and the other configured sinks as usual.",
    "",
    `By severity: ${counts}`,
    "",
    "",
  ].join("\n");
  const budget = MESSAGE_BUDGET_BYTES - Buffer.byteLength(subject, "utf8") - MORE_RESERVE_BYTES;
  let message = head;
  let bytes = Buffer.byteLength(head, "utf8");
  let listed = 0;
  for (const signal of ordered) {
    const lines = entryLines(signal, listed + 1);
    const size = Buffer.byteLength(lines, "utf8");
    if (bytes + size > budget) break;
    message += lines;
    bytes += size;
    listed++;
  }
  const more = ordered.length - listed;
  if (more > 0)
    message += `+${more} more ${more === 1 ? "signal" : "signals"} not listed (message size limit); each is on the machine topic.\n`;
  return { subject, message, listed };
}

/**
 * The email sink for SINKS (index.ts), which loads this file on first use: one sender per container,
 * so the in-memory per-minute counter (without LEDGER_TABLE) lives as long as the container.
 */
export const emailSink = {
  create(config: Readonly<Config>, options: SinkOptions, sns: () => Promise<SNSClient>) {
    const topicArn = config.emailTopicArn ?? "";
    const perMinute = config.emailDigestPerMinute;
    let dynamo: Promise<DynamoDBClient> | undefined;
    const dynamoClient = () => {
      dynamo ??= options.clients?.dynamoDb
        ? Promise.resolve(options.clients.dynamoDb)
        : import("../signals/ledger-client.js").then((m) => m.createLedgerClient());
      return dynamo;
    };
    const counter = config.ledgerTable
      ? ledgerCounter(dynamoClient, config.ledgerTable, topicArn)
      : memoryCounter();
    return (signals: Signal[], call: SinkCall) =>
      sendEmails({ client: sns, topicArn, perMinute, counter, minSeverity: config.minSeverity }, signals, {
        ...(options.recent ? { recent: options.recent } : {}),
        ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
        ...(options.baseDelayMs !== undefined ? { baseDelayMs: options.baseDelayMs } : {}),
        ...(call.deadlineMs ? { deadlineMs: call.deadlineMs } : {}),
        now: options.now ?? (() => new Date()),
      });
  },
};

export interface EmailTarget {
  client: () => Promise<SNSClient>;
  topicArn: string;
  perMinute: number;
  counter: EmailCounter;
  minSeverity: Severity;
}

const entryBytes = (entry: PublishBatchRequestEntry) =>
  Buffer.byteLength(entry.Message ?? "", "utf8") + Buffer.byteLength(entry.Subject ?? "", "utf8");

/**
 * Sends one call's signals to the email topic: individually within the minute's budget, else as one
 * digest. Resolves when SNS confirmed what was sent; throws PublishError naming every signal it did not.
 */
export async function sendEmails(
  target: EmailTarget,
  signals: readonly Signal[],
  options: Omit<DeliverOptions, "minSeverity"> & { now: () => Date },
): Promise<DeliveryReport> {
  const name = `SNS topic ${target.topicArn}`;
  const { recent, now, ...retry } = options;
  const report: DeliveryReport = { published: 0, deduplicated: 0, requests: 0 };
  const due: Signal[] = [];
  const seen = new Set<string>();
  for (const signal of signals) {
    if (!atLeast(signal.severity, target.minSeverity)) continue;
    const key = `${name}|${signal.id}`;
    if (seen.has(key) || recent?.has(key)) {
      report.deduplicated++;
      continue;
    }
    seen.add(key);
    due.push(signal);
  }
  if (due.length === 0) return report;

  const minute = Math.floor(now().getTime() / 60_000);
  let plan: EmailPlan;
  try {
    plan = planEmail(await target.counter.add(minute, due.length), target.perMinute);
  } catch {
    // Fail closed toward delivery: without the count, one digest (never dropped, never a flood).
    plan = { kind: "digest", reason: "counter-unavailable", where: target.counter.where };
  }
  const client = await target.client();

  if (plan.kind === "individual") {
    const channel = snsBatchChannel(client, target.topicArn, (signal, index) => {
      const entry = { Id: `m${index}`, Message: renderEmail(signal), Subject: renderSubject(signal) };
      return { entry, bytes: entryBytes(entry) };
    });
    const sent = await deliver(channel, due, { minSeverity: "low", ...retry, ...(recent ? { recent } : {}) });
    return { ...sent, deduplicated: sent.deduplicated + report.deduplicated };
  }

  const digest = buildDigest(due, plan, target.perMinute, minute);
  const entry = { Id: "digest", Message: digest.message, Subject: digest.subject };
  // deliver() sends one entry per signal: the digest rides on its first signal, and speaks for all.
  const channel = snsBatchChannel(client, target.topicArn, () => ({ entry, bytes: entryBytes(entry) }));
  try {
    const sent = await deliver(channel, due.slice(0, 1), { minSeverity: "low", ...retry });
    for (const signal of due) recent?.add(`${name}|${signal.id}`);
    return { published: due.length, deduplicated: report.deduplicated, requests: sent.requests };
  } catch (error) {
    const ids = due.map((signal) => signal.id);
    const why = error instanceof Error ? error.message : String(error);
    throw new PublishError(
      `the digest of ${ids.length} signals was not delivered to ${name}: ${why}`,
      ids.length,
      ids,
      {
        cause: error,
      },
    );
  }
}
