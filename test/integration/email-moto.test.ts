import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { type Message, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { PublishError } from "../../src/errors.js";
import type { Signal } from "../../src/model.js";
import { renderEmail, renderSubject } from "../../src/signals/render.js";
import { counterKey } from "../../src/sinks/email.js";
import { createSinks } from "../../src/sinks/index.js";
import { makeSignal, mixedSignals } from "../signals/signal-factory.js";
import { createLedgerTable, ledgerItem } from "../support/ledger-table.js";
import { MOTO_REGION, type Moto, motoClientConfig, startMoto } from "../support/moto.js";
import { type SerialProxy, startSerialProxy } from "../support/serial-proxy.js";
import { drainQueue, parseEnvelope, rawIds, topicWithQueue } from "../support/sns-sqs.js";

/** A fixed minute, so two calls never straddle a minute boundary. */
const NOW = new Date("2026-12-04T01:02:30.000Z");
const MINUTE = Math.floor(NOW.getTime() / 60_000);

/** Email burst protection (src/sinks/email.ts) built by createSinks, against moto_server over HTTP. */
describe("the email sink against moto", () => {
  let moto: Moto;
  let sqs: SQSClient;
  let sns: SNSClient;
  let dynamoDb: DynamoDBClient;
  let serial: SerialProxy;

  beforeAll(async () => {
    moto = await startMoto();
    sqs = new SQSClient(motoClientConfig(moto));
    sns = new SNSClient(motoClientConfig(moto));
    // DynamoDB applies each ADD atomically; moto_server serves requests on threads and reads, adds and
    // writes in separate steps, so two racing ADDs could both read 0 (both batches then went singly
    // and no digest was sent, one CI run in many). One request at a time gives back DynamoDB's
    // guarantee while the two containers still race for it (see serial-proxy.ts).
    serial = await startSerialProxy(moto.endpoint);
    dynamoDb = new DynamoDBClient({ ...motoClientConfig(moto), endpoint: serial.endpoint });
  });
  afterAll(async () => {
    await serial?.close();
    await moto?.stop();
  });

  /** A machine topic and an email topic, each with an SQS subscriber (SNS envelope kept: the Subject shows). */
  async function topics(prefix: string) {
    const machine = await topicWithQueue(moto, `${prefix}-machine`, true);
    const email = await topicWithQueue(moto, `${prefix}-email`, false);
    return { machine, email };
  }

  function sinksFor(env: Record<string, string>) {
    const config = loadConfig({ AWS_REGION: MOTO_REGION, ...env }, { requireTopic: true });
    return createSinks(config, { clients: { sns, dynamoDb }, baseDelayMs: 1, now: () => NOW });
  }

  const envelopes = async (queueUrl: string) => (await drainQueue(sqs, queueUrl)).map(parseEnvelope);
  const highSignals = (count: number, from: number): Signal[] =>
    Array.from({ length: count }, (_, i) => makeSignal(from + i, i % 3 === 0 ? "critical" : "high"));

  it("a burst of 50 in one batch (budget 10): one email-topic message listing all 50, 50 on the machine topic", async () => {
    const { machine, email } = await topics("burst");
    const deliver = sinksFor({
      SNS_TOPIC_ARN: machine.topicArn,
      EMAIL_TOPIC_ARN: email.topicArn,
      EMAIL_DIGEST_PER_MINUTE: "10",
    });
    const signals = highSignals(50, 100);

    await deliver(signals);

    const machineMessages: Message[] = await drainQueue(sqs, machine.queueUrl);
    expect(rawIds(machineMessages).sort()).toEqual(signals.map((s) => s.id).sort());
    const emails = await envelopes(email.queueUrl);
    expect(emails).toHaveLength(1);
    const [digest] = emails;
    expect(digest?.Subject).toMatch(/^\[CRITICAL\] netutil-detector digest: 50 signals \(/);
    expect(digest?.Subject?.length).toBeLessThan(100);
    for (const signal of signals) expect(digest?.Message).toContain(`Signal id:    ${signal.id}`);
    expect(digest?.Message).toContain("More than EMAIL_DIGEST_PER_MINUTE (10)");
    expect(digest?.Message).toContain("By severity: critical 17, high 33");
  });

  it("below the budget each signal is its own email, the rendered subject and text", async () => {
    const { machine, email } = await topics("below");
    const deliver = sinksFor({ SNS_TOPIC_ARN: machine.topicArn, EMAIL_TOPIC_ARN: email.topicArn });
    const signals = mixedSignals(5, 200).filter((s) => s.severity !== "low");

    const report = await deliver(signals);

    const emails = await envelopes(email.queueUrl);
    expect(emails.map((e) => e.Subject).sort()).toEqual(signals.map(renderSubject).sort());
    const bodies = new Map(emails.map((e) => [e.Subject, e.Message]));
    for (const signal of signals) expect(bodies.get(renderSubject(signal))).toBe(renderEmail(signal));
    // Machine topic + email topic, each signal once.
    expect(report.published).toBe(2 * signals.length);
  });

  it("with LEDGER_TABLE two containers share one budget: 6 individual emails, then one digest of 6", async () => {
    const { machine, email } = await topics("shared");
    await createLedgerTable(moto, "email-budget");
    const env = {
      SNS_TOPIC_ARN: machine.topicArn,
      EMAIL_TOPIC_ARN: email.topicArn,
      EMAIL_DIGEST_PER_MINUTE: "10",
      LEDGER_TABLE: "email-budget",
    };
    // Two createSinks are two containers: nothing in memory is shared, only the table.
    const first = sinksFor(env);
    const second = sinksFor(env);

    await first(highSignals(6, 300));
    const afterFirst = await envelopes(email.queueUrl);
    await second(highSignals(6, 400));
    const afterSecond = await envelopes(email.queueUrl);

    expect(afterFirst).toHaveLength(6);
    expect(afterFirst.every((e) => !e.Subject?.includes("digest"))).toBe(true);
    expect(afterSecond).toHaveLength(1);
    expect(afterSecond[0]?.Subject).toContain("digest: 6 signals");
    expect(afterSecond[0]?.Message).toContain("(12 so far)");
    const item = await ledgerItem(dynamoDb, "email-budget", counterKey(email.topicArn, MINUTE));
    expect(item).toMatchObject({ emails: 12 });
    expect(Number(item?.expiresAt)).toBeGreaterThan((MINUTE + 1) * 60);
    expect(await drainQueue(sqs, machine.queueUrl)).toHaveLength(12);
  });

  it("two containers at once: the atomic ADD lets exactly one batch of 6 go as single emails", async () => {
    const { machine, email } = await topics("racing");
    await createLedgerTable(moto, "email-race");
    const env = {
      SNS_TOPIC_ARN: machine.topicArn,
      EMAIL_TOPIC_ARN: email.topicArn,
      EMAIL_DIGEST_PER_MINUTE: "10",
      LEDGER_TABLE: "email-race",
    };

    await Promise.all([sinksFor(env)(highSignals(6, 800)), sinksFor(env)(highSignals(6, 810))]);

    const emails = await envelopes(email.queueUrl);
    expect(emails.filter((e) => e.Subject?.includes("digest"))).toHaveLength(1);
    expect(emails).toHaveLength(6 + 1);
  });

  it("without LEDGER_TABLE the budget is the container's own", async () => {
    const { machine, email } = await topics("memory");
    const env = {
      SNS_TOPIC_ARN: machine.topicArn,
      EMAIL_TOPIC_ARN: email.topicArn,
      EMAIL_DIGEST_PER_MINUTE: "4",
    };
    const container = sinksFor(env);
    const other = sinksFor(env);

    await container(highSignals(3, 500));
    await container(highSignals(3, 510));
    await other(highSignals(3, 520));

    const emails = await envelopes(email.queueUrl);
    const digests = emails.filter((e) => e.Subject?.includes("digest"));
    expect(emails).toHaveLength(3 + 1 + 3);
    expect(digests).toHaveLength(1);
  });

  it("a counter that cannot be read sends the batch as one digest, and the machine topic all of it", async () => {
    const { machine, email } = await topics("nocounter");
    const deliver = sinksFor({
      SNS_TOPIC_ARN: machine.topicArn,
      EMAIL_TOPIC_ARN: email.topicArn,
      LEDGER_TABLE: "no-such-table",
    });
    const signals = highSignals(3, 600);

    await deliver(signals);

    const emails = await envelopes(email.queueUrl);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.Subject).toContain("digest: 3 signals");
    expect(emails[0]?.Message).toContain(
      "The per-minute email count (DynamoDB table no-such-table) could not be read",
    );
    for (const signal of signals) expect(emails[0]?.Message).toContain(signal.id);
    expect(rawIds(await drainQueue(sqs, machine.queueUrl)).sort()).toEqual(signals.map((s) => s.id).sort());
  });

  it("a digest SNS does not take fails the call with a PublishError naming every signal it carried", async () => {
    const { machine } = await topics("lost");
    const deliver = sinksFor({
      SNS_TOPIC_ARN: machine.topicArn,
      EMAIL_TOPIC_ARN: `${machine.topicArn.replace(/:[^:]+$/, "")}:no-such-email-topic`,
      EMAIL_DIGEST_PER_MINUTE: "2",
    });
    const signals = highSignals(5, 700);

    const error = await deliver(signals).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).signalIds.sort()).toEqual(signals.map((s) => s.id).sort());
    expect((error as PublishError).message).toContain("the digest of 5 signals was not delivered");
    // The machine topic still got every signal (sinks run side by side; Lambda's retry deduplicates).
    expect(rawIds(await drainQueue(sqs, machine.queueUrl)).sort()).toEqual(signals.map((s) => s.id).sort());
  });
});
