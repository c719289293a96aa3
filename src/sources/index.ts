import type { ExecEvent, LogContext, SourceFormat, SourceParser } from "../model.js";
import { cloudtrailEcsExec } from "./cloudtrail-ecs-exec.js";
import { datadog } from "./datadog.js";
import { falco } from "./falco.js";
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
 * tried in {@link PARSERS} order until one returns non-null. Never throws.
 */
export function parseMessage(message: string, ctx: LogContext): ParseOutcome {
  if (typeof message !== "string") return { kind: "unrecognized" };
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
