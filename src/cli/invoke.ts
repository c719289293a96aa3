import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type Config, loadConfig, routesFor } from "../config.js";
import { ConfigError, UsageError } from "../errors.js";
import { type DeliveryReport, handleEvent, newInvocationResult, type Sink } from "../invocation.js";
import type { BatchStats, Signal } from "../model.js";
import { addStats, emptyStats } from "../pipeline.js";
import { isSeverity } from "../severity.js";
import { silentTelemetry } from "../telemetry.js";
import type { CliIO } from "./io.js";

export const INVOKE_HELP = `Usage: node dist/cli.js invoke [--dry-run] [--min-severity LEVEL] FILE...

Runs the Lambda pipeline on each FILE, a Lambda event JSON (a CloudWatch Logs subscription
event {"awslogs":{"data":…}} or a Kinesis event), exactly as the deployed handler would.
Prints every emitted signal as one JSON object per line on stdout; diagnostics and the
summary go to stderr.

  --dry-run             never publish, even when SNS_TOPIC_ARN is set
  --min-severity LEVEL  override MIN_SEVERITY (low, medium, high, critical)
  -h, --help            this text

Without SNS_TOPIC_ARN it is a dry run. With it, signals are published (PAGER_TOPIC_ARN too)
and the exit status is non-zero if any signal was not delivered.
Exit status: 0 success, 1 a file could not be read/decoded or a signal was not delivered,
2 usage or configuration error.
`;

/** Per-file outcome, for the demo's table and the summary. */
export interface FileOutcome {
  file: string;
  ok: boolean;
  error?: string;
  control: number;
  stats: BatchStats;
  signals: Signal[];
  delivery: DeliveryReport;
  undelivered: number;
}

const dryRunSink: Sink = async () => ({ published: 0, deduplicated: 0, requests: 0 });

async function snsSink(config: Readonly<Config>): Promise<Sink> {
  // Loaded only when publishing, so a dry run never imports the AWS SDK.
  const { createSnsClient } = await import("../signals/sns-client.js");
  const { publishSignals } = await import("../signals/sns.js");
  const { RecentIds } = await import("../signals/recent-ids.js");
  const client = createSnsClient();
  const recent = new RecentIds({ ttlMs: config.dedupTtlSeconds * 1000 });
  const routes = routesFor(config);
  return (signals) => publishSignals(client, routes, signals, { recent });
}

/** Runs the pipeline over files; shared by `invoke` and `demo`. Never throws for a bad file. */
export async function runFiles(
  files: string[],
  config: Readonly<Config>,
  sink: Sink,
): Promise<FileOutcome[]> {
  const outcomes: FileOutcome[] = [];
  for (const file of files) {
    const outcome: FileOutcome = {
      file,
      ok: false,
      control: 0,
      stats: emptyStats(),
      signals: [],
      delivery: { published: 0, deduplicated: 0, requests: 0 },
      undelivered: 0,
    };
    outcomes.push(outcome);
    let event: unknown;
    try {
      event = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      outcome.error = `cannot read ${file} as JSON: ${(error as Error).message}`;
      continue;
    }
    const result = newInvocationResult();
    try {
      await handleEvent(event, { config, sink, telemetry: silentTelemetry }, result);
      if (result.batchItemFailures.length > 0) {
        outcome.error = `${file}: Kinesis record ${result.batchItemFailures[0]?.itemIdentifier} could not be handled`;
      } else {
        outcome.ok = true;
      }
    } catch (error) {
      outcome.error = `${file}: ${(error as Error).name}: ${(error as Error).message}`;
    }
    // Even when delivery failed, what was detected is reported.
    outcome.control = result.controlMessages;
    addStats(outcome.stats, result.stats);
    outcome.signals = result.signals;
    outcome.delivery = result.delivery;
    outcome.undelivered = result.undelivered;
  }
  return outcomes;
}

/** One-line human summary of totals, for stderr. */
export function formatTotals(outcomes: FileOutcome[], dryRun: boolean): string {
  const total = emptyStats();
  for (const o of outcomes) addStats(total, o.stats);
  const signals = outcomes.reduce((n, o) => n + o.signals.length, 0);
  const published = outcomes.reduce((n, o) => n + o.delivery.published, 0);
  const requests = outcomes.reduce((n, o) => n + o.delivery.requests, 0);
  const deduplicated = outcomes.reduce((n, o) => n + o.delivery.deduplicated, 0);
  const undelivered = outcomes.reduce((n, o) => n + o.undelivered, 0);
  const failed = outcomes.filter((o) => !o.ok).length;
  const f = total.findings;
  return (
    `${outcomes.length} file(s), ${failed} failed; ${total.logEvents} log events, ` +
    `${Object.values(total.execEvents).reduce((a, b) => a + (b ?? 0), 0)} exec events parsed ` +
    `(${total.prefiltered} skipped by prefilter, ${total.unrecognized} unrecognized, ${total.parseErrors} malformed); ` +
    `findings low ${f.low} / medium ${f.medium} / high ${f.high} / critical ${f.critical}, ` +
    `${total.benign} benign, ${total.suppressed} allowlisted; ${signals} signal(s) ` +
    (dryRun
      ? "(dry run: nothing published)"
      : `(${published} published in ${requests} SNS request(s), ${deduplicated} deduplicated` +
        (undelivered > 0 ? `, ${undelivered} NOT DELIVERED)` : ")"))
  );
}

/** Reads configuration for a CLI run: no topic needed; flags override the environment. */
export function cliConfig(env: Record<string, string | undefined>, minSeverity: string | undefined) {
  if (minSeverity !== undefined && !isSeverity(minSeverity)) {
    throw new UsageError(`--min-severity must be one of low, medium, high, critical; got "${minSeverity}"`);
  }
  return loadConfig(minSeverity ? { ...env, MIN_SEVERITY: minSeverity } : env, { requireTopic: false });
}

/** `invoke`: exit status per INVOKE_HELP. */
export async function runInvoke(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      "dry-run": { type: "boolean", default: false },
      "min-severity": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stderr(INVOKE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("invoke needs at least one FILE (a Lambda event JSON)");
  let config: Readonly<Config>;
  try {
    config = cliConfig(io.env, values["min-severity"]);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const dryRun = values["dry-run"] || !config.snsTopicArn;
  const sink = dryRun ? dryRunSink : await snsSink(config);
  const outcomes = await runFiles(positionals, config, sink);
  for (const outcome of outcomes) {
    for (const signal of outcome.signals) io.stdout(JSON.stringify(signal));
    if (outcome.error) io.stderr(`error: ${outcome.error}\n`);
  }
  io.stderr(`${formatTotals(outcomes, dryRun)}\n`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}
