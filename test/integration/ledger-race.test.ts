import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { handleEvent } from "../../src/invocation.js";
import type { Signal } from "../../src/model.js";
import { groupKey } from "../../src/signals/group-key.js";
import { silentTelemetry } from "../../src/telemetry.js";
import { ROOT } from "../support/cli.js";
import { EVENTS_DIR, manifest, sampleEvent } from "../support/events.js";
import { createLedgerTable } from "../support/ledger-table.js";
import { type Moto, startMoto } from "../support/moto.js";
import { type SerialProxy, startSerialProxy } from "../support/serial-proxy.js";
import { drain, type Subscribed, topicWithQueue } from "../support/sns-sqs.js";

/** One Lambda instance (a process running dist/handler.js) over `files`, starting at `startAt`. */
function instance(
  env: Record<string, string>,
  startAt: number,
  files: string[],
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, "test/support/handler-child.mjs"), String(startAt), ...files],
      {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) reject(new Error(`handler process exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line.slice("RESULT ".length)) as Record<string, unknown>[]);
    });
  });
}

describe("two Lambda instances racing over the same batches, one ledger in moto_server", () => {
  let moto: Moto;
  let serial: SerialProxy;
  let alerts: Subscribed;
  let pager: Subscribed;

  beforeAll(async () => {
    moto = await startMoto();
    // The instances race; moto gets one request at a time, as DynamoDB's per-item atomicity would have it.
    serial = await startSerialProxy(moto.endpoint);
    alerts = await topicWithQueue(moto, "race-alerts", true);
    pager = await topicWithQueue(moto, "race-pager", true);
    await createLedgerTable(moto, "race-ledger");
  });
  afterAll(async () => {
    await serial?.close();
    await moto?.stop();
  });

  it("publishes each group exactly once, to the alert topic and the pager", async () => {
    const files = manifest()
      .filter((e) => !e.expect.error && e.expect.signals > 0)
      .map((e) => e.file);
    // What the pipeline makes of the batches: the signals and their groups.
    const config = loadConfig({}, { requireTopic: false });
    const signals: Signal[] = [];
    for (const file of files) {
      const dry = await handleEvent(sampleEvent(file), {
        config,
        telemetry: silentTelemetry,
        sink: async () => ({ published: 0, deduplicated: 0, requests: 0 }),
      });
      signals.push(...dry.signals);
    }
    const groups = new Set(signals.map(groupKey));
    const urgent = new Set(signals.filter((s) => s.severity === "critical").map(groupKey));
    expect(groups.size).toBeGreaterThan(5);

    const env = {
      ...moto.env,
      AWS_ENDPOINT_URL: serial.endpoint,
      SNS_TOPIC_ARN: alerts.topicArn,
      PAGER_TOPIC_ARN: pager.topicArn,
      PAGER_MIN_SEVERITY: "critical",
      LEDGER_TABLE: "race-ledger",
      POWERTOOLS_METRICS_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    const paths = files.map((f) => join(EVENTS_DIR, f));
    const startAt = Date.now() + 2_000;
    const answers = await Promise.all([instance(env, startAt, paths), instance(env, startAt, paths)]);
    expect(answers.flat()).toHaveLength(files.length * 2);

    const published = (await drain(moto, alerts.queueUrl)).map((b) => JSON.parse(b) as Signal);
    expect(published.map(groupKey).sort()).toEqual([...groups].sort());
    const paged = (await drain(moto, pager.queueUrl)).map((b) => JSON.parse(b) as Signal);
    expect(paged.map(groupKey).sort()).toEqual([...urgent].sort());
  });
});
