import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { decodeAwslogsData } from "../../src/ingest/awslogs.js";
import { encodeAwslogsEvent } from "../../src/ingest/encode.js";
import { handleEvent } from "../../src/invocation.js";
import type { Signal } from "../../src/model.js";
import { silentTelemetry } from "../../src/telemetry.js";
import { type BundledHandler, loadBundledHandler } from "../support/bundled-handler.js";
import { runCli } from "../support/cli.js";
import { manifest, sampleEvent } from "../support/events.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { type Moto, startMoto } from "../support/moto.js";
import { drain, type Envelope, type Subscribed, topicWithQueue } from "../support/sns-sqs.js";

type AwslogsEvent = { awslogs: { data: string } };

// The built Lambda bundle, configured through its environment, against SNS and SQS in moto_server.
describe("dist/handler.js against SNS in moto_server", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let alerts: Subscribed;
  let pager: Subscribed;
  let handler: BundledHandler;

  beforeAll(async () => {
    moto = await startMoto();
    alerts = await topicWithQueue(moto, "netutil-alerts");
    pager = await topicWithQueue(moto, "netutil-pager");
    // The handler talks to moto through a recording proxy, so the test sees the exact requests.
    proxy = await startFaultProxy(moto.endpoint);
    handler = await loadBundledHandler(moto, {
      AWS_ENDPOINT_URL: proxy.endpoint,
      SNS_TOPIC_ARN: alerts.topicArn,
      PAGER_TOPIC_ARN: pager.topicArn,
      MIN_SEVERITY: "medium",
      PAGER_MIN_SEVERITY: "critical",
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  it("publishes every sample's signals: all to the alert topic, critical ones to the pager", async () => {
    // The ids the pipeline yields for the samples (the Kinesis sample repeats two of them: the
    // container's recent-id cache must keep those from being published twice).
    const config = loadConfig({}, { requireTopic: false });
    const expected = new Map<string, Signal>();
    for (const entry of manifest().filter((e) => !e.expect.error)) {
      const dry = await handleEvent(sampleEvent(entry.file), {
        config,
        telemetry: silentTelemetry,
        sink: async () => ({ published: 0, deduplicated: 0, requests: 0 }),
      });
      for (const signal of dry.signals) expected.set(signal.id, signal);

      const summary = await handler(sampleEvent(entry.file));
      if (entry.format === "kinesis") expect(summary).toEqual({ batchItemFailures: [] });
      else expect(summary.signals).toBe(entry.expect.signals);
    }
    const envelopes = (await drain(moto, alerts.queueUrl, expected.size)).map(
      (b) => JSON.parse(b) as Envelope,
    );
    const received = envelopes.map((e) => JSON.parse(e.Message) as Signal);
    expect(received.map((s) => s.id).sort()).toEqual([...expected.keys()].sort());
    for (const [i, envelope] of envelopes.entries()) {
      const signal = received[i]!;
      expect(signal).toEqual(expected.get(signal.id));
      expect(envelope.Subject).toMatch(/^[\x20-\x7E]{1,99}$/);
      expect(envelope.Subject).toContain(signal.utility.name);
    }
    const critical = [...expected.values()].filter((s) => s.severity === "critical").map((s) => s.id);
    const paged = (await drain(moto, pager.queueUrl, critical.length)).map(
      (b) => JSON.parse(JSON.parse(b).Message) as Signal,
    );
    expect(paged.map((s) => s.id).sort()).toEqual(critical.sort());
  });

  it("sends humans readable email text and machines the signal JSON, per protocol", async () => {
    const sent = proxy.publishBatches.flatMap((b) => b.messages);
    const kubectl = sent.find((m) => m.subject?.includes("checkout-api") && m.message.includes("kubectl"));
    expect(kubectl?.structure).toBe("json");
    const bodies = JSON.parse(kubectl?.message ?? "{}") as Record<string, string>;
    const signal = JSON.parse(bodies.default ?? "{}") as Signal;
    expect(signal.viaExecSession).toBe(true);
    const email = bodies.email ?? "";
    for (const text of [
      "Network utility executed in container - severity CRITICAL",
      "The process `curl` was executed, potentially to download additional tools.",
      "curl download is piped to a shell (bash)",
      "Cluster:         prod-eks",
      "Namespace:       payments",
      "Pod:             checkout-api-7d9f6c5b8-x2x7k",
      "Container:       checkout-api",
      "arn:aws:sts::123456789012:assumed-role/platform-dev/alice",
      "Triage and response",
      "https://attack.mitre.org/techniques/T1105/",
      `Id:              ${signal.id}`,
    ]) {
      expect(email).toContain(text);
    }
    const controls = [...email].filter((c) => (c.charCodeAt(0) < 0x20 && c !== "\n") || c === "\u007f");
    expect(controls).toEqual([]);
    expect(kubectl?.subject).toBe(
      "[CRITICAL] Network utility executed in container: curl in prod-eks/payments/checkout-api-7d9f6c5...",
    );
  });

  it("does not republish ids it already delivered from this container", async () => {
    const first = await handler(sampleEvent("falco-wget-piped-to-shell.json"));
    expect(first).toMatchObject({ signals: 1, published: 0, deduplicated: 2 });
    expect(await drain(moto, alerts.queueUrl)).toEqual([]);
  });

  it("gives up before the Lambda timeout when SNS hangs, failing the invocation so Lambda retries", async () => {
    proxy.persist("PublishBatch", { kind: "hang" });
    const started = Date.now();
    try {
      // A session the container has not published yet (the recent-id cache would skip a known one).
      const decoded = decodeAwslogsData(
        (sampleEvent("cloudtrail-ecs-exec-socat.json") as AwslogsEvent).awslogs.data,
        1e8,
      );
      if (decoded.kind !== "data") throw new Error("expected data");
      const fresh = decoded.batch.logEvents.map((e) => ({
        ...e,
        message: e.message.replaceAll("0a1b2c3d", "9f8e7d6c"),
      }));
      const event = encodeAwslogsEvent({ messageType: "DATA_MESSAGE", ...decoded.batch, logEvents: fresh });
      // 6.5 s left: the handler keeps 5 s in reserve, so it must stop within about 1.5 s.
      await expect(handler(event, { getRemainingTimeInMillis: () => 6_500 })).rejects.toMatchObject({
        name: "PublishError",
      });
    } finally {
      proxy.reset();
    }
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("fails the invocation on an undecodable payload", async () => {
    await expect(handler(sampleEvent("bad-payload.json"))).rejects.toMatchObject({ name: "DecodeError" });
  });

  it("the CLI publishes with SNS_TOPIC_ARN set, and fails when SNS is unreachable", async () => {
    const env = {
      ...moto.env,
      SNS_TOPIC_ARN: alerts.topicArn,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    const run = runCli(["invoke", "events/tetragon-download-to-tmp.json"], env);
    expect(run.status).toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(run.stderr).toMatch(/1 published/);
    const bodies = await drain(moto, alerts.queueUrl, 1);
    expect(JSON.parse(JSON.parse(bodies[0] ?? "{}").Message).id).toBe(run.lines[0]?.id);

    const down = runCli(["invoke", "events/tetragon-download-to-tmp.json"], {
      ...env,
      AWS_ENDPOINT_URL: "http://127.0.0.1:9",
      AWS_MAX_ATTEMPTS: "1",
    });
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/PublishError/);
    // What was detected is still reported, and the summary says it was not delivered.
    expect(down.lines.map((s) => s.id)).toEqual(run.lines.map((s) => s.id));
    expect(down.stderr).toMatch(/1 NOT DELIVERED/);
  });
});
