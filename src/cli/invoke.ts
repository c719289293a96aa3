import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type Config, loadConfig } from "../config.js";
import { ConfigError, UsageError } from "../errors.js";
import {
  type DeliveryReport,
  handleEvent,
  type InvocationResult,
  newInvocationResult,
  type Sink,
} from "../invocation.js";
import { addStats, emptyStats, execEventCount } from "../pipeline.js";
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
  /** What handleEvent did, kept even when it failed (signals detected but not delivered). */
  result: InvocationResult;
}

/** A sink that publishes nothing: dry runs and the demo. */
export const dryRunSink: Sink = async () => ({ published: 0, deduplicated: 0, requests: 0 });

async function publishingSink(config: Readonly<Config>): Promise<Sink> {
  // Loaded only when publishing, so a dry run never imports the AWS SDK.
  const { createSinks } = await import("../sinks/index.js");
  const { RecentIds } = await import("../signals/recent-ids.js");
  const sinks = createSinks(config, { recent: new RecentIds({ ttlMs: config.dedupTtlSeconds * 1000 }) });
  return (signals) => sinks(signals);
}

/** Runs the pipeline over files; shared by `invoke` and `demo`. Never throws for a bad file. */
export async function runFiles(
  files: string[],
  config: Readonly<Config>,
  sink: Sink,
): Promise<FileOutcome[]> {
  const outcomes: FileOutcome[] = [];
  for (const file of files) {
    const outcome: FileOutcome = { file, ok: false, result: newInvocationResult() };
    outcomes.push(outcome);
    let event: unknown;
    try {
      event = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      outcome.error = `cannot read ${file} as JSON: ${(error as Error).message}`;
      continue;
    }
    try {
      // outcome.result keeps what was detected even when delivery fails.
      const result = await handleEvent(event, { config, sink, telemetry: silentTelemetry }, outcome.result);
      if (result.batchItemFailures.length > 0) {
        outcome.error = `${file}: Kinesis record ${result.batchItemFailures[0]?.itemIdentifier} could not be handled`;
      } else {
        outcome.ok = true;
      }
    } catch (error) {
      outcome.error = `${file}: ${(error as Error).name}: ${(error as Error).message}`;
    }
  }
  return outcomes;
}

/** One-line human summary of totals, for stderr. */
export function formatTotals(outcomes: FileOutcome[], dryRun: boolean): string {
  const total = emptyStats();
  let signals = 0;
  let undelivered = 0;
  const delivery: DeliveryReport = { published: 0, deduplicated: 0, requests: 0 };
  for (const { result } of outcomes) {
    addStats(total, result.stats);
    signals += result.signals.length;
    undelivered += result.undelivered;
    delivery.published += result.delivery.published;
    delivery.deduplicated += result.delivery.deduplicated;
    delivery.requests += result.delivery.requests;
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  const f = total.findings;
  return (
    `${outcomes.length} file(s), ${failed} failed; ${total.logEvents} log events, ` +
    `${execEventCount(total)} exec events parsed ` +
    `(${total.prefiltered} skipped by prefilter, ${total.unrecognized} unrecognized, ${total.parseErrors} malformed` +
    (total.untrusted > 0 ? `, ${total.untrusted} from untrusted streams` : "") +
    "); " +
    `findings low ${f.low} / medium ${f.medium} / high ${f.high} / critical ${f.critical}, ` +
    `${total.benign} benign, ${total.suppressed} allowlisted; ${signals} signal(s) ` +
    (dryRun
      ? "(dry run: nothing published)"
      : `(${delivery.published} published in ${delivery.requests} SNS request(s), ${delivery.deduplicated} deduplicated` +
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
  const dryRun =
    values["dry-run"] ||
    !(config.snsTopicArn || config.eventBusName || config.securityHub || config.chatTopicArn);
  const sink = dryRun ? dryRunSink : await publishingSink(config);
  const outcomes = await runFiles(positionals, config, sink);
  for (const outcome of outcomes) {
    for (const signal of outcome.result.signals) io.stdout(JSON.stringify(signal));
    if (outcome.error) io.stderr(`error: ${outcome.error}\n`);
  }
  io.stderr(`${formatTotals(outcomes, dryRun)}\n`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}
