import { parseArgs } from "node:util";
import {
  type CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from "@aws-sdk/client-cloudwatch-logs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SNSClient } from "@aws-sdk/client-sns";
import { type Backoff, backoffDelay, sleep as defaultSleep, isThrottling } from "../aws/retry.js";
import type { Config } from "../config.js";
import { ConfigError, UsageError } from "../errors.js";
import type { BatchStats, LogBatch, LogEvent, Severity, Signal } from "../model.js";
import { SEVERITIES } from "../model.js";
import { addStats, emptyStats, execEventCount, processBatch } from "../pipeline.js";
import { isSeverity } from "../severity.js";
import { silentTelemetry } from "../telemetry.js";
import { cliConfig } from "./invoke.js";
import type { CliIO } from "./io.js";
import { createLogsClient, logGroupPages } from "./logs-client.js";
import { formatCount, formatDuration, formatTable, ProgressReporter, ratePerSecond } from "./progress.js";

/** How the CLI is run (there is no installed binary): hints print commands that paste as they are. */
const COMMAND = "node dist/cli.js hunt";

const HUNT_HELP = `Usage: ${COMMAND} (--log-group NAME... | --prefix P...) --since WHEN [options]
       ${COMMAND} --resume TOKEN [--publish] [--limit N] [--json-summary]

Runs the detection rule over CloudWatch Logs history (FilterLogEvents), with the same pipeline
the Lambda runs. Signals are printed as JSON lines on stdout; progress and a summary table go to
stderr.

  --log-group NAME      a log group to search (repeatable)
  --prefix P            search every log group whose name starts with P (repeatable)
  --since WHEN          start of the window: a duration back from now (30m, 24h, 7d, 2w) or an
                        ISO-8601 time with a zone (2024-06-01, 2024-06-01T10:00:00Z)
  --until WHEN          end of the window, exclusive (same forms; default: now)
  --min-severity LEVEL  lowest severity to report (low, medium, high, critical; default MIN_SEVERITY
                        or medium)
  --publish             also publish the signals to SNS_TOPIC_ARN (and PAGER_TOPIC_ARN)
  --limit N             events per FilterLogEvents page, 1-10000 (default: the service's)
  --resume TOKEN        continue a hunt that stopped, from the token it printed
  --json-summary        print the summary as one JSON line on stderr instead of a table
  -h, --help            this text

When CloudWatch Logs keeps throttling after the retries, or on Ctrl-C, the hunt stops after the
last complete page and prints a resume token; --resume continues exactly there, so no event is
scanned twice and none is skipped. The token carries a FilterLogEvents page token, which the
service honours for 24 hours.

Exit status: 0 done; 1 error (a log group was not found, an AWS error, a signal not delivered);
2 usage or configuration error; 3 stopped by throttling (resumable); 130 interrupted (resumable).
`;

/** How hard to insist when CloudWatch Logs throttles, on top of the SDK's own retries. */
export interface RetryPolicy extends Backoff {
  attempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 20_000,
});

export interface HuntDeps {
  logs?: CloudWatchLogsClient;
  sns?: SNSClient;
  /** The signal ledger's client, when LEDGER_TABLE is set (default: createLedgerClient()). */
  dynamodb?: DynamoDBClient;
  /** Stops the hunt resumably, like Ctrl-C (the command listens for SIGINT when absent). */
  interrupt?: AbortSignal;
  retry?: RetryPolicy;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  progress?: { ttyIntervalMs?: number; plainIntervalMs?: number };
}

/** The counters a hunt carries across a resume. */
export interface HuntCounts {
  events: number;
  execEvents: number;
  findings: Record<Severity, number>;
  signals: number;
}

/** Everything needed to continue a hunt where it stopped. */
export interface ResumeState {
  v: 1;
  /** Explicit groups, or prefixes resolved again on resume. */
  target: { groups: string[] } | { prefixes: string[] };
  /** Index into the resolved group list, and that group's name (to re-find it after a re-resolve). */
  index: number;
  group: string;
  /** FilterLogEvents page token within `group`; absent at the group's start. */
  nextToken?: string;
  since: number;
  until: number;
  minSeverity: Severity;
  limit?: number;
  /** Totals of the earlier runs, and the part of them that belongs to `group`. */
  totals: HuntCounts;
  current: HuntCounts;
}

const DURATION = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses a time flag: a duration back from `now` ("30m", "24h", "7d", "2w") or an ISO-8601 date
 * (UTC midnight) or date-time with an explicit zone. Throws {@link UsageError} naming the flag.
 */
export function parseTimeSpec(value: string, now: number, flag: string): number {
  const text = value.trim();
  const duration = DURATION.exec(text);
  if (duration) {
    const [, amount, unit] = duration;
    return now - Number(amount) * (UNIT_MS[unit ?? "s"] ?? 0);
  }
  if (ISO_DATE.test(text) || ISO_DATE_TIME.test(text)) {
    const time = Date.parse(text);
    if (Number.isFinite(time)) return time;
  }
  if (/^\d{4}-\d{2}-\d{2}T[^Zz+-]*$/.test(text)) {
    throw new UsageError(`${flag} "${value}" has no time zone: add Z (UTC) or an offset like +02:00`);
  }
  throw new UsageError(
    `${flag} "${value}" is neither a duration (30m, 24h, 7d, 2w) nor an ISO-8601 time (2024-06-01T10:00:00Z)`,
  );
}

function emptyCounts(): HuntCounts {
  return { events: 0, execEvents: 0, findings: { low: 0, medium: 0, high: 0, critical: 0 }, signals: 0 };
}

/** Adds `from` into `into`, or takes it away with `sign` -1. */
function addCounts(into: HuntCounts, from: HuntCounts, sign: 1 | -1 = 1): void {
  into.events += sign * from.events;
  into.execEvents += sign * from.execEvents;
  for (const severity of SEVERITIES) into.findings[severity] += sign * from.findings[severity];
  into.signals += sign * from.signals;
}

function countsOf(stats: BatchStats): HuntCounts {
  return {
    events: stats.logEvents,
    execEvents: execEventCount(stats),
    findings: { ...stats.findings },
    signals: stats.signals,
  };
}

/** Serializes a resume state as base64url JSON (safe to paste in a shell without quoting). */
export function encodeResumeToken(state: ResumeState): string {
  return Buffer.from(JSON.stringify(state), "utf8").toString("base64url");
}

function isCounts(value: unknown): value is HuntCounts {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  const nonNegative = (n: unknown) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  const findings = c.findings as Record<string, unknown> | null | undefined;
  return (
    nonNegative(c.events) &&
    nonNegative(c.execEvents) &&
    nonNegative(c.signals) &&
    typeof findings === "object" &&
    findings !== null &&
    SEVERITIES.every((s) => nonNegative(findings[s]))
  );
}

function isStringList(value: unknown): value is string[] {
  return (
    Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v.length > 0)
  );
}

/** Parses and validates a token printed by an earlier run; throws {@link UsageError} when it is not one. */
export function decodeResumeToken(token: string): ResumeState {
  const invalid = (why: string) => new UsageError(`--resume: not a hunt resume token (${why})`);
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token.trim())) throw new Error("not base64url");
    parsed = JSON.parse(Buffer.from(token.trim(), "base64url").toString("utf8"));
  } catch {
    throw invalid("it does not decode to JSON");
  }
  if (typeof parsed !== "object" || parsed === null) throw invalid("not an object");
  const s = parsed as Record<string, unknown>;
  if (s.v !== 1) throw invalid(`unknown version ${JSON.stringify(s.v)}`);
  const target = s.target as Record<string, unknown> | null | undefined;
  const targetOk =
    typeof target === "object" &&
    target !== null &&
    (isStringList(target.groups) || isStringList(target.prefixes)) &&
    !(target.groups && target.prefixes);
  if (!targetOk) throw invalid("no log groups or prefixes");
  if (typeof s.index !== "number" || !Number.isSafeInteger(s.index) || s.index < 0)
    throw invalid("bad index");
  if (typeof s.group !== "string" || !s.group) throw invalid("no current group");
  if (s.nextToken !== undefined && typeof s.nextToken !== "string") throw invalid("bad page token");
  if (typeof s.since !== "number" || typeof s.until !== "number" || !(s.since < s.until))
    throw invalid("bad window");
  if (!isSeverity(s.minSeverity)) throw invalid("bad minimum severity");
  if (s.limit !== undefined && !(typeof s.limit === "number" && s.limit >= 1 && s.limit <= 10_000)) {
    throw invalid("bad page limit");
  }
  if (!isCounts(s.totals) || !isCounts(s.current)) throw invalid("bad counts");
  return parsed as ResumeState;
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error as { name?: string })?.name === "AbortError";
}

/** A diagnostic line; on a terminal it first clears the progress line it interrupts. */
function notice(io: CliIO, text: string): void {
  io.stderr(`${io.stderrIsTTY ? "\r\u001b[K" : ""}${text}\n`);
}

/** Why a hunt ended early; each kind maps to an exit status. */
type Stop =
  | { kind: "throttled"; error: unknown }
  | { kind: "interrupted" }
  | { kind: "error"; error: unknown }
  | { kind: "publish"; error: unknown };

class StopHunt extends Error {
  constructor(readonly stop: Stop) {
    super(stop.kind);
  }
}

function accountOf(arn: string | undefined): string | undefined {
  const account = arn?.split(":")[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** A log group to search and the account that owns it (for the signals' source.owner). */
interface Target {
  name: string;
  owner: string;
}

async function describeGroups(
  logs: CloudWatchLogsClient,
  prefix: string,
  signal: AbortSignal,
  exactOnly: boolean,
): Promise<Target[]> {
  const found: Target[] = [];
  for await (const groups of logGroupPages(logs, prefix, signal)) {
    for (const group of groups) {
      if (!group.logGroupName) continue;
      if (exactOnly && group.logGroupName !== prefix) continue;
      found.push({ name: group.logGroupName, owner: accountOf(group.logGroupArn ?? group.arn) ?? "unknown" });
    }
    // Results are sorted by name and the exact name sorts first among its prefix matches.
    if (exactOnly && groups.length > 0) break;
  }
  return found;
}

/** Groups one FilterLogEvents page into per-stream batches, in order of first appearance. */
export function pageToBatches(group: Target, events: FilteredLogEvent[]): LogBatch[] {
  const byStream = new Map<string, LogBatch>();
  events.forEach((event, index) => {
    const logStream = event.logStreamName ?? "unknown";
    let batch = byStream.get(logStream);
    if (!batch) {
      batch = { owner: group.owner, logGroup: group.name, logStream, subscriptionFilters: [], logEvents: [] };
      byStream.set(logStream, batch);
    }
    if (typeof event.message !== "string") {
      batch.dropped ??= [];
      batch.dropped.push({ index, reason: "log event message is missing" });
      return;
    }
    const logEvent: LogEvent = {
      // FilterLogEvents eventIds are the ids subscriptions deliver, so signal ids match the live path.
      id: event.eventId || `${logStream}:${event.timestamp ?? 0}:${index}`,
      timestamp: event.timestamp ?? 0,
      message: event.message,
    };
    batch.logEvents.push(logEvent);
  });
  return [...byStream.values()];
}

interface GroupRow {
  logGroup: string;
  status: "done" | "partial" | "not found" | "pending";
  counts: HuntCounts;
}

interface HuntSummary {
  since: string;
  until: string;
  groups: GroupRow[];
  earlier: HuntCounts | null;
  totals: HuntCounts;
  stats: BatchStats;
  elapsedMs: number;
  eventsPerSecond: number | null;
  published: number;
  stopped: { reason: string; resumeToken: string } | null;
}

function findingsCells(counts: HuntCounts): string[] {
  return SEVERITIES.map((s) => formatCount(counts.findings[s]));
}

/** The end-of-hunt table (stderr). */
function formatSummaryTable(summary: HuntSummary): string {
  const columns = [
    { header: "log group" },
    { header: "status" },
    { header: "events", align: "right" as const },
    { header: "exec", align: "right" as const },
    ...SEVERITIES.map((s) => ({ header: s, align: "right" as const })),
    { header: "signals", align: "right" as const },
  ];
  const row = (name: string, status: string, c: HuntCounts) => [
    name,
    status,
    formatCount(c.events),
    formatCount(c.execEvents),
    ...findingsCells(c),
    formatCount(c.signals),
  ];
  const rows = summary.groups.map((g) => row(g.logGroup, g.status, g.counts));
  if (summary.earlier) rows.unshift(row("(earlier runs)", "done", summary.earlier));
  rows.push(row("total", "", summary.totals));
  const rate = summary.eventsPerSecond === null ? "–" : formatCount(summary.eventsPerSecond);
  const thisRun = summary.groups.reduce((n, g) => n + g.counts.events, 0);
  return (
    `\nhunt ${summary.since} → ${summary.until}\n${formatTable(columns, rows)}` +
    `elapsed ${formatDuration(summary.elapsedMs)} · ${formatCount(thisRun)} events scanned in this run · ${rate} events/s` +
    (summary.published > 0 ? ` · ${formatCount(summary.published)} published` : "") +
    "\n"
  );
}

interface HuntPlan {
  target: ResumeState["target"];
  since: number;
  until: number;
  /** From --min-severity or the token; absent means MIN_SEVERITY or its default. */
  minSeverity: Severity | undefined;
  limit: number | undefined;
  resume: ResumeState | null;
}

interface HuntFlags {
  publish: boolean;
  json: boolean;
}

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 10_000) {
    throw new UsageError(`--limit must be a whole number from 1 to 10000; got "${raw}"`);
  }
  return value;
}

/** Parses the command line; `null` means --help. Throws {@link UsageError} for anything inconsistent. */
function parseHuntArgs(argv: string[], now: number): { plan: HuntPlan; flags: HuntFlags } | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      "log-group": { type: "string", multiple: true },
      prefix: { type: "string", multiple: true },
      since: { type: "string" },
      until: { type: "string" },
      "min-severity": { type: "string" },
      publish: { type: "boolean", default: false },
      limit: { type: "string" },
      resume: { type: "string" },
      "json-summary": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  if (values.help) return null;
  const flags: HuntFlags = { publish: values.publish, json: values["json-summary"] };
  const limit = parseLimit(values.limit);
  if (values.resume !== undefined) {
    const fixed = (["log-group", "prefix", "since", "until", "min-severity"] as const).filter(
      (name) => values[name] !== undefined,
    );
    if (fixed.length > 0) {
      const names = fixed.map((f) => `--${f}`).join(", ");
      throw new UsageError(
        `--resume continues the hunt the token describes; do not combine it with ${names}`,
      );
    }
    const resume = decodeResumeToken(values.resume);
    const { target, since, until, minSeverity } = resume;
    return { plan: { target, since, until, minSeverity, limit: limit ?? resume.limit, resume }, flags };
  }
  const groups = values["log-group"] ?? [];
  const prefixes = values.prefix ?? [];
  if (groups.length > 0 && prefixes.length > 0) throw new UsageError("use --log-group or --prefix, not both");
  if (groups.length === 0 && prefixes.length === 0)
    throw new UsageError("hunt needs --log-group NAME or --prefix P");
  if (groups.some((g) => !g.trim()) || prefixes.some((p) => !p.trim())) {
    throw new UsageError("--log-group and --prefix values must not be empty");
  }
  if (values.since === undefined) throw new UsageError("hunt needs --since (e.g. --since 24h)");
  const since = parseTimeSpec(values.since, now, "--since");
  const until = values.until === undefined ? now : parseTimeSpec(values.until, now, "--until");
  if (since >= until) throw new UsageError("--since must be earlier than --until");
  const minSeverity = values["min-severity"];
  if (minSeverity !== undefined && !isSeverity(minSeverity)) {
    throw new UsageError(`--min-severity must be one of low, medium, high, critical; got "${minSeverity}"`);
  }
  const target = groups.length > 0 ? { groups: [...new Set(groups)] } : { prefixes: [...new Set(prefixes)] };
  return { plan: { target, since, until, minSeverity, limit, resume: null }, flags };
}

async function resolveTargets(
  logs: CloudWatchLogsClient,
  target: ResumeState["target"],
  signal: AbortSignal,
  io: CliIO,
): Promise<{ targets: Target[]; missing: string[] }> {
  if ("groups" in target) {
    const targets: Target[] = [];
    const missing: string[] = [];
    for (const name of target.groups) {
      const [found] = await describeGroups(logs, name, signal, true);
      if (found) targets.push(found);
      else missing.push(name);
    }
    return { targets, missing };
  }
  const byName = new Map<string, Target>();
  for (const prefix of target.prefixes) {
    const found = await describeGroups(logs, prefix, signal, false);
    if (found.length === 0) io.stderr(`warning: no log group name starts with "${prefix}"\n`);
    for (const t of found) byName.set(t.name, t);
  }
  const targets = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { targets, missing: [] };
}

/** Where to start after a resume: the token's group, found by name in the (re-)resolved list. */
function startIndex(targets: Target[], resume: ResumeState): { index: number; sameGroup: boolean } {
  const exact = targets.findIndex((t) => t.name === resume.group);
  if (exact >= 0) return { index: exact, sameGroup: true };
  // The group disappeared since; continue with the next name in order.
  const after = targets.findIndex((t) => t.name > resume.group);
  return { index: after < 0 ? targets.length : after, sameGroup: false };
}

/**
 * `hunt`: runs the rule over CloudWatch Logs history. Exit status per {@link HUNT_HELP}.
 * `deps` lets tests inject clients, an interrupt signal and a fast retry policy.
 */
export async function runHunt(argv: string[], io: CliIO, deps: HuntDeps = {}): Promise<number> {
  const parsed = parseHuntArgs(argv, io.now());
  if (!parsed) {
    io.stderr(HUNT_HELP);
    return 0;
  }
  const { plan, flags } = parsed;
  let config: Readonly<Config>;
  try {
    config = cliConfig(io.env, plan.minSeverity);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  if (flags.publish && !config.snsTopicArn) {
    throw new UsageError(
      "--publish needs SNS_TOPIC_ARN (the topic that receives signals) in the environment",
    );
  }

  const controller = new AbortController();
  const abort = () => controller.abort();
  const external = deps.interrupt;
  if (external?.aborted) controller.abort();
  if (external) external.addEventListener("abort", abort, { once: true });
  else process.once("SIGINT", abort);
  try {
    return await hunt(
      { ...plan, minSeverity: config.minSeverity },
      flags,
      config,
      io,
      deps,
      controller.signal,
    );
  } finally {
    if (external) external.removeEventListener("abort", abort);
    else process.removeListener("SIGINT", abort);
  }
}

async function hunt(
  plan: HuntPlan & { minSeverity: Severity },
  flags: HuntFlags,
  config: Readonly<Config>,
  io: CliIO,
  deps: HuntDeps,
  signal: AbortSignal,
): Promise<number> {
  const startedAt = io.now();
  const logs = deps.logs ?? createLogsClient(config.region ? { region: config.region } : {});
  const retry = deps.retry ?? DEFAULT_RETRY;
  const sleep = deps.sleep ?? defaultSleep;
  const publisher = flags.publish ? await makePublisher(config, deps, io) : null;
  const region = config.region ?? (await logs.config.region().catch(() => undefined));

  let resolved: { targets: Target[]; missing: string[] };
  try {
    resolved = await resolveTargets(logs, plan.target, signal, io);
  } catch (error) {
    if (isAbort(error, signal)) {
      io.stderr("interrupted before the hunt started\n");
      return 130;
    }
    io.stderr(`error: cannot list log groups: ${(error as Error).name}: ${(error as Error).message}\n`);
    return 1;
  }
  const { targets, missing } = resolved;
  for (const name of missing) io.stderr(`error: log group not found: ${name}\n`);
  if (targets.length === 0) {
    io.stderr("error: no log group to search\n");
    return 1;
  }

  let index = 0;
  let nextToken: string | undefined;
  const earlier = plan.resume ? structuredClone(plan.resume.totals) : null;
  let carried = emptyCounts();
  if (plan.resume) {
    const start = startIndex(targets, plan.resume);
    index = start.index;
    if (start.sameGroup) {
      nextToken = plan.resume.nextToken;
      carried = structuredClone(plan.resume.current);
    } else {
      io.stderr(`warning: log group ${plan.resume.group} no longer exists; continuing with the next one\n`);
    }
    if (earlier) {
      // The current group's earlier part is shown in its own row, not in "(earlier runs)".
      addCounts(earlier, carried, -1);
    }
  }

  const rows: GroupRow[] = targets.map((t) => ({
    logGroup: t.name,
    status: "pending",
    counts: emptyCounts(),
  }));
  const firstRow = rows[index];
  if (firstRow) firstRow.counts = carried;
  const stats = emptyStats();
  let published = 0;
  const progress = new ProgressReporter(io, startedAt, deps.progress);
  const span = plan.until - plan.since;

  const totals = (): HuntCounts => {
    const t = emptyCounts();
    if (earlier) addCounts(t, earlier);
    for (const row of rows) addCounts(t, row.counts);
    return t;
  };

  let stop: Stop | null = null;
  for (; index < targets.length; index++) {
    const target = targets[index]!;
    const row = rows[index]!;
    row.status = "partial";
    let maxTimestamp = plan.since;
    try {
      do {
        if (signal.aborted) throw new StopHunt({ kind: "interrupted" });
        const page = await fetchPage(logs, target.name, plan, nextToken, signal, retry, sleep, io);
        if (page === "not found") {
          row.status = "not found";
          notice(io, `error: log group not found while searching: ${target.name}`);
          break;
        }
        const events = page.events ?? [];
        const pageSignals: Signal[] = [];
        const pageStats = emptyStats();
        for (const batch of pageToBatches(target, events)) {
          const result = processBatch(batch, {
            minSeverity: plan.minSeverity,
            allowlist: config.allowlist,
            trust: config.trust,
            ...(region ? { region } : {}),
            ...(config.channels ? { channels: config.channels } : {}),
          });
          pageSignals.push(...result.signals);
          addStats(pageStats, result.stats);
        }
        if (publisher && pageSignals.length > 0) {
          try {
            published += await publisher(pageSignals);
          } catch (error) {
            throw new StopHunt({ kind: "publish", error });
          }
        }
        // Commit the page only now: a stop before this line resumes with this very page.
        for (const s of pageSignals) io.stdout(JSON.stringify(s));
        addStats(stats, pageStats);
        addCounts(row.counts, countsOf(pageStats));
        for (const e of events) if ((e.timestamp ?? 0) > maxTimestamp) maxTimestamp = e.timestamp ?? 0;
        const previous = nextToken;
        nextToken = page.nextToken;
        if (nextToken !== undefined && nextToken === previous && events.length === 0) nextToken = undefined;
        const groupFraction = Math.min(1, Math.max(0, (maxTimestamp - plan.since) / span));
        progress.update({
          label: `group ${index + 1}/${targets.length} ${target.name}`,
          events: stats.logEvents,
          signals: totals().signals,
          fraction: (index + (nextToken ? groupFraction : 1)) / targets.length,
        });
      } while (nextToken);
    } catch (error) {
      if (!(error instanceof StopHunt)) throw error;
      stop = error.stop;
      break;
    }
    if (row.status === "partial") row.status = "done";
    nextToken = undefined;
  }
  progress.finish();

  const elapsedMs = io.now() - startedAt;
  let stopped: HuntSummary["stopped"] = null;
  if (stop) {
    const target = targets[index]!;
    const state: ResumeState = {
      v: 1,
      target: plan.target,
      index,
      group: target.name,
      ...(nextToken ? { nextToken } : {}),
      since: plan.since,
      until: plan.until,
      minSeverity: plan.minSeverity,
      ...(plan.limit ? { limit: plan.limit } : {}),
      totals: totals(),
      current: rows[index]?.counts ?? emptyCounts(),
    };
    const token = encodeResumeToken(state);
    stopped = { reason: describeStop(stop, retry), resumeToken: token };
    io.stderr(`\nhunt stopped: ${stopped.reason}\nresume with: ${COMMAND} --resume ${token}\n`);
  }

  const summary: HuntSummary = {
    since: new Date(plan.since).toISOString(),
    until: new Date(plan.until).toISOString(),
    groups: rows.filter((r) => r.status !== "pending" || !stop),
    earlier,
    totals: totals(),
    stats,
    elapsedMs,
    eventsPerSecond: ratePerSecond(stats.logEvents, elapsedMs),
    published,
    stopped,
  };
  io.stderr(flags.json ? `${JSON.stringify(summary)}\n` : formatSummaryTable(summary));

  if (stop?.kind === "interrupted") return 130;
  if (stop?.kind === "throttled") return 3;
  if (stop) return 1;
  return missing.length > 0 || rows.some((r) => r.status === "not found") ? 1 : 0;
}

function describeStop(stop: Stop, retry: RetryPolicy): string {
  const detail = (error: unknown) =>
    `${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? error}`;
  switch (stop.kind) {
    case "interrupted":
      return "interrupted";
    case "throttled":
      return `CloudWatch Logs kept throttling after ${retry.attempts} retries (${detail(stop.error)})`;
    case "publish":
      return `signals could not be published (${detail(stop.error)}); the page is searched again on resume`;
    case "error":
      return `CloudWatch Logs error (${detail(stop.error)})`;
  }
}

async function fetchPage(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  plan: HuntPlan,
  nextToken: string | undefined,
  signal: AbortSignal,
  retry: RetryPolicy,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  io: CliIO,
): Promise<FilterLogEventsCommandOutput | "not found"> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await logs.send(
        new FilterLogEventsCommand({
          logGroupName,
          startTime: plan.since,
          // endTime is inclusive in the API; --until is exclusive so adjacent windows do not overlap.
          endTime: plan.until - 1,
          ...(plan.limit ? { limit: plan.limit } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (isAbort(error, signal)) throw new StopHunt({ kind: "interrupted" });
      if ((error as { name?: string }).name === "ResourceNotFoundException") return "not found";
      if (!isThrottling(error)) throw new StopHunt({ kind: "error", error });
      if (attempt >= retry.attempts) throw new StopHunt({ kind: "throttled", error });
      const delay = backoffDelay(attempt, retry);
      notice(io, `throttled by CloudWatch Logs; retrying in ${formatDuration(delay)}`);
      await sleep(delay, signal);
      if (signal.aborted) throw new StopHunt({ kind: "interrupted" });
    }
  }
}

/** Publishes one page's signals; returns how many were published. Throws PublishError. */
async function makePublisher(
  config: Readonly<Config>,
  deps: HuntDeps,
  io: CliIO,
): Promise<(signals: Signal[]) => Promise<number>> {
  // Loaded only with --publish, so a read-only hunt never loads the SDK clients of the sinks.
  const { createSinks } = await import("../sinks/index.js");
  const { RecentIds } = await import("../signals/recent-ids.js");
  const recent = new RecentIds({ ttlMs: config.dedupTtlSeconds * 1000 });
  const sinks = createSinks(config, { recent, ...(deps.sns ? { clients: { sns: deps.sns } } : {}) });
  // With LEDGER_TABLE, a replay honours what was already sent: each signal is judged at its own
  // time (never later than now), so a group alerted within its window is counted, not re-paged.
  const { ledgerFor } = await import("../signals/ledger.js");
  const { createLedgerClient } = await import("../signals/ledger-client.js");
  const ledger = ledgerFor(
    config,
    () => deps.dynamodb ?? createLedgerClient(),
    (signal) => Math.min(Date.parse(signal.lastSeen) || Date.now(), Date.now()),
  );
  const telemetry = { ...silentTelemetry, error: (message: string) => notice(io, `warning: ${message}`) };
  return async (signals) => {
    const gate = ledger?.gate(telemetry);
    const admission = await gate?.admit(signals);
    try {
      return (await sinks(admission?.publish ?? signals)).published;
    } catch (error) {
      await gate?.release(admission, error);
      throw error;
    }
  };
}
