/**
 * The `key=value` pairs of a Falco alert's `output` text, as a fallback for fields its
 * `output_fields` lack. Stock rules print `command=%proc.cmdline`, `container_id=%container.id`…
 * (falcosecurity/falco rules/falco_rules.yaml ≤ 0.33, falcosecurity/rules since), and Falco's
 * `append_output` adds `container_image_repository=…`-style pairs (falco.yaml, `suggested_output`).
 *
 * Every value here is text some process may have chosen (a command line can hold ` container_id=x`),
 * so the reader is defensive: the values output_fields already gives are masked out before the text
 * is split (nothing inside them can pose as a key), the last occurrence of a key wins (stock rules
 * print the metadata after the command line), and callers only fill fields that are absent.
 */
import type { JsonObject } from "./fields.js";

/** Text key -> Falco field, for process alerts (source syscall). */
export const SYSCALL_TEXT_KEYS: Readonly<Record<string, string>> = Object.freeze({
  command: "proc.cmdline",
  cmdline: "proc.cmdline",
  process: "proc.name",
  proc_name: "proc.name",
  proc_exepath: "proc.exepath",
  exepath: "proc.exepath",
  exe: "proc.exe",
  args: "proc.args",
  parent: "proc.pname",
  parent_process: "proc.pname",
  pcmdline: "proc.pcmdline",
  parent_exepath: "proc.pexepath",
  pexepath: "proc.pexepath",
  gparent: "proc.aname[2]",
  ggparent: "proc.aname[3]",
  gggparent: "proc.aname[4]",
  user: "user.name",
  pid: "proc.pid",
  container_id: "container.id",
  container: "container.id",
  container_name: "container.name",
  image: "container.image",
  container_image: "container.image",
  container_image_repository: "container.image.repository",
  container_image_tag: "container.image.tag",
  k8s_pod_name: "k8s.pod.name",
  "k8s.pod": "k8s.pod.name",
  k8s_ns_name: "k8s.ns.name",
  "k8s.ns": "k8s.ns.name",
});

/** Text key -> field, for k8saudit plugin alerts (source k8s_audit). */
export const K8S_AUDIT_TEXT_KEYS: Readonly<Record<string, string>> = Object.freeze({
  user: "ka.user.name",
  pod: "ka.target.name",
  resource: "ka.target.resource",
  ns: "ka.target.namespace",
  action: "ka.target.subresource",
  command: "ka.uri.param[command]",
  uri: "ka.uri",
});

/** A key token: at the start, after a space, `(` or `|`; names like `k8s.pod`, `user_uid`. */
const KEY_TOKEN = /(^|[\s(|,])([A-Za-z][A-Za-z0-9_.]{0,63})=/g;
/** Texts longer than this are not read: a Falco output line is a few hundred characters. */
const MAX_OUTPUT_CHARS = 1 << 20;
/** Values output_fields gives shorter than this are not masked (too likely to occur by chance). */
const MIN_MASKED_CHARS = 3;
const MASK = "\u0000";

/**
 * The fields of `keys` that the output text states, keyed by Falco field name. `known` are the
 * alert's output_fields: their string values are masked out of the text first.
 */
export function outputTextFields(
  output: string | undefined,
  known: JsonObject,
  keys: Readonly<Record<string, string>>,
): Map<string, string> {
  const out = new Map<string, string>();
  if (output === undefined || output.length > MAX_OUTPUT_CHARS) return out;
  const text = maskKnownValues(output, known);
  const tokens: { key: string; start: number; valueStart: number }[] = [];
  for (const match of text.matchAll(KEY_TOKEN)) {
    const lead = match[1] ?? "";
    const start = (match.index ?? 0) + lead.length;
    tokens.push({ key: match[2] ?? "", start, valueStart: start + (match[2]?.length ?? 0) + 1 });
  }
  // The old form wraps the pairs in parentheses: `… (user=root command=nc … image=x:y)`.
  const wrapped = tokens.length > 0 && text.lastIndexOf("(", tokens[0]!.start) >= 0 && text.endsWith(")");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const field = keys[token.key];
    if (field === undefined) continue;
    const end = i + 1 < tokens.length ? tokens[i + 1]!.start : wrapped ? text.length - 1 : text.length;
    let value = output.slice(token.valueStart, end).trim();
    if (value.endsWith(" |")) value = value.slice(0, -2).trimEnd();
    // A masked value is one output_fields already has; `<NA>` is Falco's "not available".
    if (value.length === 0 || text.slice(token.valueStart, end).includes(MASK)) continue;
    if (value === "<NA>" || value === "N/A") continue;
    out.set(field, value);
  }
  return out;
}

/** Replaces `=<value>` for every known string value with a same-length run of NULs. */
function maskKnownValues(output: string, known: JsonObject): string {
  let text = output;
  for (const key in known) {
    const value = known[key];
    if (typeof value !== "string" || value.length < MIN_MASKED_CHARS) continue;
    const needle = `=${value}`;
    if (!text.includes(needle)) continue;
    text = text.split(needle).join(`=${MASK.repeat(value.length)}`);
  }
  return text;
}
