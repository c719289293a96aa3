/**
 * The hunt's command line: flags, the time window (durations or ISO-8601 times), and a resume token
 * in place of all of them. Pure; every inconsistency is a {@link UsageError} naming the flag.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../../errors.js";
import type { Severity } from "../../model.js";
import { isSeverity } from "../../severity.js";
import { decodeResumeToken, type ResumeState } from "./resume.js";

/** How the CLI is run (there is no installed binary): hints print commands that paste as they are. */
export const COMMAND = "node dist/cli.js hunt";

export const HUNT_HELP = `Usage: ${COMMAND} (--log-group NAME... | --prefix P...) --since WHEN [options]
       ${COMMAND} --resume TOKEN [--publish] [--limit N] [--json-summary]

Runs the detection rule over CloudWatch Logs history (FilterLogEvents), with the same pipeline
the Lambda runs. Signals are printed as JSON lines on stdout; progress and a summary table go to
stderr.

  --log-group NAME      a log group to search (repeatable)
  --prefix P            search every log group whose name starts with P (repeatable)
  --since WHEN          start of the window: a duration back from now (30m, 24h, 7d, 2w) or an
                        ISO-8601 time with a zone (2024-06-01, 2024-06-01T10:00:00Z)
  --until WHEN          end of the window, exclusive (same forms; default: now)
  --min-severity LEVEL  lowest severity to report (low, medium, high, critical; default MIN_SEVERITY
                        or medium)
  --publish             also publish the signals to SNS_TOPIC_ARN (and PAGER_TOPIC_ARN)
  --limit N             events per FilterLogEvents page, 1-10000 (default: the service's)
  --resume TOKEN        continue a hunt that stopped, from the token it printed
  --json-summary        print the summary as one JSON line on stderr instead of a table
  -h, --help            this text

When CloudWatch Logs keeps throttling after the retries, or on Ctrl-C, the hunt stops after the
last complete page and prints a resume token; --resume continues exactly there, so no event is
scanned twice and none is skipped. The token carries a FilterLogEvents page token, which the
service honours for 24 hours.

Exit status: 0 done; 1 error (a log group was not found, an AWS error, a signal not delivered);
2 usage or configuration error; 3 stopped by throttling (resumable); 130 interrupted (resumable).
`;

const DURATION = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses a time flag: a duration back from `now` ("30m", "24h", "7d", "2w") or an ISO-8601 date
 * (UTC midnight) or date-time with an explicit zone. Throws {@link UsageError} naming the flag.
 */
export function parseTimeSpec(value: string, now: number, flag: string): number {
  const text = value.trim();
  const duration = DURATION.exec(text);
  if (duration) {
    const [, amount, unit] = duration;
    return now - Number(amount) * (UNIT_MS[unit ?? "s"] ?? 0);
  }
  if (ISO_DATE.test(text) || ISO_DATE_TIME.test(text)) {
    const time = Date.parse(text);
    if (Number.isFinite(time)) return time;
  }
  if (/^\d{4}-\d{2}-\d{2}T[^Zz+-]*$/.test(text)) {
    throw new UsageError(`${flag} "${value}" has no time zone: add Z (UTC) or an offset like +02:00`);
  }
  throw new UsageError(
    `${flag} "${value}" is neither a duration (30m, 24h, 7d, 2w) nor an ISO-8601 time (2024-06-01T10:00:00Z)`,
  );
}

export interface HuntPlan {
  target: ResumeState["target"];
  since: number;
  until: number;
  /** From --min-severity or the token; absent means MIN_SEVERITY or its default. */
  minSeverity: Severity | undefined;
  limit: number | undefined;
  resume: ResumeState | null;
}

export interface HuntFlags {
  publish: boolean;
  json: boolean;
}

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 10_000) {
    throw new UsageError(`--limit must be a whole number from 1 to 10000; got "${raw}"`);
  }
  return value;
}

/** Parses the command line; `null` means --help. Throws {@link UsageError} for anything inconsistent. */
export function parseHuntArgs(argv: string[], now: number): { plan: HuntPlan; flags: HuntFlags } | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      "log-group": { type: "string", multiple: true },
      prefix: { type: "string", multiple: true },
      since: { type: "string" },
      until: { type: "string" },
      "min-severity": { type: "string" },
      publish: { type: "boolean", default: false },
      limit: { type: "string" },
      resume: { type: "string" },
      "json-summary": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  if (values.help) return null;
  const flags: HuntFlags = { publish: values.publish, json: values["json-summary"] };
  const limit = parseLimit(values.limit);
  if (values.resume !== undefined) {
    const fixed = (["log-group", "prefix", "since", "until", "min-severity"] as const).filter(
      (name) => values[name] !== undefined,
    );
    if (fixed.length > 0) {
      const names = fixed.map((f) => `--${f}`).join(", ");
      throw new UsageError(
        `--resume continues the hunt the token describes; do not combine it with ${names}`,
      );
    }
    const resume = decodeResumeToken(values.resume);
    const { target, since, until, minSeverity } = resume;
    return { plan: { target, since, until, minSeverity, limit: limit ?? resume.limit, resume }, flags };
  }
  const groups = values["log-group"] ?? [];
  const prefixes = values.prefix ?? [];
  if (groups.length > 0 && prefixes.length > 0) throw new UsageError("use --log-group or --prefix, not both");
  if (groups.length === 0 && prefixes.length === 0)
    throw new UsageError("hunt needs --log-group NAME or --prefix P");
  if (groups.some((g) => !g.trim()) || prefixes.some((p) => !p.trim())) {
    throw new UsageError("--log-group and --prefix values must not be empty");
  }
  if (values.since === undefined) throw new UsageError("hunt needs --since (e.g. --since 24h)");
  const since = parseTimeSpec(values.since, now, "--since");
  const until = values.until === undefined ? now : parseTimeSpec(values.until, now, "--until");
  if (since >= until) throw new UsageError("--since must be earlier than --until");
  const minSeverity = values["min-severity"];
  if (minSeverity !== undefined && !isSeverity(minSeverity)) {
    throw new UsageError(`--min-severity must be one of low, medium, high, critical; got "${minSeverity}"`);
  }
  const target = groups.length > 0 ? { groups: [...new Set(groups)] } : { prefixes: [...new Set(prefixes)] };
  return { plan: { target, since, until, minSeverity, limit, resume: null }, flags };
}
