import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PublishError } from "../../src/errors.js";
import type { Signal } from "../../src/model.js";
import { type PublishOptions, publishSignals, type Route } from "../../src/signals/sns.js";
import { mixedSignals } from "../signals/signal-factory.js";
import { type Fault, type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { freePort, type Moto, motoClientConfig, startMoto } from "../support/moto.js";
import { createRawTopic, drainQueue, rawIds } from "../support/sns-sqs.js";

/**
 * Short, to keep the hang tests fast, yet well above moto's latency: a request that times out while
 * moto is still publishing gets published again by the retry (a duplicate, never a loss).
 */
const REQUEST_TIMEOUT_MS = 1_000;
const REQUEST_HANDLER = {
  connectionTimeout: REQUEST_TIMEOUT_MS,
  requestTimeout: REQUEST_TIMEOUT_MS,
  // Without it this SDK only logs a warning when requestTimeout passes and keeps waiting.
  throwOnRequestTimeout: true,
};

// 30 signals on one route that takes every severity: three full requests of 10.
const SIGNALS = 30;

describe("publishSignals through a faulty network", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let sqs: SQSClient;
  let sns: SNSClient;
  let run = 0;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    sqs = new SQSClient(motoClientConfig(moto));
    // maxAttempts 1: every injected fault reaches publishSignals, whose rounds are under test.
    sns = new SNSClient({
      ...motoClientConfig(moto),
      endpoint: proxy.endpoint,
      requestHandler: REQUEST_HANDLER,
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
  });
  beforeEach(() => proxy.reset());

  /** Publishes 30 signals to a fresh topic through `client` and reads back what its queue got. */
  async function publishThrough(client: SNSClient, options: PublishOptions = {}) {
    const topic = await createRawTopic(moto, `faults-${++run}`);
    const signals: Signal[] = mixedSignals(SIGNALS, run * 1000);
    const routes: Route[] = [{ topicArn: topic.topicArn, minSeverity: "low" }];
    const outcome = await publishSignals(client, routes, signals, { baseDelayMs: 1, ...options }).then(
      (report) => ({ report, error: undefined }),
      (error: unknown) => ({ report: undefined, error }),
    );
    const delivered = rawIds(await drainQueue(sqs, topic.queueUrl));
    return { ...outcome, delivered, ids: signals.map((s) => s.id) };
  }

  function sorted(ids: readonly string[]): string[] {
    return [...ids].sort();
  }

  it.each<[string, Fault[], number]>([
    ["500 InternalError", [{ kind: "internal-error" }, { kind: "internal-error" }], 20],
    ["400 Throttling", [{ kind: "throttle" }], 10],
    ["429 Throttled (SNS's ThrottledException)", [{ kind: "throttle", status: 429, code: "Throttled" }], 10],
    ["a reset connection", [{ kind: "reset" }], 10],
    ["a request that hangs past the request timeout", [{ kind: "hang" }], 10],
  ])("delivers every signal exactly once after %s", async (_, faults, retried) => {
    proxy.enqueue("PublishBatch", ...faults);

    const { report, error, delivered, ids } = await publishThrough(sns);

    expect(error).toBeUndefined();
    expect(sorted(delivered)).toEqual(sorted(ids));
    expect(report).toEqual({
      signals: SIGNALS,
      entries: SIGNALS,
      published: SIGNALS,
      deduplicated: 0,
      requests: 3 + faults.length,
      retriedEntries: retried,
    });
    expect(proxy.counts.PublishBatch).toBe(3 + faults.length);
  });

  it("retries only the entries reported in Failed[], and delivers each once", async () => {
    // The failed entries are cut from the request, so moto never publishes them: a real Failed entry.
    proxy.enqueue("PublishBatch", { kind: "partial", count: 3 }, { kind: "partial", count: 2 });
    const retries: { round: number; failed: number; code?: string }[] = [];

    const { report, delivered, ids } = await publishThrough(sns, { onRetry: (info) => retries.push(info) });

    expect(sorted(delivered)).toEqual(sorted(ids));
    expect(report).toMatchObject({ published: SIGNALS, requests: 4, retriedEntries: 5 });
    expect(retries).toEqual([{ round: 1, failed: 5, code: "InternalError" }]);
  });

  it("delivers at least once, same ids, when a Failed entry had in fact been published", async () => {
    proxy.enqueue("PublishBatch", { kind: "partial", count: 3, forward: true });

    const { report, delivered, ids } = await publishThrough(sns);

    expect(sorted([...new Set(delivered)])).toEqual(sorted(ids));
    expect(delivered).toHaveLength(SIGNALS + 3);
    expect(report).toMatchObject({ published: SIGNALS, retriedEntries: 3 });
  });

  it("lets the SDK's own retries absorb a 500 when the client allows them", async () => {
    const retrying = new SNSClient({
      ...motoClientConfig(moto),
      endpoint: proxy.endpoint,
      maxAttempts: 3,
      requestHandler: REQUEST_HANDLER,
    });
    proxy.enqueue("PublishBatch", { kind: "internal-error" });

    const { report, delivered, ids } = await publishThrough(retrying);

    expect(sorted(delivered)).toEqual(sorted(ids));
    expect(report).toMatchObject({ published: SIGNALS, requests: 3, retriedEntries: 0 });
    expect(proxy.counts.PublishBatch).toBe(4);
  });

  it("throws PublishError naming every signal when SNS keeps failing", async () => {
    proxy.persist("PublishBatch", { kind: "internal-error" });

    const { error, delivered, ids } = await publishThrough(sns, { maxRounds: 2 });

    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ undelivered: SIGNALS });
    expect(sorted((error as PublishError).signalIds)).toEqual(sorted(ids));
    expect((error as Error).message).toMatch(
      /^30 of 30 signals were not delivered to SNS: 30 to arn:aws:sns:.*\(InternalError/,
    );
    expect(delivered).toHaveLength(0);
    expect(proxy.counts.PublishBatch).toBe(9);
  });

  it("throws for the one entry that keeps failing and delivers the rest once", async () => {
    proxy.persist("PublishBatch", { kind: "partial", count: 1 });

    const { error, delivered, ids } = await publishThrough(sns);

    expect(error).toMatchObject({ name: "PublishError", undelivered: 1 });
    const lost = (error as PublishError).signalIds;
    expect(sorted(delivered)).toEqual(sorted(ids.filter((id) => !lost.includes(id))));
    // 3 requests, then one per retry round for the entries still failing.
    expect(proxy.counts.PublishBatch).toBe(6);
  });

  it("gives up on an endpoint that never answers within the request timeouts", async () => {
    proxy.persist("PublishBatch", { kind: "hang" });
    const started = Date.now();

    const { error, delivered } = await publishThrough(sns, { maxRounds: 1 });

    expect(error).toMatchObject({ name: "PublishError", undelivered: SIGNALS });
    expect(((error as Error).cause as Error).name).toBe("TimeoutError");
    expect(delivered).toHaveLength(0);
    // Two rounds of three concurrent requests, each ended by the request timeout.
    expect(Date.now() - started).toBeLessThan(2 * REQUEST_TIMEOUT_MS + 1_500);
  });

  it("throws PublishError when the endpoint is unreachable", async () => {
    const closed = await freePort();
    const nowhere = new SNSClient({
      ...motoClientConfig(moto),
      endpoint: `http://127.0.0.1:${closed}`,
      requestHandler: REQUEST_HANDLER,
    });

    const { error, delivered } = await publishThrough(nowhere, { maxRounds: 1 });

    expect(error).toMatchObject({ name: "PublishError", undelivered: SIGNALS });
    expect(((error as Error).cause as { code?: string }).code).toBe("ECONNREFUSED");
    expect(delivered).toHaveLength(0);
  });
});
