import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type Moto, motoClientConfig } from "./moto.js";

export interface Subscribed {
  topicArn: string;
  queueUrl: string;
}

/** Creates a topic and an SQS queue subscribed to it (raw delivery off: the SNS envelope is kept). */
export async function topicWithQueue(moto: Moto, name: string, raw = false): Promise<Subscribed> {
  const sns = new SNSClient(motoClientConfig(moto));
  const sqs = new SQSClient(motoClientConfig(moto));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-q` }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: attrs.Attributes?.QueueArn,
      Attributes: raw ? { RawMessageDelivery: "true" } : {},
    }),
  );
  return { topicArn: TopicArn!, queueUrl: QueueUrl! };
}

/** An SNS notification as SQS receives it (raw delivery off). */
export interface Envelope {
  Type: string;
  Subject?: string;
  Message: string;
  MessageId: string;
  TopicArn: string;
}

/** Drains a queue until `expected` messages arrived or `idleRounds` empty receives in a row. */
export async function drain(
  moto: Moto,
  queueUrl: string,
  expected = Number.POSITIVE_INFINITY,
  idleRounds = 2,
) {
  const sqs = new SQSClient(motoClientConfig(moto));
  const bodies: string[] = [];
  let idle = 0;
  while (bodies.length < expected && idle < idleRounds) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) {
      idle++;
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    idle = 0;
    bodies.push(...Messages.map((m) => m.Body ?? ""));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return bodies;
}
