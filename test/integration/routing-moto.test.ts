import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { Signal } from "../../src/model.js";
import { EVENT_SOURCE } from "../../src/sinks/eventbridge.js";
import { createSinks } from "../../src/sinks/index.js";
import { makeSignal } from "../signals/signal-factory.js";
import { MOTO_REGION, type Moto, motoClientConfig, startMoto } from "../support/moto.js";
import { drainQueue, rawIds } from "../support/sns-sqs.js";

/** Signals of three teams: namespace, owner and a team label differ. */
function teamSignals(): Signal[] {
  const of = (n: number, namespace: string, team: string) =>
    makeSignal(n, "high", {
      workload: {
        platform: "eks",
        cluster: "prod",
        namespace,
        pod: `${team}-api-${n}`,
        owner: { kind: "Deployment", name: `${team}-api` },
        labels: { team, "app.kubernetes.io/name": `${team}-api` },
      },
    });
  return [of(1, "payments", "pay"), of(2, "search", "find"), of(3, "payments", "pay"), of(4, "web", "front")];
}

/** Routing fields reach subscription filter policies and EventBridge rules, against moto_server. */
describe("routing by team or namespace", () => {
  let moto: Moto;
  let sns: SNSClient;
  let sqs: SQSClient;
  let eventBridge: EventBridgeClient;

  beforeAll(async () => {
    moto = await startMoto();
    sns = new SNSClient(motoClientConfig(moto));
    sqs = new SQSClient(motoClientConfig(moto));
    eventBridge = new EventBridgeClient(motoClientConfig(moto));
  });
  afterAll(async () => {
    await moto?.stop();
  });

  async function queue(name: string): Promise<{ url: string; arn: string }> {
    const { QueueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    return { url: QueueUrl, arn: Attributes?.QueueArn ?? "" };
  }

  it("an SNS subscription's filter policy on namespace gets only that namespace's signals", async () => {
    const { TopicArn = "" } = await sns.send(new CreateTopicCommand({ Name: "routed-alerts" }));
    const payments = await queue("payments-pager");
    const byLabel = await queue("front-team");
    const everything = await queue("siem");
    const subscribe = (arn: string, filter?: object) =>
      sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: "sqs",
          Endpoint: arn,
          Attributes: {
            RawMessageDelivery: "true",
            ...(filter ? { FilterPolicy: JSON.stringify(filter) } : {}),
          },
        }),
      );
    await subscribe(payments.arn, { namespace: ["payments"], severity: ["high", "critical"] });
    await subscribe(byLabel.arn, { "label.team": ["front"] });
    await subscribe(everything.arn);
    const signals = teamSignals();
    const deliver = createSinks(loadConfig({ AWS_REGION: MOTO_REGION, SNS_TOPIC_ARN: TopicArn }), {
      clients: { sns },
      baseDelayMs: 1,
    });

    await deliver(signals);

    const ids = (pick: (s: Signal) => boolean) =>
      signals
        .filter(pick)
        .map((s) => s.id)
        .sort();
    expect(rawIds(await drainQueue(sqs, payments.url)).sort()).toEqual(
      ids((s) => s.workload.namespace === "payments"),
    );
    expect(rawIds(await drainQueue(sqs, byLabel.url)).sort()).toEqual(
      ids((s) => s.workload.namespace === "web"),
    );
    // Raw delivery hands the attributes on (at most 10, what SQS accepts from SNS).
    const all: Message[] = [];
    for (let poll = 0; poll < 20 && all.length < signals.length; poll++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: everything.url,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ["All"],
          VisibilityTimeout: 60,
        }),
      );
      all.push(...Messages);
    }
    expect(rawIds(all).sort()).toEqual(ids(() => true));
    for (const message of all) {
      const attributes = message.MessageAttributes ?? {};
      const signal = signals.find((s) => s.id === rawIds([message])[0]);
      expect(Object.keys(attributes).length).toBeLessThanOrEqual(10);
      expect(attributes.namespace?.StringValue).toBe(signal?.workload.namespace);
      expect(attributes.owner_name?.StringValue).toBe(signal?.workload.owner?.name);
    }
  });

  it("an EventBridge rule on detail.workload.namespace sends only that namespace to its target", async () => {
    await eventBridge.send(new CreateEventBusCommand({ Name: "routed" }));
    await eventBridge.send(
      new PutRuleCommand({
        Name: "payments-only",
        EventBusName: "routed",
        EventPattern: JSON.stringify({
          source: [EVENT_SOURCE],
          detail: { workload: { namespace: ["payments"], owner: { kind: ["Deployment"] } } },
        }),
      }),
    );
    const target = await queue("payments-bus-target");
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: "payments-only",
        EventBusName: "routed",
        Targets: [{ Id: "q", Arn: target.arn }],
      }),
    );
    const signals = teamSignals();
    const deliver = createSinks(
      loadConfig({ AWS_REGION: MOTO_REGION, EVENT_BUS_NAME: "routed" }, { requireTopic: false }),
      { clients: { sns, eventBridge }, baseDelayMs: 1 },
    );

    await deliver(signals);

    const events = (await drainQueue(sqs, target.url)).map((m) => JSON.parse(m.Body ?? "{}"));
    expect(events.map((e) => e.detail.id).sort()).toEqual(
      signals
        .filter((s) => s.workload.namespace === "payments")
        .map((s) => s.id)
        .sort(),
    );
    expect(events[0]?.detail.workload.labels).toEqual({ team: "pay", "app.kubernetes.io/name": "pay-api" });
  });
});
