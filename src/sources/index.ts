import type { ContainerInfo, ExecEvent, LogContext, SourceFormat, SourceParser } from "../model.js";
import { cloudtrailEcsExec } from "./cloudtrail-ecs-exec.js";
import { datadog } from "./datadog.js";
import { type EnvelopeMeta, unwrapEnvelope } from "./envelopes.js";
import { falco } from "./falco.js";
import { parseJsonObject } from "./fields.js";
import { k8sAudit } from "./k8s-audit.js";
import { tetragon, tetragonEventsOf } from "./tetragon.js";

/**
 * Every source parser, in the order they are tried. The most specific sniffs come first: a Falco
 * alert or an audit event can quote another format's marker inside a string field (a Falco output
 * about a `process_exec` file, an audit URI mentioning `executable`), the reverse is rarer.
 */
export const PARSERS: readonly SourceParser[] = Object.freeze([
  falco,
  k8sAudit,
  cloudtrailEcsExec,
  tetragon,
  datadog,
]);

/**
 * What the parsers declare must always be parsed ({@link SourceParser.alwaysParse}), once each: the
 * raw-text prefilter lets every message holding one of these through, whatever names it shows.
 */
export const ALWAYS_PARSE: readonly string[] = Object.freeze([
  ...new Set(PARSERS.flatMap((parser) => parser.alwaysParse)),
]);

export type ParseOutcome =
  | { kind: "events"; format: SourceFormat; events: ExecEvent[] }
  /** No parser sniffed it: plain text, START/END/REPORT lines, other JSON. */
  | { kind: "unrecognized" }
  /** Sniffed by a parser, but that parser (and every other that sniffed it) returned null. */
  | { kind: "malformed"; format: SourceFormat };

/**
 * Recognizes one log message and turns it into exec events. Each parser whose cheap sniff matches is
 * tried in {@link PARSERS} order until one returns non-null. A message no parser takes is looked into
 * once more when it is exactly a known shipper envelope ({@link unwrapEnvelope}); what the envelope
 * says about the workload fills the fields the record left empty. A record is only ever read as the
 * whole message or the whole wrapped line: text that merely contains one is not. Never throws.
 */
export function parseMessage(message: string, ctx: LogContext): ParseOutcome {
  if (typeof message !== "string") return { kind: "unrecognized" };
  const direct = parseLine(message, ctx);
  if (direct.kind === "events") return direct;
  let text: string = message;
  let outcome = direct;
  const metas: EnvelopeMeta[] = [];
  // Two levels: a CRI line inside a Docker/Fluent Bit record is the deepest real shape.
  for (let level = 0; level < 2; level++) {
    const unwrapped = unwrapEnvelope(text);
    if (unwrapped === undefined) break;
    text = unwrapped.text;
    if (unwrapped.meta !== undefined) metas.push(unwrapped.meta);
    const inner = parseLine(text, ctx);
    if (inner.kind === "events") {
      for (const meta of metas) for (const event of inner.events) fillFromEnvelope(event, meta);
      return inner;
    }
    if (outcome.kind === "unrecognized") outcome = inner;
  }
  return outcome;
}

/**
 * Copies what an envelope knows into the fields the record left empty, but only when the record is
 * about the very container, task or pod that printed the line. The envelope describes the printer: for
 * a monitor's DaemonSet or daemon task (Tetragon, Falco) that is the monitor itself, never the workload.
 */
function fillFromEnvelope(event: ExecEvent, meta: EnvelopeMeta): void {
  const sameContainer = meta.container?.id !== undefined && meta.container.id === event.container.id;
  const sameTask = meta.workload?.task !== undefined && meta.workload.task === event.workload.task;
  const samePod =
    meta.workload?.pod !== undefined &&
    meta.workload.pod === event.workload.pod &&
    meta.workload.namespace === event.workload.namespace;
  if (!sameContainer && !sameTask && !samePod) return;
  if (meta.container !== undefined && (sameContainer || samePod)) {
    for (const [key, value] of Object.entries(meta.container) as [keyof ContainerInfo, string][]) {
      event.container[key] ??= value;
    }
  }
  if (meta.workload === undefined) return;
  const workload = event.workload as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(meta.workload)) {
    if (key === "platform") {
      if (event.workload.platform === "unknown" || event.workload.platform === "docker")
        workload[key] = value;
    } else workload[key] ??= value;
  }
}

/** How a Tetragon export line begins: the event oneof is the first key protojson writes. */
const TETRAGON_EXEC_START = '{"process_exec":';

/**
 * A Tetragon exec line read with one JSON parse and none of the other parsers' sniffs (each a scan of
 * the whole message): only when the parsed root lacks every key that lets a parser before Tetragon in
 * {@link PARSERS} return anything but null, so the outcome is the one the loop in {@link parseLine}
 * gives. Undefined when that cannot be told this way; the loop then decides.
 */
function tetragonExecLine(message: string, ctx: LogContext): ParseOutcome | undefined {
  if (!message.startsWith(TETRAGON_EXEC_START)) return undefined;
  const root = parseJsonObject(message);
  if (root === null) return undefined;
  // falco needs output_fields; k8sAudit kind or auditID; cloudtrailEcsExec eventSource, detail or Records.
  if (
    root.output_fields !== undefined ||
    root.kind !== undefined ||
    root.auditID !== undefined ||
    root.eventSource !== undefined ||
    root.detail !== undefined ||
    root.Records !== undefined
  )
    return undefined;
  const events = tetragonEventsOf(root, ctx);
  return events === null ? undefined : { kind: "events", format: "tetragon", events };
}

function parseLine(message: string, ctx: LogContext): ParseOutcome {
  const fast = tetragonExecLine(message, ctx);
  if (fast !== undefined) return fast;
  let firstSniffed: SourceFormat | undefined;
  for (const parser of PARSERS) {
    if (!safeSniff(parser, message)) continue;
    firstSniffed ??= parser.format;
    const events = safeParse(parser, message, ctx);
    if (events !== null) return { kind: "events", format: parser.format, events };
  }
  // Text that merely mentions a format's markers (an app's line quoting a record) is not a broken record.
  if (firstSniffed === undefined || !message.trimStart().startsWith("{")) return { kind: "unrecognized" };
  return { kind: "malformed", format: firstSniffed };
}

// The parsers already never throw; these guards keep that promise for any parser added later.
function safeSniff(parser: SourceParser, message: string): boolean {
  try {
    return parser.sniff(message);
  } catch {
    return false;
  }
}

function safeParse(parser: SourceParser, message: string, ctx: LogContext): ExecEvent[] | null {
  try {
    return parser.parse(message, ctx);
  } catch {
    return null;
  }
}
