import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { BatchStats } from "./model.js";
import { SEVERITIES } from "./model.js";

/** Metric names, one place (documented in the README). */
export const METRIC = Object.freeze({
  logEvents: "LogEvents",
  invalidEvents: "InvalidLogEvents",
  prefiltered: "PrefilteredLogEvents",
  unrecognized: "UnrecognizedLogEvents",
  parseErrors: "ParseErrors",
  untrusted: "UntrustedRecords",
  execEvents: "ExecEvents",
  findings: "Findings",
  belowMinSeverity: "BelowMinSeverity",
  suppressed: "Suppressed",
  deduplicated: "Deduplicated",
  signals: "Signals",
  published: "SignalsPublished",
  publishFailures: "PublishFailures",
  publishRequests: "PublishRequests",
  decodeErrors: "DecodeErrors",
  controlMessages: "ControlMessages",
  // Signal ledger (src/signals/ledger.ts).
  ledgerClaims: "LedgerClaims",
  ledgerRepeats: "LedgerRepeats",
  ledgerErrors: "LedgerErrors",
  pagesCapped: "PagesCapped",
  overBudget: "OverTimeBudget",
} as const);

/** What the invocation core needs to report; the Lambda and the CLI provide different ones. */
export interface Telemetry {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
  count(name: string, value: number, dimension?: { name: string; value: string }): void;
  flush(): void;
}

/** Telemetry that discards everything (tests, benchmark). */
export const silentTelemetry: Telemetry = {
  info() {},
  warn() {},
  error() {},
  count() {},
  flush() {},
};

/** Powertools-backed telemetry: structured JSON logs and EMF metrics on stdout (Lambda). */
export function powertoolsTelemetry(logger: Logger, metrics: Metrics): Telemetry {
  return {
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
    count(name, value, dimension) {
      if (dimension) {
        const single = metrics.singleMetric();
        single.addDimension(dimension.name, dimension.value);
        single.addMetric(name, MetricUnit.Count, value);
        return;
      }
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    flush: () => metrics.publishStoredMetrics(),
  };
}

/** Emits the counters of one batch: the plain counters always (zeros show as flat lines, not gaps), the per-format and per-severity ones when non-zero. */
export function countBatch(telemetry: Telemetry, stats: BatchStats): void {
  telemetry.count(METRIC.logEvents, stats.logEvents);
  telemetry.count(METRIC.invalidEvents, stats.invalidEvents);
  telemetry.count(METRIC.prefiltered, stats.prefiltered);
  telemetry.count(METRIC.unrecognized, stats.unrecognized);
  telemetry.count(METRIC.parseErrors, stats.parseErrors);
  telemetry.count(METRIC.untrusted, stats.untrusted);
  for (const [format, value] of Object.entries(stats.execEvents)) {
    telemetry.count(METRIC.execEvents, value ?? 0, { name: "Format", value: format });
  }
  for (const severity of SEVERITIES) {
    if (stats.findings[severity] > 0) {
      telemetry.count(METRIC.findings, stats.findings[severity], { name: "Severity", value: severity });
    }
  }
  telemetry.count(METRIC.belowMinSeverity, stats.belowMinSeverity);
  telemetry.count(METRIC.suppressed, stats.suppressed);
  telemetry.count(METRIC.signals, stats.signals);
  telemetry.count(METRIC.overBudget, stats.overBudget);
}
