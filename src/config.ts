import { type Allowlist, parseAllowlist } from "./detection/allowlist.js";
import { type ChannelFamily, DEFAULT_CHANNEL_FAMILIES, parseChannelFamilies } from "./detection/channels.js";
import { ConfigError } from "./errors.js";
import type { Severity } from "./model.js";
import { atLeast, isSeverity } from "./severity.js";
import { parseTrustedSources, type TrustPolicy } from "./trust.js";

/** Every environment variable the detector reads, in one place. Documented in the README. */
export const ENV = Object.freeze({
  snsTopicArn: "SNS_TOPIC_ARN",
  minSeverity: "MIN_SEVERITY",
  pagerTopicArn: "PAGER_TOPIC_ARN",
  pagerMinSeverity: "PAGER_MIN_SEVERITY",
  allowlist: "ALLOWLIST",
  dedupTtlSeconds: "DEDUP_TTL_SECONDS",
  maxDecodedBytes: "MAX_DECODED_BYTES",
  region: "AWS_REGION",
  // Signal ledger (src/signals/ledger.ts).
  ledgerTable: "LEDGER_TABLE",
  dedupWindowSeconds: "DEDUP_WINDOW_SECONDS",
  pagerMaxPerWindow: "PAGER_MAX_PER_WINDOW",
  // Channel rule families (issue 14).
  channelFamilies: "CHANNEL_FAMILIES",
  trustedSources: "TRUSTED_SOURCES",
  // Sinks beyond SNS (src/sinks/).
  eventBusName: "EVENT_BUS_NAME",
  eventBridgeMinSeverity: "EVENTBRIDGE_MIN_SEVERITY",
  securityHub: "SECURITY_HUB",
  securityHubMinSeverity: "SECURITY_HUB_MIN_SEVERITY",
  chatTopicArn: "CHAT_TOPIC_ARN",
  chatMinSeverity: "CHAT_MIN_SEVERITY",
  // Email burst protection (src/sinks/email.ts).
  emailTopicArn: "EMAIL_TOPIC_ARN",
  emailDigestPerMinute: "EMAIL_DIGEST_PER_MINUTE",
} as const);

/** Defaults for the optional variables (strings, as they would appear in the environment). */
export const ENV_DEFAULTS = Object.freeze({
  MIN_SEVERITY: "medium",
  PAGER_MIN_SEVERITY: "high",
  ALLOWLIST: "[]",
  DEDUP_TTL_SECONDS: "3600",
  MAX_DECODED_BYTES: String(32 * 1024 * 1024),
  DEDUP_WINDOW_SECONDS: "3600",
  PAGER_MAX_PER_WINDOW: "5",
  CHANNEL_FAMILIES: DEFAULT_CHANNEL_FAMILIES.join(","),
  TRUSTED_SOURCES: "any",
  EVENTBRIDGE_MIN_SEVERITY: "medium",
  SECURITY_HUB_MIN_SEVERITY: "medium",
  CHAT_MIN_SEVERITY: "high",
  EMAIL_DIGEST_PER_MINUTE: "10",
} as const);

export interface Config {
  /** Alert topic; absent means dry run (CLI only — the Lambda handler requires it). */
  snsTopicArn: string | undefined;
  minSeverity: Severity;
  pagerTopicArn: string | undefined;
  pagerMinSeverity: Severity;
  allowlist: Allowlist;
  dedupTtlSeconds: number;
  maxDecodedBytes: number;
  region: string | undefined;
  /** DynamoDB table of the signal ledger; absent: no ledger (each container deduplicates alone). */
  ledgerTable: string | undefined;
  dedupWindowSeconds: number;
  pagerMaxPerWindow: number;
  /** Channel rule families judged beside the seed rule. */
  channels: ReadonlySet<ChannelFamily>;
  /** Which log streams may speak for which format (src/trust.ts). */
  trust: TrustPolicy;
  /** EventBridge sink: bus name or ARN; absent means off. */
  eventBusName: string | undefined;
  eventBridgeMinSeverity: Severity;
  /** Security Hub sink: the product's account and region; absent means off. */
  securityHub: { account: string; region: string } | undefined;
  securityHubMinSeverity: Severity;
  /** Chat sink: the SNS topic AWS Chatbot subscribes to; absent means off. */
  chatTopicArn: string | undefined;
  chatMinSeverity: Severity;
  /** Email sink: the topic email subscribers subscribe to; absent means off. */
  emailTopicArn: string | undefined;
  /** Signals per minute sent as individual emails; above it a batch goes as one digest. */
  emailDigestPerMinute: number;
}

/**
 * Allowlist entries bundled at build time from allowlist.json (or the file named by ALLOWLIST_FILE
 * when building): esbuild replaces this identifier with the file's text. Unbundled (tests), absent.
 */
declare const __BUNDLED_ALLOWLIST__: string | undefined;
declare const __BUNDLED_ALLOWLIST_ORIGIN__: string | undefined;
const BUNDLED_ALLOWLIST = typeof __BUNDLED_ALLOWLIST__ === "string" ? __BUNDLED_ALLOWLIST__ : undefined;
const BUNDLED_ORIGIN =
  typeof __BUNDLED_ALLOWLIST_ORIGIN__ === "string"
    ? `${__BUNDLED_ALLOWLIST_ORIGIN__} (bundled)`
    : "allowlist.json (bundled)";

/** Both allowlists apply; entry indexes of the second follow those of the first. */
function combine(first: Allowlist, second: Allowlist): Allowlist {
  if (first.size === 0) return second;
  if (second.size === 0) return first;
  return {
    size: first.size + second.size,
    match(finding) {
      const hit = first.match(finding);
      if (hit !== null) return hit;
      const next = second.match(finding);
      return next === null ? null : first.size + next;
    },
  };
}

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

function readTopic(
  env: Record<string, string | undefined>,
  name: string,
  required: boolean,
): string | undefined {
  const value = env[name]?.trim();
  if (!value) {
    if (required)
      throw new ConfigError(`${name} is required: the ARN of the SNS topic that receives signals`, name);
    return undefined;
  }
  if (!TOPIC_ARN.test(value)) {
    throw new ConfigError(
      `${name} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>): "${value}"`,
      name,
    );
  }
  if (value.endsWith(".fifo")) {
    throw new ConfigError(`${name} is a FIFO topic, which cannot deliver to email or pager endpoints`, name);
  }
  return value;
}

function readSeverity(env: Record<string, string | undefined>, name: keyof typeof ENV_DEFAULTS): Severity {
  const value = (env[name]?.trim() || ENV_DEFAULTS[name]).toLowerCase();
  if (!isSeverity(value)) {
    throw new ConfigError(`${name} must be one of low, medium, high, critical; got "${env[name]}"`, name);
  }
  return value;
}

function readInteger(
  env: Record<string, string | undefined>,
  name: keyof typeof ENV_DEFAULTS,
  min: number,
  max: number,
): number {
  const raw = env[name]?.trim() || ENV_DEFAULTS[name];
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${env[name]}"`, name);
  }
  return value;
}

/** A DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .), or undefined when unset. */
function readTableName(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(value)) {
    throw new ConfigError(
      `${name} is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .): "${value}"`,
      name,
    );
  }
  return value;
}

const EVENT_BUS =
  /^(?:[A-Za-z0-9._\-/]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]{1,256})$/;

function readEventBus(env: Record<string, string | undefined>): string | undefined {
  const value = env[ENV.eventBusName]?.trim();
  if (!value) return undefined;
  if (!EVENT_BUS.test(value)) {
    throw new ConfigError(
      `${ENV.eventBusName} must be an event bus name or ARN (arn:aws:events:<region>:<account>:event-bus/<name>): "${value}"`,
      ENV.eventBusName,
    );
  }
  return value;
}

function readTrust(env: Record<string, string | undefined>): TrustPolicy {
  const name = ENV.trustedSources;
  try {
    return parseTrustedSources(env[name]?.trim() || ENV_DEFAULTS.TRUSTED_SOURCES);
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`, name, { cause: error });
  }
}

/** SECURITY_HUB=true: the account comes from the first configured ARN, the region from AWS_REGION. */
function readSecurityHub(
  env: Record<string, string | undefined>,
  arns: (string | undefined)[],
): Config["securityHub"] {
  const raw = env[ENV.securityHub]?.trim().toLowerCase() || "false";
  if (raw !== "true" && raw !== "false") {
    throw new ConfigError(
      `${ENV.securityHub} must be true or false; got "${env[ENV.securityHub]}"`,
      ENV.securityHub,
    );
  }
  if (raw === "false") return undefined;
  const account = arns
    .map((arn) => /^arn:aws[a-z-]*:[a-z]+:[a-z0-9-]+:(\d{12}):/.exec(arn ?? "")?.[1])
    .find(Boolean);
  const region = env[ENV.region]?.trim();
  if (!account || !region) {
    throw new ConfigError(
      `${ENV.securityHub}=true needs ${ENV.region} and one of ${ENV.snsTopicArn}, ${ENV.eventBusName} (as an ARN) or ${ENV.chatTopicArn}: their account owns the findings`,
      ENV.securityHub,
    );
  }
  return { account, region };
}

/**
 * Reads and validates the configuration once. Throws a {@link ConfigError} naming the variable
 * on the first bad value, so a misconfigured function fails at cold start, not on the first alert.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  options: { requireTopic: boolean; bundledAllowlist?: string } = { requireTopic: true },
): Readonly<Config> {
  const snsTopicArn = readTopic(env, ENV.snsTopicArn, options.requireTopic);
  const pagerTopicArn = readTopic(env, ENV.pagerTopicArn, false);
  if (pagerTopicArn && !snsTopicArn) {
    throw new ConfigError(`${ENV.pagerTopicArn} is set but ${ENV.snsTopicArn} is not`, ENV.pagerTopicArn);
  }
  let allowlist: Allowlist;
  try {
    allowlist = parseAllowlist(env[ENV.allowlist]?.trim() || ENV_DEFAULTS.ALLOWLIST, ENV.allowlist);
  } catch (error) {
    // The parser's message already starts with the origin ("ALLOWLIST: entry 2: …").
    throw new ConfigError(`invalid allowlist: ${(error as Error).message}`, ENV.allowlist, {
      cause: error,
    });
  }
  const bundled = options.bundledAllowlist ?? BUNDLED_ALLOWLIST;
  if (bundled !== undefined) {
    try {
      allowlist = combine(parseAllowlist(bundled, BUNDLED_ORIGIN), allowlist);
    } catch (error) {
      throw new ConfigError(
        `the bundled allowlist.json is invalid: ${(error as Error).message}`,
        "allowlist.json",
        {
          cause: error,
        },
      );
    }
  }
  const eventBusName = readEventBus(env);
  const chatTopicArn = readTopic(env, ENV.chatTopicArn, false);
  const emailTopicArn = readTopic(env, ENV.emailTopicArn, false);
  if (emailTopicArn && (emailTopicArn === snsTopicArn || emailTopicArn === pagerTopicArn)) {
    throw new ConfigError(
      `${ENV.emailTopicArn} must be a topic of its own: the machine subscribers of ${emailTopicArn === snsTopicArn ? ENV.snsTopicArn : ENV.pagerTopicArn} would get the email text and digests`,
      ENV.emailTopicArn,
    );
  }
  return Object.freeze({
    snsTopicArn,
    minSeverity: readSeverity(env, "MIN_SEVERITY"),
    pagerTopicArn,
    pagerMinSeverity: readSeverity(env, "PAGER_MIN_SEVERITY"),
    allowlist,
    dedupTtlSeconds: readInteger(env, "DEDUP_TTL_SECONDS", 0, 7 * 24 * 3600),
    maxDecodedBytes: readInteger(env, "MAX_DECODED_BYTES", 1024, 256 * 1024 * 1024),
    region: env[ENV.region]?.trim() || undefined,
    ledgerTable: readTableName(env, ENV.ledgerTable),
    dedupWindowSeconds: readInteger(env, "DEDUP_WINDOW_SECONDS", 60, 7 * 24 * 3600),
    pagerMaxPerWindow: readInteger(env, "PAGER_MAX_PER_WINDOW", 1, 10_000),
    channels: readChannelFamilies(env),
    trust: readTrust(env),
    eventBusName,
    eventBridgeMinSeverity: readSeverity(env, "EVENTBRIDGE_MIN_SEVERITY"),
    securityHub: readSecurityHub(env, [snsTopicArn, eventBusName, chatTopicArn, pagerTopicArn]),
    securityHubMinSeverity: readSeverity(env, "SECURITY_HUB_MIN_SEVERITY"),
    chatTopicArn,
    chatMinSeverity: readSeverity(env, "CHAT_MIN_SEVERITY"),
    emailTopicArn,
    // SNS delivers about 10 messages a second to an email subscription: 600 a minute at most.
    emailDigestPerMinute: readInteger(env, "EMAIL_DIGEST_PER_MINUTE", 0, 600),
  });
}

function readChannelFamilies(env: Record<string, string | undefined>): ReadonlySet<ChannelFamily> {
  const name = ENV.channelFamilies;
  try {
    return Object.freeze(new Set(parseChannelFamilies(env[name]?.trim() || ENV_DEFAULTS.CHANNEL_FAMILIES)));
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`, name, { cause: error });
  }
}

/** Where signals go: the alert topic for everything at or above MIN_SEVERITY, the pager topic for the urgent. */
export function routesFor(
  config: Readonly<Config>,
): { topicArn: string; minSeverity: Severity; pager?: true }[] {
  const routes: { topicArn: string; minSeverity: Severity; pager?: true }[] = [];
  if (config.snsTopicArn) routes.push({ topicArn: config.snsTopicArn, minSeverity: config.minSeverity });
  if (config.pagerTopicArn)
    routes.push({ topicArn: config.pagerTopicArn, minSeverity: config.pagerMinSeverity, pager: true });
  return routes;
}

/**
 * The lowest severity any destination wants: the pipeline keeps findings down to it and each
 * route then takes its own share (a pager threshold below MIN_SEVERITY still pages).
 */
export function emitSeverity(config: Readonly<Config>): Severity {
  return [...routesFor(config).map((route) => route.minSeverity), ...sinkMinimums(config)].reduce(
    (lowest, severity) => (atLeast(severity, lowest) ? lowest : severity),
    config.minSeverity,
  );
}

/** The minimum severities of the sinks beyond SNS that are configured. */
export function sinkMinimums(config: Readonly<Config>): Severity[] {
  return [
    ...(config.eventBusName ? [config.eventBridgeMinSeverity] : []),
    ...(config.securityHub ? [config.securityHubMinSeverity] : []),
    ...(config.chatTopicArn ? [config.chatMinSeverity] : []),
  ];
}
