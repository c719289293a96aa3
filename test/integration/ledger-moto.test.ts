import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, routesFor } from "../../src/config.js";
import { PublishError } from "../../src/errors.js";
import { handleEvent } from "../../src/invocation.js";
import type { Signal } from "../../src/model.js";
import { groupKey } from "../../src/signals/group-key.js";
import { cappedNote, ledgerFor, repeatNote, SignalLedger } from "../../src/signals/ledger.js";
import { publishSignals } from "../../src/signals/sns.js";
import { METRIC, type Telemetry } from "../../src/telemetry.js";
import { makeSignal } from "../signals/signal-factory.js";
import { sampleEvent } from "../support/events.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { createLedgerTable, ledgerItem, ledgerKeys } from "../support/ledger-table.js";
import { freePort, MOTO_REGION, type Moto, motoClientConfig, startMoto } from "../support/moto.js";
import { type SerialProxy, startSerialProxy } from "../support/serial-proxy.js";
import { drain, type Subscribed, topicWithQueue } from "../support/sns-sqs.js";

/** Telemetry that keeps what it is told. */
function recording() {
  const counts: Record<string, number> = {};
  const errors: string[] = [];
  const telemetry: Telemetry = {
    info() {},
    warn() {},
    error: (message) => errors.push(message),
    count: (name, value) => {
      counts[name] = (counts[name] ?? 0) + value;
    },
    flush() {},
  };
  return { telemetry, counts, errors };
}

const T0 = Date.UTC(2026, 11, 3, 10, 0, 0);
const WINDOW = 3600;

/** Signals of the Deployment `web`; `n` varies pod, id and arguments, not the group. */
function web(n: number, overrides: Partial<Signal> = {}): Signal {
  return makeSignal(n, "high", {
    reasons: [
      "curl downloads into a writable location (/tmp): /tmp/x",
      "curl (download tool) ran in a container",
    ],
    workload: {
      platform: "eks",
      cluster: "prod",
      namespace: "payments",
      pod: `web-5d8f7c9b4-p${n}`,
      owner: { kind: "ReplicaSet", name: "web-5d8f7c9b4" },
    },
    ...overrides,
  });
}

describe("the signal ledger against DynamoDB in moto_server", () => {
  let moto: Moto;
  let serial: SerialProxy;
  let dynamo: DynamoDBClient;
  let table = 0;
  const fresh = async () => {
    const name = `ledger-${++table}`;
    await createLedgerTable(moto, name);
    return name;
  };
  const ledger = (name: string, clock: { now: number }, extra: { pagerMax?: number; pager?: boolean } = {}) =>
    new SignalLedger(dynamo, {
      table: name,
      windowSeconds: WINDOW,
      pagerMaxPerWindow: extra.pagerMax ?? 5,
      ...(extra.pager ? { pagerMinSeverity: "high" as const } : {}),
      clock: () => clock.now,
    });

  beforeAll(async () => {
    moto = await startMoto();
    // One request at a time, as DynamoDB's per-item atomicity would have it (see serial-proxy.ts).
    serial = await startSerialProxy(moto.endpoint);
    dynamo = new DynamoDBClient({ ...motoClientConfig(moto), endpoint: serial.endpoint });
  });
  afterAll(async () => {
    await serial?.close();
    await moto?.stop();
  });

  it("claims a group once: its first signal is published, the rest of the batch is counted", async () => {
    const name = await fresh();
    const clock = { now: T0 };
    const a = ledger(name, clock);
    const { telemetry, counts } = recording();
    const wget = web(3, { utility: { name: "wget", category: "download" } });
    const admission = await a.gate(telemetry).admit([web(1), web(2, { count: 4 }), wget]);
    expect(admission.publish.map((s) => s.id)).toEqual([web(1).id, wget.id]);
    expect(admission.counts).toMatchObject({ claims: 2, repeats: 1, errors: 0 });
    expect(a.requests).toBe(2);
    expect(counts).toMatchObject({ [METRIC.ledgerClaims]: 2, [METRIC.ledgerRepeats]: 1 });
    const item = await ledgerItem(dynamo, name, groupKey(web(1)));
    const windowEnds = T0 / 1000 + WINDOW;
    expect(item).toMatchObject({
      severity: "high",
      firstSeen: new Date(T0).toISOString(),
      repeats: 4,
      windowEnds,
      expiresAt: windowEnds + 7 * 24 * 3600,
      signalId: web(1).id,
    });
    expect(String(item?.token)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a repeat inside the window is counted, not published: two requests from a new container, then one", async () => {
    const name = await fresh();
    const clock = { now: T0 };
    await ledger(name, clock)
      .gate(recording().telemetry)
      .admit([web(1)]);
    clock.now += 60_000;
    const other = ledger(name, clock);
    const { telemetry, counts } = recording();
    const gate = other.gate(telemetry);
    expect((await gate.admit([web(2, { count: 3 })])).publish).toEqual([]);
    expect(other.requests).toBe(2);
    expect((await gate.admit([web(3)])).publish).toEqual([]);
    expect(other.requests).toBe(3);
    expect(counts[METRIC.ledgerRepeats]).toBe(2);
    expect(await ledgerItem(dynamo, name, groupKey(web(1)))).toMatchObject({ repeats: 4, severity: "high" });
  });

  it("a higher severity breaks through and raises the record; the same or lower stays counted", async () => {
    const name = await fresh();
    const clock = { now: T0 };
    const gate = ledger(name, clock).gate(recording().telemetry);
    await gate.admit([web(1)]);
    const worse = web(2, { severity: "critical" });
    const admission = await gate.admit([worse]);
    expect(admission.publish.map((s) => s.id)).toEqual([worse.id]);
    expect(admission.counts.breakthroughs).toBe(1);
    expect(await ledgerItem(dynamo, name, groupKey(web(1)))).toMatchObject({ severity: "critical", rank: 3 });
    const fromElsewhere = ledger(name, clock).gate(recording().telemetry);
    expect((await fromElsewhere.admit([web(3, { severity: "critical" })])).publish).toEqual([]);
    expect((await fromElsewhere.admit([web(4)])).publish).toEqual([]);
  });

  it("after the window the group alerts again and says how often it repeated", async () => {
    const name = await fresh();
    const clock = { now: T0 };
    const gate = ledger(name, clock).gate(recording().telemetry);
    await gate.admit([web(1)]);
    clock.now += 10_000;
    await ledger(name, clock)
      .gate(recording().telemetry)
      .admit([web(2, { count: 40 }), web(3, { count: 2 })]);
    clock.now = T0 + WINDOW * 1000;
    const [again] = (await gate.admit([web(4)])).publish;
    const since = new Date(T0).toISOString();
    expect(again?.reasons.at(-1)).toBe(repeatNote(42, since));
    expect(again?.reasons.at(-1)).toBe(`seen 42 more times since ${since}, when this group last alerted`);
    expect(again?.ledger).toEqual({ group: groupKey(web(1)), repeats: 42, since });
    expect(await ledgerItem(dynamo, name, groupKey(web(1)))).toMatchObject({
      repeats: 0,
      firstSeen: new Date(clock.now).toISOString(),
    });
  });

  it("pages a workload at most PAGER_MAX_PER_WINDOW times, then only alerts, and pages again next window", async () => {
    const name = await fresh();
    const clock = { now: T0 };
    const gate = ledger(name, clock, { pager: true, pagerMax: 2 }).gate(recording().telemetry);
    const utilities = ["curl", "wget", "nc", "socat"].map((u, i) =>
      web(i, { utility: { name: u, category: "download" } }),
    );
    const low = web(9, { severity: "low", utility: { name: "dig", category: "dns" } });
    const admission = await gate.admit([...utilities.slice(0, 3), low]);
    expect(admission.publish).toHaveLength(4);
    const capped = admission.publish.filter((s) => s.ledger?.pagingCapped);
    expect(capped).toHaveLength(1);
    expect(capped[0]?.reasons.at(-1)).toBe(cappedNote(2));
    expect(admission.counts.pagesCapped).toBe(1);
    clock.now += WINDOW * 1000;
    const next = await gate.admit([utilities[3]!]);
    expect(next.publish[0]?.ledger?.pagingCapped).toBeUndefined();
  });

  it("a failed publish releases the claims of what was not delivered, so the retry publishes them", async () => {
    const name = await fresh();
    const clock = { now: T0 };
    const gate = ledger(name, clock, { pager: true }).gate(recording().telemetry);
    const wget = web(3, { utility: { name: "wget", category: "download" } });
    const admission = await gate.admit([web(1), wget]);
    await gate.release(admission, new PublishError("one lost", 1, [wget.id]));
    expect(await ledgerKeys(dynamo, name)).toEqual(
      [groupKey(web(1)), "pages|k8s/123456789012/prod/payments/Deployment/web"].sort(),
    );
    expect(
      await ledgerItem(dynamo, name, "pages|k8s/123456789012/prod/payments/Deployment/web"),
    ).toMatchObject({
      pages: 1,
    });
    const retry = await ledger(name, clock)
      .gate(recording().telemetry)
      .admit([web(1), wget]);
    expect(retry.publish.map((s) => s.id)).toEqual([wget.id]);
  });
});

describe("the signal ledger without DynamoDB", () => {
  it("publishes every signal of a group it could not judge, as if there were no ledger", async () => {
    const nowhere = new DynamoDBClient({
      ...motoClientConfig({ endpoint: `http://127.0.0.1:${await freePort()}` } as Moto),
      maxAttempts: 1,
    });
    const ledger = new SignalLedger(nowhere, {
      table: "absent",
      windowSeconds: WINDOW,
      pagerMaxPerWindow: 5,
    });
    const { telemetry, counts, errors } = recording();
    const admission = await ledger.gate(telemetry).admit([web(1), web(2)]);
    expect(admission.publish.map((s) => s.id)).toEqual([web(1).id, web(2).id]);
    expect(admission.counts).toMatchObject({ claims: 0, repeats: 0, errors: 1 });
    expect(counts[METRIC.ledgerErrors]).toBe(1);
    expect(errors).toHaveLength(1);
  });
});

describe("handleEvent with the ledger, SNS and SQS in moto_server", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let alerts: Subscribed;
  let n = 0;
  const EVENTS = [
    "tetragon-download-to-tmp.json",
    "falco-wget-piped-to-shell.json",
    "datadog-imds-credentials.json",
  ];

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    alerts = await topicWithQueue(moto, "ledger-alerts", true);
  });
  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  /** The Lambda's wiring, in process: SNS through the proxy, DynamoDB at `dynamoEndpoint`. */
  async function lambda(dynamoEndpoint: string) {
    const name = `handled-${++n}`;
    await createLedgerTable(moto, name);
    const config = loadConfig({
      SNS_TOPIC_ARN: alerts.topicArn,
      LEDGER_TABLE: name,
      AWS_REGION: MOTO_REGION,
    });
    const sns = new SNSClient({ ...motoClientConfig(moto), endpoint: proxy.endpoint });
    const dynamo = new DynamoDBClient({
      ...motoClientConfig(moto),
      endpoint: dynamoEndpoint,
      maxAttempts: 3,
    });
    const ledger = ledgerFor(config, () => dynamo);
    const routes = routesFor(config);
    const invoke = async (event: unknown) => {
      const { telemetry, counts, errors } = recording();
      const sink = (s: Signal[]) => publishSignals(sns, routes, s, { baseDelayMs: 1, maxRounds: 0 });
      const outcome = await handleEvent(event, {
        config,
        telemetry,
        sink,
        ledger: ledger?.gate(telemetry),
      }).then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      );
      return { ...outcome, counts, errors };
    };
    return { name, invoke };
  }

  const received = async (count: number) =>
    (await drain(moto, alerts.queueUrl, count)).map((body) => (JSON.parse(body) as Signal).id);

  it("a signal whose page was capped reaches the alert topic and not the pager", async () => {
    const pager = await topicWithQueue(moto, "ledger-pager", true);
    const config = loadConfig({
      SNS_TOPIC_ARN: alerts.topicArn,
      PAGER_TOPIC_ARN: pager.topicArn,
      AWS_REGION: MOTO_REGION,
    });
    const capped = web(1, { ledger: { group: groupKey(web(1)), pagingCapped: true } });
    const paged = web(2, { utility: { name: "wget", category: "download" } });
    const sns = new SNSClient(motoClientConfig(moto));
    await publishSignals(sns, routesFor(config), [capped, paged], { baseDelayMs: 1 });
    expect((await received(2)).sort()).toEqual([capped.id, paged.id].sort());
    const pages = (await drain(moto, pager.queueUrl, 1)).map((body) => (JSON.parse(body) as Signal).id);
    expect(pages).toEqual([paged.id]);
  });

  it("an SNS failure after a claim leaves the group unclaimed, and Lambda's retry delivers it", async () => {
    const { name, invoke } = await lambda(moto.endpoint);
    const dynamo = new DynamoDBClient(motoClientConfig(moto));
    proxy.persist("PublishBatch", { kind: "internal-error" });
    const failed = await invoke(sampleEvent(EVENTS[0]!));
    proxy.reset();
    expect(failed.error).toBeInstanceOf(PublishError);
    expect(await ledgerKeys(dynamo, name)).toEqual([]);
    const retried = await invoke(sampleEvent(EVENTS[0]!));
    expect(retried.error).toBeUndefined();
    expect(await received(1)).toEqual(retried.result?.signals.map((s) => s.id));
    const again = await invoke(sampleEvent(EVENTS[0]!));
    expect(again.counts[METRIC.ledgerRepeats]).toBe(1);
    expect(await received(Number.POSITIVE_INFINITY)).toEqual([]);
  });

  it("DynamoDB unreachable (closed port): every signal is delivered, LedgerErrors counts, one log line", async () => {
    const { invoke } = await lambda(`http://127.0.0.1:${await freePort()}`);
    const outcomes = [];
    for (const file of EVENTS) outcomes.push(await invoke(sampleEvent(file)));
    expect(outcomes.map((o) => o.error)).toEqual([undefined, undefined, undefined]);
    // Logged once per invocation, however many requests failed.
    expect(outcomes.map((o) => o.errors.length)).toEqual([1, 1, 1]);
    expect(outcomes[0]?.errors[0]).toMatch(/signal ledger unavailable/);
    expect(outcomes.every((o) => (o.counts[METRIC.ledgerErrors] ?? 0) >= 1)).toBe(true);
    const ids = outcomes.flatMap((o) => o.result?.signals.map((s) => s.id) ?? []);
    expect((await received(ids.length)).sort()).toEqual(ids.sort());
  });

  it("DynamoDB throttling after the SDK's retries: every signal is delivered, LedgerErrors counts", async () => {
    const { invoke } = await lambda(proxy.endpoint);
    proxy.persist("PutItem", { kind: "throttle", status: 400, code: "ThrottlingException" });
    try {
      const outcome = await invoke(sampleEvent(EVENTS[1]!));
      expect(outcome.error).toBeUndefined();
      expect(outcome.counts[METRIC.ledgerErrors]).toBe(1);
      expect(outcome.errors).toHaveLength(1);
      expect(proxy.faulted.PutItem).toBe(3);
      expect(await received(1)).toEqual(outcome.result?.signals.map((s) => s.id));
    } finally {
      proxy.reset();
    }
  });
});
