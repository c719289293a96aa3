/**
 * The chat sink (CHAT_TOPIC_ARN): an SNS topic that AWS Chatbot (Amazon Q Developer in chat
 * applications) is subscribed to, carrying its custom-notification schema, so Slack, Microsoft
 * Teams and Amazon Chime show a short card instead of raw JSON:
 * `{version: "1.0", source: "custom", id, content: {textType: "client-markdown", title, description,
 * nextSteps, keywords}, metadata: {threadId, summary, eventType, relatedResources, additionalContext}}`.
 * `threadId` is findingId(signal), so repeats of one workload's detection thread together. The card:
 * severity, utility, command line (redacted, cut), workload, why, console link.
 * Published as plain messages (no MessageStructure): Chatbot reads the message body itself.
 */
import type { SNSClient } from "@aws-sdk/client-sns";
import type { Signal } from "../model.js";
import { sanitizeText } from "../signals/redact.js";
import { renderSubject } from "../signals/render.js";
import { type DeliverOptions, deliver } from "./deliver.js";
import { resourceArns } from "./eventbridge.js";
import { findingId } from "./finding-id.js";
import { clip, renderedSignal } from "./rendered.js";
import { snsBatchChannel } from "./sns-batch.js";

export interface ChatNotification {
  version: "1.0";
  source: "custom";
  id: string;
  content: {
    textType: "client-markdown";
    title: string;
    description: string;
    nextSteps: string[];
    keywords: string[];
  };
  metadata: {
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

/** Our own bounds, well inside what a chat card shows. */
const TITLE_MAX = 250;
const DESCRIPTION_MAX = 3_000;
const COMMAND_MAX = 300;
const STEP_MAX = 300;
const SIGNAL_BUDGET_BYTES = 32 * 1024;

const EMOJI: Record<string, string> = {
  low: ":information_source:",
  medium: ":warning:",
  high: ":rotating_light:",
  critical: ":rotating_light:",
};

/** Inline code that a backtick in the text cannot close early. */
function code(text: string, max: number): string {
  return `\`${clip(sanitizeText(text).replace(/`/g, "'"), max)}\``;
}

function workload(signal: Signal): string {
  const w = signal.workload;
  const parts =
    w.platform === "ecs"
      ? [w.cluster, w.service ?? w.family, w.task, signal.container.name]
      : [w.cluster, w.namespace, w.pod, signal.container.name];
  return parts.filter(Boolean).join(" / ") || signal.container.id || "unknown";
}

/** The Chatbot custom notification for one signal. Pure. */
export function buildChatNotification(input: Signal, region?: string): ChatNotification {
  const signal = renderedSignal(input, SIGNAL_BUDGET_BYTES);
  const commandLine = [signal.process.name, ...signal.process.args].join(" ");
  const lines = [
    `*Severity:* ${signal.severity.toUpperCase()}`,
    `*Utility:* ${code(signal.utility.name, 64)} (${signal.utility.category})`,
    `*Command line:* ${code(commandLine, COMMAND_MAX)}`,
    `*Workload:* ${code(workload(signal), 256)} (${signal.workload.platform})`,
    ...(signal.container.image ? [`*Image:* ${code(signal.container.image, 256)}`] : []),
    `*Why:* ${signal.reasons.slice(0, 4).join("; ") || "a network utility ran in a container"}`,
    `*Seen:* ${signal.count} time(s), ${signal.firstSeen} to ${signal.lastSeen}`,
    `<${signal.links.logStream}|Open the log stream in the CloudWatch console>`,
  ];
  return {
    version: "1.0",
    source: "custom",
    id: signal.id,
    content: {
      textType: "client-markdown",
      title: clip(`${EMOJI[signal.severity] ?? ""} ${renderSubject(signal)}`.trim(), TITLE_MAX),
      description: clip(lines.join("\n"), DESCRIPTION_MAX),
      nextSteps: signal.triage.slice(0, 3).map((step) => clip(step, STEP_MAX)),
      keywords: [signal.severity, signal.utility.name, signal.workload.platform, signal.rule.technique],
    },
    metadata: {
      threadId: findingId(input),
      summary: renderSubject(signal),
      eventType: signal.rule.id,
      relatedResources: resourceArns(signal, region),
      additionalContext: {
        signalId: signal.id,
        logGroup: signal.source.logGroup,
        account: signal.source.owner,
      },
    },
  };
}

/** Publishes a card for every signal at or above the minimum; throws PublishError for any not confirmed. */
export async function publishChatCards(
  client: SNSClient,
  topicArn: string,
  signals: readonly Signal[],
  options: DeliverOptions & { region?: string },
) {
  const channel = snsBatchChannel(client, topicArn, (signal, index) => {
    const message = JSON.stringify(buildChatNotification(signal, options.region));
    return { entry: { Id: `c${index}`, Message: message }, bytes: Buffer.byteLength(message, "utf8") };
  });

  return deliver(channel, signals, options);
}
