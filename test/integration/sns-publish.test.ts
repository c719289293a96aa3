import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Signal } from "../../src/model.js";
import { RecentIds } from "../../src/signals/recent-ids.js";
import { renderSnsMessage, SNS_MESSAGE_LIMIT_BYTES } from "../../src/signals/render.js";
import { publishSignals, type Route } from "../../src/signals/sns.js";
import { makeSignal, mixedSignals } from "../signals/signal-factory.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { type Moto, motoClientConfig, startMoto } from "../support/moto.js";
import { createTopology, drainQueue, envelopeIds, parseEnvelope, type Topology } from "../support/sns-sqs.js";

const SUBJECT = /^[\x20-\x7e]{1,99}$/;

describe("publishSignals against moto", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let sns: SNSClient;
  let sqs: SQSClient;

  beforeAll(async () => {
    moto = await startMoto();
    // A fault-free pass-through, only to count the PublishBatch requests that really went out.
    proxy = await startFaultProxy(moto.endpoint);
    sns = new SNSClient({ ...motoClientConfig(moto), endpoint: proxy.endpoint });
    sqs = new SQSClient(motoClientConfig(moto));
  });
  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
  });
  beforeEach(() => proxy.reset());

  const routesOf = (t: Topology): Route[] => [
    { topicArn: t.alertTopicArn, minSeverity: "medium" },
    { topicArn: t.pagerTopicArn, minSeverity: "high" },
  ];

  describe("a batch of 25 signals of mixed severity", () => {
    let topology: Topology;
    let signals: Signal[];
    let recent: RecentIds;
    let first: Awaited<ReturnType<typeof publishSignals>>;
    let firstBatches: { entries: number; bytes: number }[];
    const byId = new Map<string, Signal>();

    beforeAll(async () => {
      topology = await createTopology(moto, "mixed");
      signals = mixedSignals(25);
      for (const signal of signals) byId.set(signal.id, signal);
      recent = new RecentIds({ ttlMs: 3_600_000 });
      proxy.reset();
      first = await publishSignals(sns, routesOf(topology), signals, { recent, baseDelayMs: 1 });
      firstBatches = [...proxy.publishBatches];
    });

    it("delivers every signal of medium or above exactly once to the alert topic, body equal to the signal", async () => {
      const expected = signals.filter((s) => s.severity !== "low").map((s) => s.id);

      const messages = await drainQueue(sqs, topology.alertQueueUrl);

      expect(envelopeIds(messages).sort()).toEqual(expected.sort());
      for (const message of messages) {
        const envelope = parseEnvelope(message);
        const body = JSON.parse(envelope.Message) as Signal;
        expect(envelope).toMatchObject({ Type: "Notification", TopicArn: topology.alertTopicArn });
        expect(body).toEqual(byId.get(body.id));
        expect(envelope.Subject).toMatch(SUBJECT);
        expect(envelope.Subject).toBe(renderSnsMessage(body).subject);
      }
    });

    it("hands raw-delivery subscribers the bare signal JSON", async () => {
      const messages = await drainQueue(sqs, topology.alertRawQueueUrl);

      const bodies = messages.map((m) => JSON.parse(m.Body ?? "") as Signal);
      expect(bodies.map((b) => b.id).sort()).toEqual(
        signals
          .filter((s) => s.severity !== "low")
          .map((s) => s.id)
          .sort(),
      );
      for (const body of bodies) expect(body).toEqual(byId.get(body.id));
    });

    it("pages only for high and critical signals", async () => {
      const messages = await drainQueue(sqs, topology.pagerQueueUrl);

      const paged = envelopeIds(messages).map((id) => byId.get(id)?.severity);
      expect(paged).toHaveLength(
        signals.filter((s) => s.severity === "high" || s.severity === "critical").length,
      );
      expect(new Set(paged)).toEqual(new Set(["high", "critical"]));
      expect(messages.every((m) => SUBJECT.test(parseEnvelope(m).Subject ?? ""))).toBe(true);
    });

    it("costs at most one request per 10 signals per topic", () => {
      // 20 alert entries and 10 pager entries.
      expect(first).toEqual({
        signals: 25,
        entries: 30,
        published: 30,
        deduplicated: 0,
        requests: 3,
        retriedEntries: 0,
      });
      expect(firstBatches.map((b) => b.entries)).toEqual([10, 10, 10]);
    });

    it("does not publish the same ids again from the same container", async () => {
      const again = await publishSignals(sns, routesOf(topology), signals, { recent, baseDelayMs: 1 });

      expect(again).toMatchObject({ entries: 0, deduplicated: 30, published: 0, requests: 0 });
      expect(proxy.counts.PublishBatch ?? 0).toBe(0);
      expect(await drainQueue(sqs, topology.alertQueueUrl)).toHaveLength(0);
      expect(await drainQueue(sqs, topology.pagerQueueUrl)).toHaveLength(0);
    });
  });

  it("keeps each request within 256 KiB when signals weigh 200 KB", async () => {
    const topology = await createTopology(moto, "heavy");
    const heavy = (n: number) =>
      makeSignal(n, "high", {
        process: { name: "curl", path: "/usr/bin/curl", args: ["a".repeat(33_000), "b".repeat(33_000)] },
      });
    const signals = [heavy(1), ...mixedSignals(4, 10), heavy(2), ...mixedSignals(4, 20)].map((s) => ({
      ...s,
      severity: "high" as const,
    }));

    const report = await publishSignals(sns, [routesOf(topology)[0]!], signals, { baseDelayMs: 1 });
    const messages = await drainQueue(sqs, topology.alertQueueUrl);

    expect(renderSnsMessage(signals[0]!).bytes).toBeGreaterThan(195_000);
    expect(renderSnsMessage(signals[0]!).bytes).toBeLessThan(SNS_MESSAGE_LIMIT_BYTES);
    expect(proxy.publishBatches.length).toBe(2);
    expect(proxy.publishBatches.every((b) => b.bytes <= SNS_MESSAGE_LIMIT_BYTES && b.entries <= 10)).toBe(
      true,
    );
    expect(report).toMatchObject({ entries: 10, published: 10, requests: 2 });
    expect(envelopeIds(messages).sort()).toEqual(signals.map((s) => s.id).sort());
    const big = messages
      .map((m) => JSON.parse(parseEnvelope(m).Message) as Signal)
      .find((s) => s.id === signals[0]?.id);
    expect(big).toEqual(signals[0]);
  });
});
