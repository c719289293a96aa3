import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { SNSClient } from "@aws-sdk/client-sns";
import { loadConfig, routesFor } from "./config.js";
import { handleEvent, summarize } from "./invocation.js";
import { RecentIds } from "./signals/recent-ids.js";
import { publishSignals } from "./signals/sns.js";
import { powertoolsTelemetry } from "./telemetry.js";

// Built once per container: a bad configuration fails the cold start, naming the variable.
const config = loadConfig(process.env, { requireTopic: true });
const logger = new Logger({ serviceName: "netutil-detector" });
const metrics = new Metrics({ namespace: "NetutilDetector", serviceName: "netutil-detector" });
const telemetry = powertoolsTelemetry(logger, metrics);
const sns = new SNSClient({
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
});
const recent = new RecentIds({ ttlMs: config.dedupTtlSeconds * 1000 });
const routes = routesFor(config);

/** Lambda entry: CloudWatch Logs subscription events, or Kinesis events carrying them. */
export const handler = async (event: unknown) => {
  try {
    const result = await handleEvent(event, {
      config,
      telemetry,
      sink: (signals) => publishSignals(sns, routes, signals, { recent }),
    });
    logger.info("batch processed", summarize(result));
    return result.source === "kinesis" ? { batchItemFailures: result.batchItemFailures } : summarize(result);
  } finally {
    telemetry.flush();
  }
};
