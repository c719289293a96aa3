import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { loadConfig } from "./config.js";
import { errorSummary, handleEvent, newInvocationResult, summarize, timeBudgets } from "./invocation.js";
import type { Signal } from "./model.js";
import { RecentIds } from "./signals/recent-ids.js";
import { createSinks } from "./sinks/index.js";
import { powertoolsTelemetry } from "./telemetry.js";

// Built once per container: a bad configuration fails the cold start, naming the variable.
const config = loadConfig(process.env, { requireTopic: true });
// Powertools reads POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE / LOG_LEVEL; these are the defaults.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME || "netutil-detector";
const logger = new Logger({ serviceName });
const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || "NetutilDetector",
});
const telemetry = powertoolsTelemetry(logger, metrics);
const recent = new RecentIds({ ttlMs: config.dedupTtlSeconds * 1000 });
// The SNS client (and every other sink's SDK) is loaded and made on the first signal, once per container:
// most batches hold none, and their cold start should not pay for a client they never use.
const sinks = createSinks(config, { recent });
// The ledger and its DynamoDB client are loaded only when LEDGER_TABLE asks for them.
const ledger = config.ledgerTable
  ? (await import("./signals/ledger.js")).ledgerFor(
      config,
      (await import("./signals/ledger-client.js")).createLedgerClient,
    )
  : undefined;

/** Lambda entry: CloudWatch Logs subscription events, or Kinesis events carrying them. */
export const handler = async (event: unknown, context?: Pick<Context, "getRemainingTimeInMillis">) => {
  const result = newInvocationResult();
  // The sink stops retrying before Lambda would kill us; past the analysis deadline events are judged
  // without analysis (fail closed), so the batch ends in time.
  const { deadlineMs, analysisDeadlineMs } = timeBudgets(context);
  const sink = (s: Signal[]) => sinks(s, deadlineMs ? { deadlineMs } : {});
  const late = analysisDeadlineMs !== undefined ? { analysisDeadlineMs } : {};
  try {
    await handleEvent(event, { config, telemetry, sink, ledger: ledger?.gate(telemetry), ...late }, result);
    const summary = summarize(result);
    logger.info("batch processed", summary);
    return result.source === "kinesis" ? { batchItemFailures: result.batchItemFailures } : summary;
  } catch (error) {
    // Thrown on purpose (undecodable payload, undelivered signals): Lambda retries, then the DLQ keeps it.
    logger.error("batch failed; Lambda will retry it", { ...summarize(result), error: errorSummary(error) });
    throw error;
  } finally {
    telemetry.flush();
  }
};
