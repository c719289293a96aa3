import type { ExecEvent, LogContext, SourceFormat, SourceParser } from "../model.js";
import { cloudtrailEcsExec } from "./cloudtrail-ecs-exec.js";
import { datadog } from "./datadog.js";
import { falco } from "./falco.js";
import { parseJsonObject, stringField } from "./fields.js";
import { k8sAudit } from "./k8s-audit.js";
import { tetragon } from "./tetragon.js";

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

export type ParseOutcome =
  | { kind: "events"; format: SourceFormat; events: ExecEvent[] }
  /** No parser sniffed it: plain text, START/END/REPORT lines, other JSON. */
  | { kind: "unrecognized" }
  /** Sniffed by a parser, but that parser (and every other that sniffed it) returned null. */
  | { kind: "malformed"; format: SourceFormat };

/**
 * Recognizes one log message and turns it into exec events. Each parser whose cheap sniff matches is
 * tried in {@link PARSERS} order until one returns non-null. A message no parser takes is looked into
 * once more when a log shipper wrapped the line ({@link unwrapLogLine}). Never throws.
 */
export function parseMessage(message: string, ctx: LogContext): ParseOutcome {
  if (typeof message !== "string") return { kind: "unrecognized" };
  const direct = parseLine(message, ctx);
  if (direct.kind === "events") return direct;
  let text: string | undefined = message;
  let outcome = direct;
  // Two levels: a CRI line inside a Docker/Fluent Bit record is the deepest real shape.
  for (let level = 0; level < 2; level++) {
    text = unwrapLogLine(text);
    if (text === undefined) break;
    const inner = parseLine(text, ctx);
    if (inner.kind === "events") return inner;
    if (outcome.kind === "unrecognized") outcome = inner;
  }
  return outcome;
}

const CRI_PREFIX = /^\d{4}-\d{2}-\d{2}T\S+ (?:stdout|stderr) [FP] /;

/**
 * The log line a shipper wrapped, when it did: a container runtime's CRI prefix
 * (`2026-03-15T22:11:07.402Z stdout F {…}`), or the `log` (Docker json-file, Fluent Bit and Fluentd
 * without Merge_Log) or `message` field of a JSON record that holds a JSON object as a string.
 */
function unwrapLogLine(message: string): string | undefined {
  const cri = CRI_PREFIX.exec(message);
  if (cri !== null) return message.slice(cri[0].length);
  if (!message.startsWith("{") || !(message.includes('"log"') || message.includes('"message"'))) {
    return undefined;
  }
  const root = parseJsonObject(message);
  const inner = (stringField(root, "log") ?? stringField(root, "message"))?.trim();
  return inner !== undefined && (inner.startsWith("{") || CRI_PREFIX.test(inner)) ? inner : undefined;
}

function parseLine(message: string, ctx: LogContext): ParseOutcome {
  let firstSniffed: SourceFormat | undefined;
  for (const parser of PARSERS) {
    if (!safeSniff(parser, message)) continue;
    firstSniffed ??= parser.format;
    const events = safeParse(parser, message, ctx);
    if (events !== null) return { kind: "events", format: parser.format, events };
  }
  return firstSniffed === undefined ? { kind: "unrecognized" } : { kind: "malformed", format: firstSniffed };
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
