/**
 * The one place that builds the sinks from the configuration (handler, `invoke` and `hunt` all use
 * it). Each sink is one file with a pure payload builder and a thin sender, plus one entry in SINKS.
 * Every sink has its own minimum severity; all run in parallel for a batch and the call throws one
 * PublishError naming every undelivered signal when any sink lost one, so Lambda retries the event
 * (sinks that had succeeded see a duplicate: the signal id, the Security Hub finding Id and the
 * PagerDuty dedup key make that harmless).
 *
 * The EventBridge and Security Hub SDK clients are imported and created on first use, only when
 * configured, so a function that only uses SNS loads no more than before.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { SecurityHubClient } from "@aws-sdk/client-securityhub";
import type { SNSClient } from "@aws-sdk/client-sns";
import { type Config, routesFor } from "../config.js";
import { PublishError } from "../errors.js";
import type { DeliveryReport } from "../invocation.js";
import type { Signal } from "../model.js";
import type { RecentIds } from "../signals/recent-ids.js";

/** Clients a caller already has (tests pointing at moto, the CLI's own client); otherwise each is made on first use. */
export interface SinkClients {
  sns?: SNSClient;
  eventBridge?: EventBridgeClient;
  securityHub?: SecurityHubClient;
  /** The email sink's per-minute counter in the ledger table (default: the ledger's client). */
  dynamoDb?: DynamoDBClient;
}

export interface SinkOptions {
  recent?: RecentIds;
  clients?: SinkClients;
  /** Retry rounds and backoff base of every sink (tests shorten them). */
  maxRounds?: number;
  baseDelayMs?: number;
  /** Clock of Security Hub's UpdatedAt and of the email sink's minute. */
  now?: () => Date;
}

/** Per call: the deadline by which every sink must be done. */
export interface SinkCall {
  deadlineMs?: number;
}

export type Deliver = (signals: Signal[], call?: SinkCall) => Promise<DeliveryReport>;

type Send = (signals: Signal[], call: SinkCall) => Promise<DeliveryReport>;

/** Same timeouts as the SNS client (see sns-client.ts): a stuck request fails and is retried. */
const REQUEST_HANDLER = { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true };

/** Memoizes an async factory: the client is made once per container, on first use. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

interface SinkSpec {
  name: string;
  enabled(config: Readonly<Config>): boolean;
  create(config: Readonly<Config>, options: SinkOptions, sns: () => Promise<SNSClient>): Send;
}

/** Every sink there is. Adding one: its file under src/sinks/ and one entry here. */
const SINKS: readonly SinkSpec[] = [
  {
    name: "sns",
    enabled: (config) => config.snsTopicArn !== undefined,
    create(config, options, sns) {
      const routes = routesFor(config);
      return async (signals, call) => {
        const { publishSignals } = await import("../signals/sns.js");
        return publishSignals(await sns(), routes, signals, {
          ...retry(options),
          ...(options.recent ? { recent: options.recent } : {}),
          ...(call.deadlineMs ? { deadlineMs: call.deadlineMs } : {}),
        });
      };
    },
  },
  {
    name: "eventbridge",
    enabled: (config) => config.eventBusName !== undefined,
    create(config, options) {
      const client = once(async () => {
        if (options.clients?.eventBridge) return options.clients.eventBridge;
        const { EventBridgeClient } = await import("@aws-sdk/client-eventbridge");
        return new EventBridgeClient({ maxAttempts: 3, requestHandler: REQUEST_HANDLER });
      });
      return async (signals, call) => {
        const { putSignalEvents } = await import("./eventbridge.js");
        const ctx = {
          busName: config.eventBusName ?? "",
          ...(config.region ? { region: config.region } : {}),
        };
        return putSignalEvents(
          await client(),
          ctx,
          signals,
          deliverOptions(options, call, config.eventBridgeMinSeverity),
        );
      };
    },
  },
  {
    name: "securityhub",
    enabled: (config) => config.securityHub !== undefined,
    create(config, options) {
      const client = once(async () => {
        if (options.clients?.securityHub) return options.clients.securityHub;
        const { SecurityHubClient } = await import("@aws-sdk/client-securityhub");
        return new SecurityHubClient({ maxAttempts: 3, requestHandler: REQUEST_HANDLER });
      });
      return async (signals, call) => {
        const { importSignalFindings } = await import("./security-hub.js");
        const ctx = config.securityHub ?? { account: "", region: "" };
        return importSignalFindings(await client(), ctx, signals, {
          ...deliverOptions(options, call, config.securityHubMinSeverity),
          ...(options.now ? { now: options.now } : {}),
        });
      };
    },
  },
  {
    name: "chat",
    enabled: (config) => config.chatTopicArn !== undefined,
    create(config, options, sns) {
      return async (signals, call) => {
        const { publishChatCards } = await import("./chat.js");
        return publishChatCards(await sns(), config.chatTopicArn ?? "", signals, {
          ...deliverOptions(options, call, config.chatMinSeverity),
          ...(config.region ? { region: config.region } : {}),
        });
      };
    },
  },
  {
    name: "email",
    enabled: (config) => config.emailTopicArn !== undefined,
    create(config, options, sns) {
      // Imported on first use like the other optional sinks; made once, so its counter persists.
      const send = once(async () => (await import("./email.js")).emailSink.create(config, options, sns));
      return async (signals, call) => (await send())(signals, call);
    },
  },
];

function retry(options: SinkOptions) {
  return {
    ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
    ...(options.baseDelayMs !== undefined ? { baseDelayMs: options.baseDelayMs } : {}),
  };
}

function deliverOptions(options: SinkOptions, call: SinkCall, minSeverity: Config["minSeverity"]) {
  return {
    minSeverity,
    ...retry(options),
    ...(options.recent ? { recent: options.recent } : {}),
    ...(call.deadlineMs ? { deadlineMs: call.deadlineMs } : {}),
  };
}

/** Names of the sinks the configuration turns on, in delivery order. */
export function configuredSinks(config: Readonly<Config>): string[] {
  return SINKS.filter((spec) => spec.enabled(config)).map((spec) => spec.name);
}

/** One PublishError for everything the sinks lost: the union of their signal ids. */
function combined(errors: unknown[], total: number): PublishError {
  const ids = new Set<string>();
  let unknown = 0;
  for (const error of errors) {
    if (error instanceof PublishError && error.signalIds.length > 0)
      for (const id of error.signalIds) ids.add(id);
    else unknown = Math.max(unknown, total);
  }
  const count = Math.max(ids.size, unknown);
  const message = errors.map((e) => (e instanceof Error ? e.message : String(e))).join(" | ");
  return new PublishError(message, count, [...ids], { cause: errors[0] });
}

/** Builds the configured sinks into one Deliver; with none configured it delivers nothing. */
export function createSinks(config: Readonly<Config>, options: SinkOptions = {}): Deliver {
  const sns = once(async () => {
    if (options.clients?.sns) return options.clients.sns;
    const { createSnsClient } = await import("../signals/sns-client.js");
    return createSnsClient();
  });
  const sends = SINKS.filter((spec) => spec.enabled(config)).map((spec) => spec.create(config, options, sns));
  return async (signals, call = {}) => {
    const results = await Promise.allSettled(sends.map((send) => send(signals, call)));
    const report: DeliveryReport = { published: 0, deduplicated: 0, requests: 0 };
    const errors: unknown[] = [];
    for (const result of results) {
      if (result.status === "rejected") {
        errors.push(result.reason);
        continue;
      }
      report.published += result.value.published;
      report.deduplicated += result.value.deduplicated;
      report.requests += result.value.requests;
    }
    if (errors.length === 1 && errors[0] instanceof PublishError) throw errors[0];
    if (errors.length > 0) throw combined(errors, signals.length);
    return report;
  };
}
