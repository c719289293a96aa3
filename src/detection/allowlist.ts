import { AllowlistError } from "../errors.js";
import { ANCESTORS_READ, type Finding, SEVERITIES, type Severity } from "../model.js";
import { atLeast, isSeverity } from "../severity.js";
import { argsGlobMatch, globMatch, MAX_PATTERN_LENGTH } from "./glob.js";

/**
 * One allowlist entry. Every field given must match (AND); values are globs (`*`, `?`, else literal,
 * case-sensitive); a field the event does not carry never matches.
 * - image: the container image as the event reports it; a value without a tag or digest
 *   (`docker.io/library/busybox`, `*\/curl`) also matches that image at any tag or digest.
 * - containerName, namespace, cluster: compared with the event's container name, Kubernetes
 *   namespace, and EKS/ECS cluster name.
 * - utility: the catalogued utility name (curl, nc, dig…).
 * - parent: the parent's executable path or name; ancestor: any ancestor's path or name.
 * - args: the utility's whole argument list (without the program name), argument by argument. The
 *   value is split on single spaces into argument patterns that must match the arguments one for one,
 *   in order, first to last. In an argument pattern `*` matches any run of characters except `/ ? # @`
 *   (it stays inside one host name or path segment), `**` matches any run inside that one argument,
 *   `?` exactly one character; an argument pattern that is just `**` matches any number of whole
 *   arguments (also none). So `-fsS http://*.svc.cluster.local:8080/healthz` matches exactly those two
 *   arguments, `** --max-time 2 **` any arguments that include `--max-time 2`, and no pattern can be
 *   satisfied by extra arguments or by a URL whose host, path, query or fragment differ where `*` is.
 * - maxSeverity: the highest finding severity the entry suppresses, "medium" when absent: a finding
 *   above it is reported even when every field matches. Say "high" or "critical" only for a use that is
 *   known to be that severe (a backup job's rsync push is an upload, high).
 * - comment: free text for humans, ignored.
 */
export interface AllowlistEntry {
  image?: string;
  containerName?: string;
  namespace?: string;
  cluster?: string;
  utility?: string;
  parent?: string;
  ancestor?: string;
  args?: string;
  maxSeverity?: Severity;
  comment?: string;
}

export interface Allowlist {
  readonly size: number;
  /** Index of the first entry that matches the finding, or null. */
  match(finding: Finding): number | null;
}

/** The fields an entry matches on (every entry names at least one). */
export const MATCH_FIELDS = [
  "image",
  "containerName",
  "namespace",
  "cluster",
  "utility",
  "parent",
  "ancestor",
  "args",
] as const;
type MatchField = (typeof MATCH_FIELDS)[number];
const ALL_FIELDS: ReadonlySet<string> = new Set<string>([...MATCH_FIELDS, "maxSeverity", "comment"]);
/** What an entry without `maxSeverity` suppresses at most: never a high or critical finding. */
export const DEFAULT_MAX_SEVERITY: Severity = "medium";

/** Entries accepted in one allowlist; findings are few, but a runaway file should fail loudly. */
export const MAX_ENTRIES = 1000;
/** Longest comment accepted. */
export const MAX_COMMENT_LENGTH = 1024;

export const EMPTY_ALLOWLIST: Allowlist = Object.freeze({ size: 0, match: () => null });

/**
 * Parses an allowlist: a JSON array of {@link AllowlistEntry} objects. Throws an {@link AllowlistError}
 * naming `origin`, the entry index and the field for invalid JSON, a non-array, an entry that is not an
 * object, has an unknown key, a non-string or empty value, a value longer than 512 characters, an
 * `args` value with an empty argument pattern (leading, trailing or doubled space), a `maxSeverity`
 * that is not a severity, or no field to match on.
 */
export function parseAllowlist(text: string, origin: string): Allowlist {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AllowlistError(`${origin}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!Array.isArray(value)) throw new AllowlistError(`${origin}: must be a JSON array of entries`);
  if (value.length > MAX_ENTRIES) {
    throw new AllowlistError(`${origin}: has ${value.length} entries; at most ${MAX_ENTRIES} are accepted`);
  }
  const entries = value.map((item, index) => validateEntry(item, index, origin));
  if (entries.length === 0) return EMPTY_ALLOWLIST;
  const frozen = Object.freeze(entries.map((entry) => Object.freeze(entry)));
  return Object.freeze({
    size: frozen.length,
    match(finding: Finding): number | null {
      for (let i = 0; i < frozen.length; i++) if (entryMatches(frozen[i]!, finding)) return i;
      return null;
    },
  });
}

function validateEntry(item: unknown, index: number, origin: string): AllowlistEntry {
  const where = `${origin}: entry ${index}`;
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    throw new AllowlistError(
      `${where}: must be an object such as {"utility": "curl", "namespace": "monitoring"}`,
    );
  }
  const entry: AllowlistEntry = {};
  let fields = 0;
  for (const [key, field] of Object.entries(item)) {
    if (!ALL_FIELDS.has(key)) {
      throw new AllowlistError(`${where}: unknown field "${key}" (known: ${[...ALL_FIELDS].join(", ")})`);
    }
    if (typeof field !== "string") throw new AllowlistError(`${where}: field "${key}" must be a string`);
    const max = key === "comment" ? MAX_COMMENT_LENGTH : MAX_PATTERN_LENGTH;
    if (field.length > max) {
      throw new AllowlistError(`${where}: field "${key}" is ${field.length} characters long; at most ${max}`);
    }
    if (key === "maxSeverity") {
      if (!isSeverity(field)) {
        throw new AllowlistError(
          `${where}: field "maxSeverity" is ${JSON.stringify(field)}; must be one of ${SEVERITIES.join(", ")}`,
        );
      }
      entry.maxSeverity = field;
      continue;
    }
    if (key !== "comment") {
      if (field.length === 0) throw new AllowlistError(`${where}: field "${key}" must not be empty`);
      fields++;
    }
    if (key === "args" && field.split(" ").includes("")) {
      throw new AllowlistError(
        `${where}: field "args" has an empty argument pattern; separate argument patterns with single spaces, no leading or trailing space`,
      );
    }
    entry[key as Exclude<keyof AllowlistEntry, "maxSeverity">] = field;
  }
  if (fields === 0) {
    throw new AllowlistError(
      `${where}: has no field to match on (${MATCH_FIELDS.join(", ")}); it would match everything`,
    );
  }
  return entry;
}

function some(pattern: string, subjects: (string | undefined)[]): boolean {
  return subjects.some((subject) => typeof subject === "string" && globMatch(pattern, subject));
}

/** The image without its tag or digest: "repo/app:1.2@sha256:…" → "repo/app". */
function imageRepository(image: string): string {
  const at = image.indexOf("@");
  const withoutDigest = at === -1 ? image : image.slice(0, at);
  const colon = withoutDigest.lastIndexOf(":");
  return colon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, colon) : withoutDigest;
}

function fieldMatches(field: MatchField, pattern: string, finding: Finding): boolean {
  const event = finding.event;
  switch (field) {
    case "image": {
      const image = event.container?.image;
      if (typeof image !== "string") return false;
      return globMatch(pattern, image) || globMatch(pattern, imageRepository(image));
    }
    case "containerName":
      return some(pattern, [event.container?.name]);
    case "namespace":
      return some(pattern, [event.workload?.namespace]);
    case "cluster":
      return some(pattern, [event.workload?.cluster]);
    case "utility":
      return some(pattern, [finding.utility.name]);
    case "parent": {
      const parent = event.ancestors?.[0];
      return parent !== undefined && some(pattern, [parent.path, parent.name]);
    }
    case "ancestor":
      return (event.ancestors ?? []).slice(0, ANCESTORS_READ).some((a) => some(pattern, [a?.path, a?.name]));
    case "args":
      return argsGlobMatch(pattern, finding.process.args ?? []);
  }
}

function entryMatches(entry: AllowlistEntry, finding: Finding): boolean {
  if (!atLeast(entry.maxSeverity ?? DEFAULT_MAX_SEVERITY, finding.severity)) return false;
  for (const field of MATCH_FIELDS) {
    const pattern = entry[field];
    if (pattern !== undefined && !fieldMatches(field, pattern, finding)) return false;
  }
  return true;
}
