import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyStats } from "../src/pipeline.js";
import { countBatch, METRIC, powertoolsTelemetry } from "../src/telemetry.js";

// Powertools writes JSON lines to stdout; capture them to check what CloudWatch would receive.
describe("powertoolsTelemetry", () => {
  let lines: string[];
  let write: typeof process.stdout.write;
  beforeEach(() => {
    lines = [];
    write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    }) as typeof process.stdout.write;
  });
  afterEach(() => {
    process.stdout.write = write;
  });

  it("emits batch counters as EMF with the format and severity dimensions", () => {
    const telemetry = powertoolsTelemetry(
      new Logger({ serviceName: "netutil-test" }),
      new Metrics({ namespace: "NetutilTest", serviceName: "netutil-test" }),
    );
    const stats = emptyStats();
    stats.logEvents = 7;
    stats.execEvents.tetragon = 2;
    stats.findings.critical = 1;
    stats.signals = 1;

    countBatch(telemetry, stats);
    telemetry.info("batch processed", { signals: 1 });
    telemetry.flush();

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const emf = records.filter((r) => "_aws" in r);
    const byFormat = emf.find((r) => r.Format === "tetragon");
    expect(byFormat?.[METRIC.execEvents]).toBe(2);
    expect(emf.find((r) => r.Severity === "critical")?.[METRIC.findings]).toBe(1);
    const main = emf.find((r) => METRIC.logEvents in r);
    expect(main).toMatchObject({ [METRIC.logEvents]: 7, [METRIC.signals]: 1, service: "netutil-test" });
    const log = records.find((r) => r.message === "batch processed");
    expect(log).toMatchObject({ level: "INFO", service: "netutil-test", signals: 1 });
  });
});
