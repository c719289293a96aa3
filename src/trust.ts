/**
 * Source trust: which log streams may speak for which format. A workload's own stdout can print
 * anything, including a perfect Tetragon or Falco record; only the streams a monitor writes to should be
 * believed. Configured by TRUSTED_SOURCES; without it every stream is believed (and the README says so).
 */
import { globMatch, MAX_PATTERN_LENGTH } from "./detection/glob.js";
import { SOURCE_FORMATS, type SourceFormat } from "./model.js";

/** One `format=group[:stream]` entry; `*` matches any run of characters. */
export interface TrustEntry {
  format: SourceFormat | "*";
  logGroup: string;
  logStream: string;
  /** The entry as written, shown in signals (`source.vouchedBy`). */
  text: string;
}

export interface TrustPolicy {
  /** Empty when TRUSTED_SOURCES is unset: every stream is trusted for every format. */
  entries: readonly TrustEntry[];
  /**
   * The entry that vouches for `format` records in this stream; `null` when none does (the record is
   * dropped and counted); `undefined` when no policy is configured.
   */
  vouch(format: SourceFormat, logGroup: string, logStream: string): string | null | undefined;
}

/**
 * The documented defaults (`TRUSTED_SOURCES=default`): the streams the monitors themselves write to
 * with their stock installs. Kubernetes stream names (Fluent Bit / Container Insights:
 * `…<pod>_<namespace>_<container>-<id>`) cannot be forged by a pod of another namespace, because pod,
 * namespace and container names cannot contain `_`.
 */
export const DEFAULT_TRUSTED_SOURCES: readonly string[] = Object.freeze([
  // Tetragon's Helm chart: DaemonSet tetragon-* in kube-system, export container export-stdout.
  "tetragon=*:*tetragon-*_kube-system_export-stdout-*",
  // Falco's Helm chart (namespace falco, container falco) and falcosidekick's CloudWatch Logs output.
  "falco=*:*falco-*_falco_falco-*",
  "falco=*:falcosidekick-logstream",
  // EKS control plane audit streams.
  "k8s-audit=/aws/eks/*/cluster:kube-apiserver-audit-*",
  // CloudTrail names its streams <account>_CloudTrail_<region>; EventBridge targets under /aws/events/.
  "cloudtrail-ecs-exec=*:*_CloudTrail_*",
  "cloudtrail-ecs-exec=/aws/events/*:*",
]);

/** No policy: every stream speaks for every format. */
export const TRUST_ANY: TrustPolicy = Object.freeze({ entries: [], vouch: () => undefined });

const MAX_ENTRIES = 100;

/**
 * Parses TRUSTED_SOURCES: `any` (every stream speaks for every format), or entries separated by
 * commas or newlines, each `default` (the documented
 * defaults) or `<format>=<log group glob>[:<log stream glob>]` (stream defaults to `*`; log group and
 * stream names cannot contain `:`). `<format>` is a source format or `*`. A format no entry names is
 * trusted nowhere: the list fails closed. Throws an Error naming the bad entry.
 */
export function parseTrustedSources(text: string): TrustPolicy {
  const raw = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (raw.length === 0 || (raw.length === 1 && raw[0] === "any")) return TRUST_ANY;
  const expanded = raw.flatMap((entry) => (entry === "default" ? DEFAULT_TRUSTED_SOURCES : [entry]));
  if (expanded.length > MAX_ENTRIES)
    throw new Error(`at most ${MAX_ENTRIES} entries, got ${expanded.length}`);
  const entries = expanded.map(parseEntry);
  return Object.freeze({
    entries: Object.freeze(entries),
    vouch(format: SourceFormat, logGroup: string, logStream: string): string | null {
      for (const entry of entries) {
        if (entry.format !== "*" && entry.format !== format) continue;
        if (globMatch(entry.logGroup, logGroup) && globMatch(entry.logStream, logStream)) return entry.text;
      }
      return null;
    },
  });
}

function parseEntry(text: string): TrustEntry {
  const equals = text.indexOf("=");
  if (equals <= 0) throw new Error(`"${text}" is not "default" or <format>=<log group>[:<log stream>]`);
  const format = text.slice(0, equals).trim();
  if (format !== "*" && !(SOURCE_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`"${text}": unknown format "${format}" (one of ${SOURCE_FORMATS.join(", ")}, or *)`);
  }
  const place = text.slice(equals + 1).trim();
  const colon = place.indexOf(":");
  const logGroup = (colon < 0 ? place : place.slice(0, colon)).trim();
  const logStream = (colon < 0 ? "*" : place.slice(colon + 1)).trim();
  if (logGroup.length === 0 || logStream.length === 0)
    throw new Error(`"${text}": empty log group or stream`);
  if (logGroup.length > MAX_PATTERN_LENGTH || logStream.length > MAX_PATTERN_LENGTH) {
    throw new Error(`"${text}": patterns are at most ${MAX_PATTERN_LENGTH} characters`);
  }
  return {
    format: format as SourceFormat | "*",
    logGroup,
    logStream,
    text: `${format}=${logGroup}:${logStream}`,
  };
}
