/**
 * Helpers shared by the source parsers. Every reader here takes `unknown` and returns a value of the
 * expected type or `undefined`: log producers, versions and attackers all write fields we do not
 * control, so no field's type is trusted.
 */
import type { AncestorInfo, LogContext, SourceFormat, SourceRef } from "../model.js";
import { MULTICALL_BINARIES } from "../shell/index.js";

export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses text that must hold one JSON object; anything else (invalid JSON, arrays, scalars) is null. */
export function parseJsonObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** The object under `key`, if it is one. */
export function objectField(source: unknown, key: string): JsonObject | undefined {
  if (!isObject(source)) return undefined;
  const value = source[key];
  return isObject(value) ? value : undefined;
}

/** The array under `key`, if it is one. */
export function arrayField(source: unknown, key: string): unknown[] | undefined {
  if (!isObject(source)) return undefined;
  const value = source[key];
  return Array.isArray(value) ? value : undefined;
}

/** A non-empty string under `key`, trimmed of nothing (arguments keep their spaces). */
export function stringField(source: unknown, key: string): string | undefined {
  if (!isObject(source)) return undefined;
  const value = source[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** A finite number under `key`; integer strings ("1234", as protojson writes 64-bit ints) are accepted. */
export function numberField(source: unknown, key: string): number | undefined {
  if (!isObject(source)) return undefined;
  return toNumber(source[key]);
}

/** A finite number from a number or a short decimal integer string. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.length > 0 && value.length <= 20 && /^-?\d+$/.test(value)) {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** The strings of an array, in order; other elements are dropped. */
export function stringItems(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const item of value) if (typeof item === "string") out.push(item);
  return out;
}

const DELETED_SUFFIX = " (deleted)";

/**
 * Last path component, as an executable name: trailing slashes ignored and the kernel's " (deleted)"
 * marker dropped (the path keeps it; the name must stay `curl` for matching).
 */
export function basename(path: string): string {
  let end = path.length;
  if (path.endsWith(DELETED_SUFFIX)) end -= DELETED_SUFFIX.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  const start = path.lastIndexOf("/", end - 1) + 1;
  return path.slice(start, end);
}

/**
 * The process name the rule matches on: the executable's basename; for an applet of a multi-call
 * binary (busybox, toybox) run through a symlink (`wget` -> /bin/busybox) the applet name instead,
 * since the path alone hides it. Falls back to comm, then argv[0]'s basename. Empty result means "no
 * name".
 */
export function executableName(path: string | undefined, comm?: string, argv0?: string): string {
  const base = path !== undefined ? basename(path) : "";
  const applet = argv0 !== undefined && argv0.length > 0 ? basename(argv0) : (comm ?? "");
  if (base.length > 0 && MULTICALL_BINARIES.has(base) && applet.length > 0 && !MULTICALL_BINARIES.has(applet))
    return applet;
  if (base.length > 0) return base;
  if (comm !== undefined && comm.length > 0) return comm;
  return applet;
}

/**
 * Container ids come as "containerd://<id>", "docker://<id>", "cri-o://<id>", cgroup scope names
 * ("cri-containerd-<id>.scope", "docker-<id>.scope", "crio-<id>.scope") or bare. Returns the bare id.
 */
export function normalizeContainerId(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  let id = raw.trim();
  const scheme = id.indexOf("://");
  if (scheme >= 0) id = id.slice(scheme + 3);
  if (id.endsWith(".scope")) {
    id = id.slice(0, -".scope".length);
    for (const prefix of ["cri-containerd-", "docker-", "crio-", "containerd-"]) {
      if (id.startsWith(prefix)) {
        id = id.slice(prefix.length);
        break;
      }
    }
  }
  return id.length > 0 ? id : undefined;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,12})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The event's own time as an ISO string: the first candidate that is a plausible time, else the log
 * event's timestamp. Accepts ISO-8601 strings (nanosecond fractions included) and epoch numbers in
 * s, ms, µs or ns. Never returns "Invalid Date" and never throws.
 */
export function isoTime(fallbackMs: number, ...candidates: unknown[]): string {
  for (const candidate of candidates) {
    const parsed = parseTime(candidate);
    if (parsed !== undefined) return parsed;
  }
  const fallback = new Date(Number.isFinite(fallbackMs) ? fallbackMs : 0);
  return Number.isNaN(fallback.getTime()) ? new Date(0).toISOString() : fallback.toISOString();
}

function parseTime(value: unknown): string | undefined {
  let ms: number | undefined;
  if (typeof value === "string") {
    const utc = canonicalUtc(value);
    if (utc !== undefined) return utc;
    if (value.length > 40 || !ISO_TIME.test(value)) return undefined;
    ms = Date.parse(value.replace(" ", "T"));
  } else if (typeof value === "number" && Number.isFinite(value) && value > 0) {
    if (value >= 1e17) ms = value / 1e6;
    else if (value >= 1e14) ms = value / 1e3;
    else if (value >= 1e11) ms = value;
    else ms = value * 1e3;
  }
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  // Outside this window the value is garbage, not a time: the log event's timestamp is better evidence.
  if (Number.isNaN(date.getTime()) || year < 2000 || year > 2200) return undefined;
  return date.toISOString();
}

/** Offsets of the digits in `YYYY-MM-DDTHH:MM:SS`. */
const UTC_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * What the general path of {@link parseTime} returns for `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (what
 * Tetragon and most exporters write), without a Date: a fraction of up to nine digits cut to
 * milliseconds, as Date.parse cuts it. Only for an existing instant of 2000-2200 (no day 31 of a 30-day month, no hour 24, no leap
 * second); anything else is undefined and left to the general path.
 */
function canonicalUtc(value: string): string | undefined {
  const n = value.length;
  if (n < 20 || n > 30 || value.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (
    value.charCodeAt(4) !== 45 /* - */ ||
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 /* T */ ||
    value.charCodeAt(13) !== 58 /* : */ ||
    value.charCodeAt(16) !== 58
  )
    return undefined;
  for (const at of UTC_DIGITS) {
    const c = value.charCodeAt(at);
    if (c < 48 || c > 57) return undefined;
  }
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  if (year < 2000 || year > 2200 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return undefined;
  if (digitsAt(value, 11, 2) > 23 || digitsAt(value, 14, 2) > 59 || digitsAt(value, 17, 2) > 59)
    return undefined;
  if (n === 20) return `${value.slice(0, 19)}.000Z`;
  // A fraction: `.` then 1 to 9 digits. Past 9, V8's Date.parse reads more digits than it scales by
  // (`.0001000000` is 1 ms), so longer fractions take the general path.
  if (n < 22 || value.charCodeAt(19) !== 46 /* . */) return undefined;
  for (let i = 20; i < n - 1; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  if (n === 24) return value;
  return `${value.slice(0, 19)}.${value.slice(20, Math.min(23, n - 1)).padEnd(3, "0")}Z`;
}

/**
 * Splits Tetragon's `arguments` string back into argv[1..]. Tetragon joins arguments with a space and
 * wraps an argument in double quotes only when it contains a space, without escaping anything inside
 * (pkg/process/args.go ArgsDecoder). So a word that opens with `"` ends at a `"` followed by a space or
 * the end of the string; of those, the first that leaves the quotes inside balanced, since a `sh -c`
 * payload's own quotes come in pairs: `-c "curl -A "a b" x | sh"` is `-c` and `curl -A "a b" x | sh`,
 * not `curl -A "a b` and two stray words (up to 64 quotes past the first candidate). Everything else
 * is literal. Linear in the input.
 */
export function splitTetragonArguments(line: string): string[] {
  const words: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    if (line[i] === " ") {
      i++;
      continue;
    }
    if (line[i] === '"') {
      let first = -1;
      let balanced = -1;
      let inner = 0;
      // Past the first candidate only a few more quotes are looked at, which keeps this linear.
      for (let q = line.indexOf('"', i + 1), extra = 0; q >= 0 && extra <= 64; q = line.indexOf('"', q + 1)) {
        if (q + 1 === n || line[q + 1] === " ") {
          if (first < 0) first = q;
          if (inner % 2 === 0) {
            balanced = q;
            break;
          }
        }
        if (first >= 0) extra++;
        inner++;
      }
      const close = balanced >= 0 ? balanced : first;
      if (close < 0) {
        words.push(line.slice(i + 1));
        break;
      }
      words.push(line.slice(i + 1, close));
      i = close + 1;
      continue;
    }
    const space = line.indexOf(" ", i);
    const end = space < 0 ? n : space;
    words.push(line.slice(i, end));
    i = end;
  }
  // An array grown by push keeps spare capacity; events outlive their batch's parse.
  return words.slice();
}

/** Strings kept in {@link shared}'s table at most, and the longest one kept. */
const SHARED_STRINGS = 4096;
const SHARED_MAX_CHARS = 256;
let sharedStrings = new Map<string, string>();

/**
 * One string object for each value seen again (a node, an image, a container id repeat across a
 * batch's events): the same text, so events and their output are unchanged, but a batch's events keep
 * one copy in memory instead of one each, which the garbage collector would copy for every event. The
 * table is bounded and starts over when full.
 */
export function shared<T extends string | undefined>(value: T): T {
  if (value === undefined || value.length > SHARED_MAX_CHARS) return value;
  const known = sharedStrings.get(value);
  if (known !== undefined) return known as T;
  if (sharedStrings.size >= SHARED_STRINGS) sharedStrings = new Map();
  sharedStrings.set(value, value);
  return value;
}

/** The source reference every ExecEvent carries. */
export function sourceRef(format: SourceFormat, ctx: LogContext): SourceRef {
  return {
    format,
    logGroup: String(ctx.logGroup),
    logStream: String(ctx.logStream),
    eventId: String(ctx.eventId),
    owner: String(ctx.owner),
  };
}

/**
 * The EKS cluster a log group belongs to: the control-plane group `/aws/eks/<cluster>/cluster` and
 * the Container Insights groups `/aws/containerinsights/<cluster>/…` name it.
 */
export function eksClusterFromLogGroup(logGroup: string): string | undefined {
  for (const prefix of ["/aws/eks/", "/aws/containerinsights/"]) {
    if (logGroup.startsWith(prefix)) {
      const rest = logGroup.slice(prefix.length);
      const slash = rest.indexOf("/");
      const cluster = slash < 0 ? rest : rest.slice(0, slash);
      return cluster.length > 0 ? cluster : undefined;
    }
  }
  return undefined;
}

/** The resource part of an ARN after its type: `arn:…:cluster/prod` -> "prod"; not an ARN -> as is. */
export function arnResourceName(value: string): string {
  if (!value.startsWith("arn:")) return value;
  const resource = value.split(":").slice(5).join(":");
  const slash = resource.lastIndexOf("/");
  return slash >= 0 ? resource.slice(slash + 1) : resource;
}

/** The cluster name inside a long-format ECS task ARN `arn:aws:ecs:<r>:<a>:task/<cluster>/<id>`. */
export function clusterFromTaskArn(taskArn: string): string | undefined {
  if (!taskArn.startsWith("arn:")) return undefined;
  const resource = taskArn.split(":").slice(5).join(":");
  const parts = resource.split("/");
  return parts.length === 3 && parts[0] === "task" && parts[1] ? parts[1] : undefined;
}

/**
 * The ECS cluster name from a cluster name or ARN, else from a long-format task ARN; undefined when
 * neither names it.
 */
export function ecsClusterName(
  clusterRef: string | undefined,
  taskArn: string | undefined,
): string | undefined {
  const cluster = clusterRef ?? (taskArn !== undefined ? clusterFromTaskArn(taskArn) : undefined);
  return cluster !== undefined ? arnResourceName(cluster) : undefined;
}

/** Drops keys whose value is undefined, so events compare and serialize cleanly. */
export function compact<T extends object>(value: T): T {
  const source = value as Record<string, unknown>;
  let full = true;
  for (const key in source) {
    if (source[key] === undefined) {
      full = false;
      break;
    }
  }
  // Callers pass a fresh literal: with nothing to drop it is the result, exactly sized.
  if (full) return value;
  const out: Record<string, unknown> = {};
  for (const key in source) {
    const field = source[key];
    if (field !== undefined) out[key] = field;
  }
  return out as T;
}

/**
 * An ancestor entry. An ancestor the format knows of but cannot name stays as `{}` so that positions
 * hold: `ancestors[0]` is always the parent.
 */
export function ancestor(path: string | undefined, name: string, args?: string[]): AncestorInfo {
  return compact({ name: name.length > 0 ? name : undefined, path, args });
}
