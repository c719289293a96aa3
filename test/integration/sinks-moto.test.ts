import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { GetFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import { SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { PublishError } from "../../src/errors.js";
import type { Signal } from "../../src/model.js";
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from "../../src/sinks/eventbridge.js";
import { findingId } from "../../src/sinks/finding-id.js";
import { createSinks } from "../../src/sinks/index.js";
import { productArn } from "../../src/sinks/security-hub.js";
import { makeSignal, mixedSignals } from "../signals/signal-factory.js";
import { chatbotSchemaErrors } from "../support/chatbot-schema.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { MOTO_ACCOUNT, MOTO_REGION, type Moto, motoClientConfig, startMoto } from "../support/moto.js";
import { drainQueue, topicWithQueue } from "../support/sns-sqs.js";

/** The three new sinks, built by createSinks from the configuration, against moto_server over HTTP. */
describe("createSinks against moto", () => {
  let moto: Moto;
  let sqs: SQSClient;
  let clients: { sns: SNSClient; eventBridge: EventBridgeClient; securityHub: SecurityHubClient };

  beforeAll(async () => {
    moto = await startMoto();
    sqs = new SQSClient(motoClientConfig(moto));
    clients = {
      sns: new SNSClient(motoClientConfig(moto)),
      eventBridge: new EventBridgeClient(motoClientConfig(moto)),
      securityHub: new SecurityHubClient(motoClientConfig(moto)),
    };
  });
  afterAll(async () => {
    await moto?.stop();
  });

  const configOf = (env: Record<string, string>) =>
    loadConfig({ AWS_REGION: MOTO_REGION, ...env }, { requireTopic: false });

  /** A bus with a rule on our source whose target is a fresh SQS queue; returns the queue URL. */
  async function busWithQueue(bus: string): Promise<string> {
    await clients.eventBridge.send(new CreateEventBusCommand({ Name: bus }));
    await clients.eventBridge.send(
      new PutRuleCommand({
        Name: `${bus}-to-queue`,
        EventBusName: bus,
        EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
      }),
    );
    const { QueueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: `${bus}-target` }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    await clients.eventBridge.send(
      new PutTargetsCommand({
        Rule: `${bus}-to-queue`,
        EventBusName: bus,
        Targets: [{ Id: "q", Arn: Attributes?.QueueArn }],
      }),
    );
    return QueueUrl;
  }

  describe("EventBridge: PutEvents -> rule on our source -> SQS target", () => {
    let queueUrl: string;
    beforeAll(async () => {
      queueUrl = await busWithQueue("signals");
    });

    it("delivers each signal at or above the bus minimum once, detail = the signal with its groupKey", async () => {
      const signals = mixedSignals(23);
      const deliver = createSinks(
        configOf({ EVENT_BUS_NAME: "signals", EVENTBRIDGE_MIN_SEVERITY: "medium" }),
        { clients, baseDelayMs: 1 },
      );

      const report = await deliver(signals);

      const expected = signals.filter((s) => s.severity !== "low");
      expect(report).toMatchObject({ published: expected.length, requests: 2 });
      const messages = await drainQueue(sqs, queueUrl);
      const events = messages.map((m) => JSON.parse(m.Body ?? "{}"));
      expect(events.map((e) => e.detail.id).sort()).toEqual(expected.map((s) => s.id).sort());
      const byId = new Map(signals.map((s) => [s.id, s]));
      for (const event of events) {
        expect(event).toMatchObject({ source: EVENT_SOURCE, "detail-type": EVENT_DETAIL_TYPE });
        const { groupKey, ...signal } = event.detail as Signal & { groupKey: string };
        expect(signal).toEqual(byId.get(signal.id));
        expect(groupKey).toBe(findingId(signal));
      }
    });
  });

  describe("Security Hub: BatchImportFindings then GetFindings", () => {
    const all = async () => {
      const { Findings = [] } = await clients.securityHub.send(new GetFindingsCommand({ MaxResults: 100 }));
      return Findings;
    };

    it("holds one finding per group, and a repeat updates it rather than adding one", async () => {
      const config = configOf({
        SECURITY_HUB: "true",
        SNS_TOPIC_ARN: `arn:aws:sns:${MOTO_REGION}:${MOTO_ACCOUNT}:unused`,
        SECURITY_HUB_MIN_SEVERITY: "low",
      });
      // Only Security Hub is driven here; the SNS topic only names the account.
      const deliverHub = createSinks(
        { ...config, snsTopicArn: undefined },
        {
          clients,
          baseDelayMs: 1,
          now: () => new Date("2024-05-01T12:00:00.000Z"),
        },
      );
      // Two pods of one deployment fall into one group; a third workload is its own.
      const owner = { kind: "Deployment", name: "api" };
      const base = (n: number, pod: string) =>
        makeSignal(n, "high", {
          workload: { platform: "eks", cluster: "prod", namespace: "payments", pod, owner },
        });
      const first = [base(1, "api-7d4b-aaaaa"), base(2, "api-7d4b-bbbbb"), makeSignal(3, "medium")];
      const groups = new Set(first.map(findingId));
      expect(groups.size).toBe(2);

      await deliverHub(first);
      const afterFirst = await all();
      expect(afterFirst.map((f) => f.Id).sort()).toEqual([...groups].sort());
      for (const finding of afterFirst) {
        expect(finding).toMatchObject({
          ProductArn: productArn({ account: MOTO_ACCOUNT, region: MOTO_REGION }),
          AwsAccountId: MOTO_ACCOUNT,
          SchemaVersion: "2018-10-08",
        });
        expect(finding.Types?.[0]).toMatch(/^TTPs\/Command and Control\//);
      }

      const later = createSinks(
        { ...config, snsTopicArn: undefined },
        {
          clients,
          baseDelayMs: 1,
          now: () => new Date("2024-05-01T13:00:00.000Z"),
        },
      );
      await later([base(4, "api-7d4b-ccccc")]);
      const afterRepeat = await all();
      expect(afterRepeat).toHaveLength(groups.size);
      const updated = afterRepeat.find((f) => f.Id === findingId(first[0]!));
      expect(updated).toBeDefined();
      expect(updated?.UpdatedAt).toBe("2024-05-01T13:00:00.000Z");
    });
  });

  describe("chat: the Chatbot topic's SQS subscriber", () => {
    it("receives one custom notification per signal, valid against the Chatbot schema", async () => {
      const { topicArn, queueUrl } = await topicWithQueue(moto, "chat", true);
      const signals = mixedSignals(7);
      const deliver = createSinks(configOf({ CHAT_TOPIC_ARN: topicArn, CHAT_MIN_SEVERITY: "high" }), {
        clients,
        baseDelayMs: 1,
      });

      await deliver(signals);

      const expected = signals.filter((s) => s.severity === "high" || s.severity === "critical");
      const bodies = (await drainQueue(sqs, queueUrl)).map((m) => JSON.parse(m.Body ?? "{}"));
      expect(bodies.map((b) => b.id).sort()).toEqual(expected.map((s) => s.id).sort());
      for (const body of bodies) {
        expect(chatbotSchemaErrors(body)).toEqual([]);
        const signal = expected.find((s) => s.id === body.id)!;
        expect(body.metadata.threadId).toBe(findingId(signal));
      }
    });
  });

  describe("faults between the sinks and moto lose nothing", () => {
    let proxy: FaultProxy;
    let faulty: typeof clients;
    beforeAll(async () => {
      proxy = await startFaultProxy(moto.endpoint);
      const through = { ...motoClientConfig(moto), endpoint: proxy.endpoint };
      faulty = {
        sns: new SNSClient(through),
        eventBridge: new EventBridgeClient(through),
        securityHub: new SecurityHubClient(through),
      };
    });
    afterAll(async () => {
      await proxy?.close();
    });

    it("EventBridge: a 500 and a throttle are retried, each signal arrives once", async () => {
      const queueUrl = await busWithQueue("retried");
      proxy.reset();
      proxy.enqueue(
        "PutEvents",
        { kind: "internal-error" },
        { kind: "throttle", code: "ThrottlingException" },
      );
      const signals = mixedSignals(12).filter((s) => s.severity !== "low");
      const deliver = createSinks(configOf({ EVENT_BUS_NAME: "retried" }), {
        clients: faulty,
        baseDelayMs: 1,
      });

      await deliver(signals);

      const ids = (await drainQueue(sqs, queueUrl)).map((m) => JSON.parse(m.Body ?? "{}").detail.id);
      expect(ids.sort()).toEqual(signals.map((s) => s.id).sort());
      expect(proxy.faulted.PutEvents).toBe(2);
    });

    it("EventBridge: a bus that keeps failing makes the call throw PublishError naming every signal", async () => {
      const queueUrl = await busWithQueue("down");
      proxy.reset();
      proxy.persist("PutEvents", { kind: "internal-error" });
      const signals = mixedSignals(6).filter((s) => s.severity !== "low");
      const deliver = createSinks(configOf({ EVENT_BUS_NAME: "down" }), {
        clients: faulty,
        baseDelayMs: 1,
        maxRounds: 1,
      });

      const error = await deliver(signals).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(PublishError);
      expect((error as PublishError).signalIds.sort()).toEqual(signals.map((s) => s.id).sort());
      expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
      proxy.reset();
    });

    it("chat: entries SNS reports failed in PublishBatch are sent again, each card arrives once", async () => {
      const { topicArn, queueUrl } = await topicWithQueue(moto, "chat-partial", true);
      proxy.reset();
      proxy.enqueue("PublishBatch", { kind: "partial", count: 3 });
      const signals = mixedSignals(10).filter((s) => s.severity === "high" || s.severity === "critical");
      const deliver = createSinks(configOf({ CHAT_TOPIC_ARN: topicArn, CHAT_MIN_SEVERITY: "high" }), {
        clients: faulty,
        baseDelayMs: 1,
      });

      await deliver(signals);

      const ids = (await drainQueue(sqs, queueUrl)).map((m) => JSON.parse(m.Body ?? "{}").id);
      expect(ids.sort()).toEqual(signals.map((s) => s.id).sort());
      expect(proxy.faulted.PublishBatch).toBe(1);
    });
  });
});
