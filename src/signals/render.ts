/**
 * Rendering a signal for its readers: the subject line (pager titles), plain-text email, JSON for
 * machines, and the SNS `MessageStructure: "json"` envelope that carries both. Pure. Every renderer
 * redacts again (a signal built elsewhere is no exception) and stays inside the SNS limits: long
 * evidence is cut with a visible marker, never mid-structure.
 */
import { Buffer } from "node:buffer";
import type { Signal } from "../model.js";
import { RULE } from "../model.js";
import { ANCESTORS_IN_SIGNAL, lastSegment, shortContainerId } from "./build.js";
import { keepEvidenceArgs, truncateKeepingEvidence } from "./evidence.js";
import { redactSignal, sanitizeText, truncateText } from "./redact.js";
import { type FieldPass, mapSignal } from "./signal-fields.js";

/** SNS Publish: message plus attributes, in bytes. */
export const SNS_MESSAGE_LIMIT_BYTES = 262_144;
/** SNS Subject: fewer than 100 characters. */
export const SUBJECT_MAX_CHARS = 99;
/** Room left for the subject, attributes and the request envelope. */
export const ENVELOPE_MARGIN_BYTES = 8 * 1024;
/** What one rendered message (and, for SNS, its subject) may weigh. */
export const MESSAGE_BUDGET_BYTES = SNS_MESSAGE_LIMIT_BYTES - ENVELOPE_MARGIN_BYTES;

/** A signal as rendered: `truncated` is present (true) only when evidence was cut to fit. */
export type RenderedSignal = Signal & { truncated?: true };

export interface SnsMessage {
  subject: string;
  /** The `Message` for `MessageStructure: "json"`. */
  message: string;
  /** UTF-8 bytes of message + subject, what counts against the SNS limits. */
  bytes: number;
}

/** How much of each kind of evidence one truncation level keeps. */
interface Limits {
  chars: number;
  args: number;
  ancestors: number;
  ancestorArgs: number;
  eventIds: number;
  reasons: number;
}

// Progressively harsher; the last one bounds every field, so its output always fits. The first levels
// keep every ancestor a built signal has.
const LEVELS: readonly Limits[] = [
  { chars: 65_536, args: 2048, ancestors: ANCESTORS_IN_SIGNAL, ancestorArgs: 256, eventIds: 50, reasons: 32 },
  { chars: 16_384, args: 512, ancestors: ANCESTORS_IN_SIGNAL, ancestorArgs: 64, eventIds: 20, reasons: 16 },
  { chars: 4096, args: 128, ancestors: ANCESTORS_IN_SIGNAL, ancestorArgs: 32, eventIds: 10, reasons: 8 },
  { chars: 1024, args: 64, ancestors: 8, ancestorArgs: 16, eventIds: 5, reasons: 8 },
  { chars: 256, args: 16, ancestors: 8, ancestorArgs: 8, eventIds: 2, reasons: 4 },
  { chars: 64, args: 4, ancestors: 4, ancestorArgs: 2, eventIds: 1, reasons: 2 },
];

/** Every field bounded by `limits`, as src/signals/signal-fields.ts declares its budget. */
function limitSignal(signal: Signal, limits: Limits): { signal: Signal; truncated: boolean } {
  let truncated = false;
  const pass: FieldPass = {
    text(text, field) {
      const out = truncateText(text, Math.max(limits.chars, field.floor ?? 0));
      if (out !== text) truncated = true;
      return out;
    },
    // Arguments: evidence (URLs, hosts, what the reasons quote) is kept first, padding goes first.
    args(args, _tool, field) {
      const max = limits[field.budget];
      if (args.length > max) truncated = true;
      return keepEvidenceArgs(args, max, signal.reasons).map((arg) => {
        const out = truncateKeepingEvidence(arg, limits.chars);
        if (out !== arg) truncated = true;
        return out;
      });
    },
    keep(length, budget) {
      const max =
        budget === undefined
          ? Number.POSITIVE_INFINITY
          : typeof budget === "number"
            ? budget
            : limits[budget];
      if (length > max) truncated = true;
      return max;
    },
  };
  const out = mapSignal(signal, pass);
  return { signal: out, truncated };
}

/** Longer strings can never be shown whole: cut before the (comparatively costly) second redaction. */
const PRECAP_CHARS = 262_144;
const PRECAP: Limits = {
  chars: PRECAP_CHARS,
  args: Number.POSITIVE_INFINITY,
  ancestors: Number.POSITIVE_INFINITY,
  ancestorArgs: Number.POSITIVE_INFINITY,
  eventIds: Number.POSITIVE_INFINITY,
  reasons: Number.POSITIVE_INFINITY,
};

/** Bounded and redacted again; `truncated` tells whether the bounding cut anything. */
function prepare(signal: Signal): { signal: Signal; truncated: boolean } {
  const capped = limitSignal(signal, PRECAP);
  return { signal: redactSignal(capped.signal), truncated: capped.truncated };
}

/** Sum of the lengths of every string in `value`: a lower bound of its UTF-8 JSON size. */
function textLength(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + textLength(v), 0);
  if (value && typeof value === "object") return textLength(Object.values(value));
  return 0;
}

/**
 * Tries each truncation level until `fits` accepts the result; the harshest level is the fallback.
 * Levels whose text alone exceeds `budget` bytes are skipped without rendering.
 */
function fitWithin(
  prepared: { signal: Signal; truncated: boolean },
  budget: number,
  fits: (s: Signal, truncated: boolean) => boolean,
): { signal: Signal; truncated: boolean } {
  const candidates = [
    () => prepared,
    ...LEVELS.map((limits) => () => {
      const limited = limitSignal(prepared.signal, limits);
      return { signal: limited.signal, truncated: limited.truncated || prepared.truncated };
    }),
  ];
  let last = prepared;
  for (const [i, candidate] of candidates.entries()) {
    last = candidate();
    const isLast = i === candidates.length - 1;
    if (!isLast && textLength(last.signal) > budget) continue;
    if (fits(last.signal, last.truncated) || isLast) return last;
  }
  return last;
}

function jsonOf(signal: Signal, truncated: boolean): string {
  const rendered: RenderedSignal = truncated ? { ...signal, truncated: true } : signal;
  return JSON.stringify(rendered);
}

const bytesOf = (text: string): number => Buffer.byteLength(text, "utf8");

/** Printable ASCII only: accents folded, anything else a "?", whitespace collapsed. */
function toPrintableAscii(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\x20-\x7e]/gu, "?")
    .replace(/ {2,}/g, " ")
    .trim();
}

/** A bounded, sanitized piece of untrusted text for the one-line subject. */
function piece(text: unknown): string {
  return typeof text === "string" ? toPrintableAscii(sanitizeText(text.slice(0, 1024)).slice(0, 256)) : "";
}

function workloadPath(signal: Signal, taskIdChars = Number.POSITIVE_INFINITY): string {
  const { workload, container } = signal;
  const task = workload.task && lastSegment(workload.task).slice(0, taskIdChars);
  const parts =
    workload.platform === "ecs"
      ? [workload.cluster && lastSegment(workload.cluster), task, container.name]
      : [workload.cluster, workload.namespace, workload.pod];
  const path = parts
    .map(piece)
    .filter((p) => p !== "")
    .join("/");
  if (path !== "") return path;
  return piece(container.name) || piece(container.id === null ? "" : shortContainerId(container.id));
}

/**
 * The SNS subject / pager title: `[HIGH] Network utility executed in container: curl in
 * prod/payments/api-7d9f` — severity, rule, utility and workload (cluster/namespace/pod, or ECS
 * cluster/task/container). Printable ASCII only, one line, never empty, at most
 * {@link SUBJECT_MAX_CHARS} characters (cut with "...").
 */
export function renderSubject(signal: Signal): string {
  const severity = piece(signal.severity).toUpperCase() || "ALERT";
  const utility = piece(signal.utility?.name) || piece(signal.process?.name) || "network utility";
  const compose = (taskIdChars?: number): string => {
    const where = signal.workload && signal.container ? workloadPath(signal, taskIdChars) : "";
    const rule = signal.rule?.name ?? RULE.name;
    return toPrintableAscii(`[${severity}] ${rule}: ${utility}${where ? ` in ${where}` : ""}`);
  };
  let subject = compose();
  // A 32-character ECS task id would push the container name out; its first 12 identify it in the console.
  if (subject.length > SUBJECT_MAX_CHARS && signal.workload?.platform === "ecs") subject = compose(12);
  if (subject.length <= SUBJECT_MAX_CHARS) return subject;
  return `${subject.slice(0, SUBJECT_MAX_CHARS - 3).trimEnd()}...`;
}

const PLATFORM_NAMES: Record<string, string> = {
  ecs: "Amazon ECS",
  eks: "Amazon EKS",
  kubernetes: "Kubernetes",
  docker: "Docker",
  unknown: "unknown",
};

/** Shell-like quoting so a reader can tell where one argument ends. */
function quoteArg(arg: string): string {
  if (arg !== "" && /^[A-Za-z0-9_@%+=:,./\-[\]…]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function commandLine(program: string, args: readonly string[] | undefined): string {
  return [program, ...(args ?? []).map(quoteArg)].join(" ");
}

function field(label: string, value: string | number | null | undefined): string[] {
  if (value === null || value === undefined || value === "") return [];
  return [`  ${`${label}:`.padEnd(16)} ${value}`];
}

function processTree(signal: Signal): string[] {
  const chain = [
    ...[...signal.ancestors].reverse().map((a) => commandLine(a.path ?? a.name ?? "?", a.args)),
    commandLine(signal.process.path ?? signal.process.name, signal.process.args),
  ];
  return chain.map((line, depth) =>
    depth === 0 ? `    ${line}` : `    ${"   ".repeat(depth - 1)}\\_ ${line}`,
  );
}

function execSessionLine(signal: Signal): string | undefined {
  if (!signal.viaExecSession) return undefined;
  const how = signal.workload.platform === "ecs" ? "ECS Exec" : "kubectl exec";
  const actor = signal.actor;
  const by = actor?.user ? ` by ${actor.user}` : "";
  const from = actor?.sourceIPs?.length ? ` from ${actor.sourceIPs.join(", ")}` : "";
  const agent = actor?.userAgent ? ` (${actor.userAgent})` : "";
  return `${how}${by}${from}${agent}`;
}

function emailText(signal: Signal, truncated: boolean): string {
  const { workload, container } = signal;
  const ecs = workload.platform === "ecs";
  const lines: string[] = [
    `${signal.rule.name} - severity ${signal.severity.toUpperCase()}`,
    "",
    signal.message,
    signal.title,
    "",
    "Why it matters",
    ...(signal.reasons.length
      ? signal.reasons.map((r) => `  - ${r}`)
      : ["  - a network utility ran in a container"]),
    "",
    "Where",
    ...field("Platform", PLATFORM_NAMES[workload.platform] ?? workload.platform),
    ...field("Cluster", workload.cluster),
    ...(ecs ? field("Task", workload.task) : field("Namespace", workload.namespace)),
    ...(ecs ? [] : field("Pod", workload.pod)),
    ...field("Container", container.name),
    ...field("Container id", container.id),
    ...field("Image", container.image),
    ...field("Node", workload.node),
    ...(signal.inContainer === "unknown" ? field("In container", "not stated by this log format") : []),
    "",
    "Process",
    ...field("Utility", `${signal.utility.name} (${signal.utility.category})`),
    ...field("Executable", signal.process.path),
    ...field("Command line", commandLine(signal.process.name, signal.process.args)),
    ...field("Exec session", execSessionLine(signal)),
    "  Process tree (oldest first):",
    ...processTree(signal),
    "",
    "Seen",
    ...field("Count", signal.count),
    ...field("First seen", signal.firstSeen),
    ...field("Last seen", signal.lastSeen),
    "",
    "Triage and response",
    ...signal.triage.map((step, i) => `  ${i + 1}. ${step}`),
    "",
    "Links",
    ...field("Log stream", signal.links.logStream),
    ...field(`MITRE ${signal.rule.tactic}`, signal.links.mitreTactic),
    ...field(`MITRE ${signal.rule.technique}`, signal.links.mitreTechnique),
    ...field("Rule", signal.links.rule),
    "",
    "Signal",
    ...field("Id", signal.id),
    ...field("Rule id", signal.rule.id),
    ...field("Source format", signal.source.format),
    ...field("Log group", signal.source.logGroup),
    ...field("Log stream", signal.source.logStream),
    ...field("Account", signal.source.owner),
    ...field("Vouched for by", signal.source.vouchedBy),
    ...field("Event ids", signal.source.eventIds.join(", ")),
  ];
  if (truncated)
    lines.push("", "Some evidence was truncated to fit the notification size limit; see the log stream.");
  return `${lines.join("\n")}\n`;
}

/**
 * Readable plain text for email subscribers: what happened, severity, where (cluster / namespace / pod
 * or ECS cluster / task / container, image), the process and its ancestry as a tree, the reasons, the
 * triage steps, links, and the signal's id, count and first/last seen. No HTML. Bounded by
 * {@link MESSAGE_BUDGET_BYTES}.
 */
export function renderEmail(signal: Signal): string {
  const fitted = fitWithin(
    prepare(signal),
    MESSAGE_BUDGET_BYTES,
    (s, t) => bytesOf(emailText(s, t)) <= MESSAGE_BUDGET_BYTES,
  );
  return emailText(fitted.signal, fitted.truncated);
}

/**
 * The signal as one JSON object (what machines and the CLI get), at most `maxBytes` bytes; when
 * evidence had to be cut, the object carries `"truncated": true`.
 */
export function renderJson(signal: Signal, maxBytes: number = MESSAGE_BUDGET_BYTES): string {
  const fitted = fitWithin(prepare(signal), maxBytes, (s, t) => bytesOf(jsonOf(s, t)) <= maxBytes);
  return jsonOf(fitted.signal, fitted.truncated);
}

/**
 * The SNS message for `MessageStructure: "json"`: `default` carries the signal JSON and `email` the
 * plain text. SNS hands `default` to every protocol without a key of its own (sqs, lambda, http/https,
 * email-json, …), so repeating the JSON per protocol would only halve the room for evidence. Message
 * plus subject stay within {@link MESSAGE_BUDGET_BYTES}.
 */
export function renderSnsMessage(signal: Signal): SnsMessage {
  const prepared = prepare(signal);
  const subject = renderSubject(prepared.signal);
  const subjectBytes = bytesOf(subject);
  const budget = MESSAGE_BUDGET_BYTES - subjectBytes;
  let message = "";
  fitWithin(prepared, budget, (s, truncated) => {
    message = JSON.stringify({ default: jsonOf(s, truncated), email: emailText(s, truncated) });
    return bytesOf(message) + subjectBytes <= MESSAGE_BUDGET_BYTES;
  });
  return { subject, message, bytes: bytesOf(message) + subjectBytes };
}
