import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import type { Severity, Signal } from "../model.js";
import { atLeast, maxSeverity } from "../severity.js";
import { isPayloadSink, PAYLOAD_SINKS, type PayloadSink, sinkPayloads } from "../sinks/payloads.js";
import { cliConfig, dryRunSink, formatTotals, runFiles } from "./invoke.js";
import type { CliIO } from "./io.js";

export const DEMO_HELP = `Usage: node dist/cli.js demo [--dir DIR] [--sink chat|securityhub|eventbridge]

Dry-runs the pipeline over every sample event in DIR (default: events/) and prints the signals
(JSON lines on stdout) and a table of what each file shows against what it should (stderr).
With --sink, prints instead what that sink would receive, one JSON line each: the Chatbot
notification (chat), the ASFF finding (securityhub) or the PutEvents entry (eventbridge), for the
signals at or above that sink's minimum severity. Built offline: no AWS call is made.
Never publishes. Exit status 1 if any file does not behave as its manifest entry says.
`;

/** One entry of events/manifest.json: what a sample event shows and what the detector must do with it. */
export interface ManifestEntry {
  file: string;
  format: string;
  shows: string;
  expect: { signals: number; severity?: Severity; utility?: string; error?: boolean; control?: boolean };
}

/** Loads events/manifest.json. */
export async function loadManifest(dir: string): Promise<ManifestEntry[]> {
  const text = await readFile(join(dir, "manifest.json"), "utf8");
  return JSON.parse(text) as ManifestEntry[];
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

const SINK_MINIMUM = {
  chat: "chatMinSeverity",
  securityhub: "securityHubMinSeverity",
  eventbridge: "eventBridgeMinSeverity",
} as const;

/** What `sink` would receive for one file's signals, with the configuration's names where set. */
function payloadsOf(
  sink: PayloadSink,
  signals: Signal[],
  config: ReturnType<typeof cliConfig>,
  now: number,
): unknown[] {
  const minimum = config[SINK_MINIMUM[sink]];
  return sinkPayloads(
    sink,
    signals.filter((s) => atLeast(s.severity, minimum)),
    {
      region: config.region ?? "us-east-1",
      account: config.securityHub?.account ?? "123456789012",
      busName: config.eventBusName ?? "default",
      now: new Date(now).toISOString(),
    },
  );
}

/** `demo`: the newcomer's first look at the detector. */
export async function runDemo(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: "string", default: "events" },
      sink: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stderr(DEMO_HELP);
    return 0;
  }
  const sink = values.sink;
  if (sink !== undefined && !isPayloadSink(sink))
    throw new UsageError(`--sink must be one of ${PAYLOAD_SINKS.join(", ")}; got "${sink}"`);
  const dir = values.dir;
  let manifest: ManifestEntry[];
  try {
    manifest = await loadManifest(dir);
  } catch (error) {
    throw new UsageError(`cannot read ${join(dir, "manifest.json")}: ${(error as Error).message}`);
  }
  const listed = new Set(manifest.map((m) => m.file));
  const unlisted = (await readdir(dir)).filter(
    (f) => f.endsWith(".json") && f !== "manifest.json" && !listed.has(f),
  );
  const config = cliConfig({ ...io.env, SNS_TOPIC_ARN: undefined, PAGER_TOPIC_ARN: undefined }, undefined);
  const outcomes = await runFiles(
    manifest.map((m) => join(dir, m.file)),
    config,
    dryRunSink,
  );
  let mismatches = 0;
  const rows: string[] = [];
  manifest.forEach((entry, i) => {
    const outcome = outcomes[i];
    if (!outcome) return;
    const { signals, controlMessages } = outcome.result;
    if (sink)
      for (const payload of payloadsOf(sink, signals, config, io.now())) io.stdout(JSON.stringify(payload));
    else for (const signal of signals) io.stdout(JSON.stringify(signal));
    const top = signals.length > 0 ? signals.map((s) => s.severity).reduce(maxSeverity) : undefined;
    const utilities = [...new Set(signals.map((s) => s.utility.name))].join(",");
    const got = outcome.error
      ? "error (rejected)"
      : controlMessages > 0
        ? "control message (acknowledged)"
        : signals.length === 0
          ? "no signal"
          : `${signals.length} signal(s), ${top}: ${utilities}`;
    const ok =
      Boolean(entry.expect.error) === Boolean(outcome.error) &&
      signals.length === entry.expect.signals &&
      (entry.expect.severity === undefined || top === entry.expect.severity);
    if (!ok) mismatches++;
    rows.push(`${ok ? "ok  " : "FAIL"} ${pad(entry.file, 34)} ${pad(entry.shows, 58)} ${got}`);
  });
  io.stderr(`\n${"".padEnd(5)}${pad("file", 34)} ${pad("what it shows", 58)} detector says\n`);
  io.stderr(`${rows.join("\n")}\n\n`);
  if (unlisted.length > 0) io.stderr(`not in manifest (skipped): ${unlisted.join(", ")}\n`);
  io.stderr(`${formatTotals(outcomes, true)}\n`);
  io.stderr(
    mismatches === 0
      ? "every sample behaved as expected\n"
      : `${mismatches} sample(s) did NOT behave as expected\n`,
  );
  return mismatches === 0 ? 0 : 1;
}
