import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { RULE, type Severity, type Signal } from "../../src/model.js";
import { type Moto, motoClientConfig } from "../support/moto.js";

/** A complete, clean Signal (no secrets, no control characters), so rendering leaves its JSON as is. */
export function makeSignal(n: number, severity: Severity, overrides: Partial<Signal> = {}): Signal {
  const time = new Date(Date.UTC(2024, 4, 1, 12, 0, n % 60)).toISOString();
  return {
    id: `sig-${String(n).padStart(4, "0")}-${severity}`,
    rule: { ...RULE },
    severity,
    reasons: ["curl downloads to /tmp", "parent is a shell"],
    timestamp: time,
    firstSeen: time,
    lastSeen: time,
    count: 1,
    title: `curl executed in payments/api-${n}`,
    message: "The process `curl` was executed, potentially to download additional tools.",
    utility: { name: "curl", category: "download" },
    process: {
      name: "curl",
      path: "/usr/bin/curl",
      args: ["-sSL", `https://example.com/tool-${n}`, "-o", "/tmp/t"],
    },
    ancestors: [{ name: "sh", path: "/bin/sh" }],
    container: { id: `c0ffee${n}`, name: "api", image: "registry.example.com/payments/api:1.4.2" },
    workload: { platform: "eks", cluster: "prod", namespace: "payments", pod: `api-${n}` },
    inContainer: true,
    viaExecSession: false,
    source: {
      format: "tetragon",
      logGroup: "/aws/containerinsights/prod/application",
      logStream: `tetragon-${n}`,
      eventIds: [`3${String(n).padStart(55, "0")}`],
      owner: "123456789012",
    },
    triage: ["Check who started the pod", "Look for files written under /tmp"],
    links: {
      logStream: "https://console.aws.amazon.com/cloudwatch/home",
      mitreTactic: "https://attack.mitre.org/tactics/TA0011/",
      mitreTechnique: "https://attack.mitre.org/techniques/T1105/",
      rule: "https://example.com/rules/net_util_in_container",
    },
    ...overrides,
  };
}

const SEVERITY_CYCLE: readonly Severity[] = ["low", "medium", "high", "critical", "medium"];

/** `count` signals cycling through all severities; `from` keeps ids distinct across calls. */
export function mixedSignals(count: number, from = 0): Signal[] {
  return Array.from({ length: count }, (_, i) =>
    makeSignal(from + i, SEVERITY_CYCLE[i % SEVERITY_CYCLE.length]!),
  );
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

async function queueFor(sqs: SQSClient, sns: SNSClient, topicArn: string, name: string, raw: boolean) {
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

/** Fresh topics and queues named after `prefix`, so tests in one moto never see each other's messages. */
export async function createTopology(moto: Moto, prefix: string): Promise<Topology> {
  const sns = new SNSClient(motoClientConfig(moto));
  const sqs = new SQSClient(motoClientConfig(moto));
  const alert = await sns.send(new CreateTopicCommand({ Name: `${prefix}-alerts` }));
  const pager = await sns.send(new CreateTopicCommand({ Name: `${prefix}-pager` }));
  const alertTopicArn = alert.TopicArn!;
  const pagerTopicArn = pager.TopicArn!;
  return {
    alertTopicArn,
    pagerTopicArn,
    alertQueueUrl: await queueFor(sqs, sns, alertTopicArn, `${prefix}-alerts-envelope`, false),
    alertRawQueueUrl: await queueFor(sqs, sns, alertTopicArn, `${prefix}-alerts-raw`, true),
    pagerQueueUrl: await queueFor(sqs, sns, pagerTopicArn, `${prefix}-pager-envelope`, false),
  };
}

/**
 * One topic with one raw-delivery SQS subscriber. moto signs every envelope with a freshly generated
 * RSA key, which makes envelope fan-out slow (50–500 ms per 10 messages); raw delivery keeps moto
 * fast enough for tests whose client timeouts must stay short.
 */
export async function createRawTopic(
  moto: Moto,
  prefix: string,
): Promise<{ topicArn: string; queueUrl: string }> {
  const sns = new SNSClient(motoClientConfig(moto));
  const sqs = new SQSClient(motoClientConfig(moto));
  const topic = await sns.send(new CreateTopicCommand({ Name: `${prefix}-alerts` }));
  const topicArn = topic.TopicArn!;
  return { topicArn, queueUrl: await queueFor(sqs, sns, topicArn, `${prefix}-alerts-raw`, true) };
}

/**
 * Reads a queue until it stays empty: every message is received once (then deleted), so duplicates
 * show up as extra messages. Bounded by `maxPolls`. moto fans SNS out to SQS inside the Publish
 * call, so everything is already there when the publish returned.
 */
export async function drainQueue(sqs: SQSClient, queueUrl: string, maxPolls = 50): Promise<Message[]> {
  const messages: Message[] = [];
  let emptyPolls = 0;
  for (let poll = 0; poll < maxPolls && emptyPolls < 2; poll++) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    const batch = received.Messages ?? [];
    if (batch.length === 0) {
      emptyPolls++;
      continue;
    }
    emptyPolls = 0;
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

/** The SNS notification envelope an SQS subscriber without raw delivery receives. */
export interface Envelope {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
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
