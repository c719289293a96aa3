import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Signal } from "../../src/model.js";
import { type Moto, motoClientConfig } from "./moto.js";

export interface Subscribed {
  topicArn: string;
  queueUrl: string;
}

/** Creates queue `name` and subscribes it to `topicArn`; `raw` turns RawMessageDelivery on (no SNS envelope). */
async function subscribeQueue(moto: Moto, topicArn: string, name: string, raw: boolean): Promise<string> {
  const sns = new SNSClient(motoClientConfig(moto));
  const sqs = new SQSClient(motoClientConfig(moto));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: "sqs",
      Endpoint: attributes.Attributes?.QueueArn,
      Attributes: { RawMessageDelivery: raw ? "true" : "false" },
    }),
  );
  return QueueUrl!;
}

async function createTopic(moto: Moto, name: string): Promise<string> {
  const sns = new SNSClient(motoClientConfig(moto));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  return TopicArn!;
}

/** Creates a topic and an SQS queue subscribed to it (raw delivery off by default: the SNS envelope is kept). */
export async function topicWithQueue(moto: Moto, name: string, raw = false): Promise<Subscribed> {
  const topicArn = await createTopic(moto, name);
  return { topicArn, queueUrl: await subscribeQueue(moto, topicArn, `${name}-q`, raw) };
}

/** Alert and pager topics with SQS subscribers: envelope (RawMessageDelivery "false") and raw. */
export interface Topology {
  alertTopicArn: string;
  pagerTopicArn: string;
  /** Subscribed to the alert topic, SNS JSON envelope. */
  alertQueueUrl: string;
  /** Subscribed to the alert topic with RawMessageDelivery "true". */
  alertRawQueueUrl: string;
  /** Subscribed to the pager topic, envelope. */
  pagerQueueUrl: string;
}

/** Fresh topics and queues named after `prefix`, so tests in one moto never see each other's messages. */
export async function createTopology(moto: Moto, prefix: string): Promise<Topology> {
  const alertTopicArn = await createTopic(moto, `${prefix}-alerts`);
  const pagerTopicArn = await createTopic(moto, `${prefix}-pager`);
  return {
    alertTopicArn,
    pagerTopicArn,
    alertQueueUrl: await subscribeQueue(moto, alertTopicArn, `${prefix}-alerts-envelope`, false),
    alertRawQueueUrl: await subscribeQueue(moto, alertTopicArn, `${prefix}-alerts-raw`, true),
    pagerQueueUrl: await subscribeQueue(moto, pagerTopicArn, `${prefix}-pager-envelope`, false),
  };
}

/**
 * One topic with one raw-delivery SQS subscriber. moto signs every envelope with a freshly generated
 * RSA key, which makes envelope fan-out slow; raw delivery keeps moto fast enough for tests whose
 * client timeouts must stay short.
 */
export async function createRawTopic(moto: Moto, prefix: string): Promise<Subscribed> {
  const topicArn = await createTopic(moto, `${prefix}-alerts`);
  return { topicArn, queueUrl: await subscribeQueue(moto, topicArn, `${prefix}-alerts-raw`, true) };
}

export interface DrainOptions {
  /** Stop once this many messages arrived. */
  expected?: number;
  /** Stop after this many empty receives in a row. */
  idleRounds?: number;
  /** Stop after this many receives in all. */
  maxPolls?: number;
  /** Wait this long after an empty receive (for deliveries still on their way). */
  idlePauseMs?: number;
}

/**
 * Reads a queue until it stays empty (or a bound in `options` is reached): every message is received
 * once, then deleted, so duplicates show up as extra messages. moto fans SNS out to SQS inside the
 * Publish call, so everything is already there when the publish returned.
 */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  { expected = Number.POSITIVE_INFINITY, idleRounds = 2, maxPolls = 50, idlePauseMs = 0 }: DrainOptions = {},
): Promise<Message[]> {
  const messages: Message[] = [];
  let idle = 0;
  for (let poll = 0; poll < maxPolls && idle < idleRounds && messages.length < expected; poll++) {
    const { Messages: batch = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (batch.length === 0) {
      idle++;
      if (idlePauseMs > 0) await new Promise((r) => setTimeout(r, idlePauseMs));
      continue;
    }
    idle = 0;
    messages.push(...batch);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  return messages;
}

/** The bodies of a queue's messages: {@link drainQueue} until `expected` arrived or `idleRounds` empty receives in a row. */
export async function drain(
  moto: Moto,
  queueUrl: string,
  expected = Number.POSITIVE_INFINITY,
  idleRounds = 2,
): Promise<string[]> {
  const sqs = new SQSClient(motoClientConfig(moto));
  const messages = await drainQueue(sqs, queueUrl, {
    expected,
    idleRounds,
    maxPolls: Number.POSITIVE_INFINITY,
    idlePauseMs: 50,
  });
  return messages.map((m) => m.Body ?? "");
}

/** An SNS notification as an SQS subscriber without raw delivery receives it. */
export interface Envelope {
  Type: string;
  Subject?: string;
  Message: string;
  MessageId: string;
  TopicArn: string;
}

export function parseEnvelope(message: Message): Envelope {
  return JSON.parse(message.Body ?? "") as Envelope;
}

/** The signal ids carried by raw-delivery messages (the body is the signal JSON). */
export function rawIds(messages: readonly Message[]): string[] {
  return messages.map((m) => (JSON.parse(m.Body ?? "") as Signal).id);
}

/** The signal ids carried by envelope messages (the `sqs` body is the signal JSON). */
export function envelopeIds(messages: readonly Message[]): string[] {
  return messages.map((m) => (JSON.parse(parseEnvelope(m).Message) as Signal).id);
}

/** The signals a queue subscribed with the SNS envelope received: {@link drain}, each envelope opened. */
export async function drainSignals(moto: Moto, queueUrl: string, expected?: number): Promise<Signal[]> {
  return (await drain(moto, queueUrl, expected)).map(
    (body) => JSON.parse((JSON.parse(body) as Envelope).Message) as Signal,
  );
}
