/**
 * The fallback reading of a command line whose structured reading hit one of the reader's limits
 * (see SegmentBudget.exhausted in src/shell/segment.ts): the text is read once more as a flat list of
 * words and operators, with no nesting, no grammar and no limit below the size of the input, so that
 * what lies past the limit (`dig x;` four thousand times, `sh -c` nested past the depth limit, a full
 * variable table, then `curl … | sh`) is still seen. Linear in the input; never throws.
 */
import type { Severity, Utility } from "../model.js";
import { severityRank } from "../severity.js";
import { executableName, isInterpreter, isShell } from "../shell/index.js";
import { lookupPattern, lookupUtility } from "./catalogue.js";
import { findCredentialEndpoint } from "./network.js";

/** Characters read over all texts of one event: more than the sources can hand over for one. */
export const MAX_FLAT_CHARS = 8 * 1024 * 1024;
/** Distinct words looked up (catalogue, patterns, credential endpoints); repeats cost nothing. */
const MAX_DISTINCT_WORDS = 64 * 1024;

export interface FlatIndicator {
  severity: Severity;
  reason: string;
  /** The utility the indicator is about, when it is about one. */
  utility?: Utility;
}

export interface FlatScan {
  /** Catalogued utilities named anywhere, in order of first appearance. */
  utilities: Utility[];
  /** What the words show, most severe first. */
  indicators: FlatIndicator[];
  /** Part of the text was beyond {@link MAX_FLAT_CHARS} and not read at all. */
  truncated: boolean;
}

const OPERATORS = new Set([";", "&", "|", "(", ")", "\n"]);
/** Characters that end a run of ordinary word characters. */
const SPECIAL = /[\s'"\\$`<>{},;&|()]/g;
/** Characters of text given to one credential-endpoint search. */
const ENDPOINT_WINDOW = 16 * 1024 - 64;
const NETCATS = new Set(["nc", "nc.openbsd", "nc.traditional", "netcat", "ncat", "cryptcat"]);
// Prefixes that leave the next word the command (`sudo sh`, `env X=1 bash`, `exec nc`).
const PASS_THROUGH = new Set([
  "sudo",
  "env",
  "exec",
  "command",
  "nohup",
  "setsid",
  "time",
  "nice",
  "then",
  "do",
]);

/**
 * Reads `texts` (each a whole command line, argv joined by spaces) as flat words. Quote characters and
 * backslashes are dropped inside words (`c'u'rl`, `c\url`), `$IFS` and `${IFS}` separate words, `$@`,
 * `$*` and empty `$()` vanish; `name=value` words are remembered and `$name` reads as the last value.
 */
export function flatScan(texts: readonly string[]): FlatScan {
  const utilities = new Map<string, Utility>();
  const indicators: FlatIndicator[] = [];
  const seen = new Set<string>();
  const variables = new Map<string, string>();
  const lookups = new Map<string, Utility | undefined>();
  let budget = MAX_FLAT_CHARS;
  let truncated = false;
  let piped: Utility | undefined;
  let stage: Utility | undefined;
  let first = true;
  let endpoint = false;
  let devTcp = false;

  const lookup = (word: string): Utility | undefined => {
    if (lookups.has(word)) return lookups.get(word);
    const found = lookupUtility(word) ?? lookupPattern(word);
    if (lookups.size < MAX_DISTINCT_WORDS) lookups.set(word, found);
    return found;
  };
  const add = (severity: Severity, reason: string, utility?: Utility) => {
    if (seen.has(reason)) return;
    seen.add(reason);
    indicators.push({ severity, reason, ...(utility !== undefined ? { utility } : {}) });
  };
  const word = (raw: string) => {
    let value = raw;
    if (value.length > 4096) value = value.slice(0, 4096);
    const assignment = value.includes("=") ? /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(value) : null;
    if (assignment !== null) {
      if (variables.size < MAX_DISTINCT_WORDS) variables.set(assignment[1]!, assignment[2]!);
      value = assignment[2]!;
    }
    const variable = value.startsWith("$") ? /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(value) : null;
    if (variable !== null) value = variables.get(variable[1]!) ?? value;
    if (value === "") return;
    const isFirst = first;
    if (first && !PASS_THROUGH.has(value) && assignment === null) first = false;
    const utility = lookup(value);
    if (utility !== undefined) {
      if (!utilities.has(utility.name)) utilities.set(utility.name, utility);
      if (isFirst || stage === undefined) stage = utility;
    }
    const name = executableName(value);
    if (isFirst && piped !== undefined && (isShell(name) || isInterpreter(name))) {
      add(
        "critical",
        `${piped.name} output is piped to ${isShell(name) ? "a shell" : "an interpreter"} (${name})`,
        piped,
      );
    }
    if (stage !== undefined && NETCATS.has(stage.name) && /^-(?:[A-Za-z]*[ec]|-exec|-sh-exec)$/.test(value)) {
      add("critical", `${stage.name} executes a command or shell (${value})`, stage);
    }
    if (stage?.name === "socat" && /^(?:exec|system):/i.test(value)) {
      add("critical", `socat executes a command or shell (${value.slice(0, 80)})`, stage);
    }
  };
  const operator = (op: string) => {
    piped = op === "|" ? (stage ?? piped) : undefined;
    stage = undefined;
    first = true;
  };

  for (const raw of texts) {
    if (typeof raw !== "string") continue;
    if (raw.length > budget) truncated = true;
    const text = raw.length > budget ? raw.slice(0, budget) : raw;
    budget -= text.length;
    operator(";");
    if (!devTcp) {
      const at = text.search(/\/dev\/(?:tcp|udp)\//);
      if (at !== -1) {
        devTcp = true;
        add(
          "high",
          `the command line opens a network connection through ${text.slice(at, at + 60).split(/[\s;|&<>]/)[0]}`,
        );
      }
    }
    // Credential endpoints are found in windows of the text, not per word: a URL may hold one anywhere.
    for (let at = 0; !endpoint && at < text.length; at += ENDPOINT_WINDOW) {
      const found = findCredentialEndpoint(text.slice(at, at + ENDPOINT_WINDOW + 64));
      if (found !== undefined) {
        endpoint = true;
        add(
          "high",
          `the command line reaches a cloud credential endpoint: ${found.address} (${found.label})`,
        );
      }
    }
    let current = "";
    SPECIAL.lastIndex = 0;
    let i = 0;
    while (i < text.length) {
      SPECIAL.lastIndex = i;
      const match = SPECIAL.exec(text);
      const stop = match === null ? text.length : match.index;
      if (stop > i) {
        current += text.slice(i, stop);
        i = stop;
        continue;
      }
      const c = text[i]!;
      i++;
      if (c === "'" || c === '"' || c === "\\") continue;
      if (c === "$") {
        const rest = text.slice(i, i + 7);
        const skip = /^(?:\{IFS\}|IFS(?![A-Za-z0-9_]))/.exec(rest);
        if (skip !== null) {
          if (current !== "") word(current);
          current = "";
          i += skip[0].length;
          continue;
        }
        const braced = /^\{([A-Za-z_][A-Za-z0-9_]{0,32})\}/.exec(text.slice(i, i + 40));
        if (braced !== null) {
          current += variables.get(braced[1]!) ?? braced[0];
          i += braced[0].length;
          continue;
        }
        const empty = /^(?:[@*]|\{[@*]\}|\(\s*\))/.exec(rest);
        if (empty !== null) {
          i += empty[0].length;
          continue;
        }
        current += c;
        continue;
      }
      if (c === "`" && text[i] === "`") {
        i++;
        continue;
      }
      if (current !== "") word(current);
      current = "";
      if (OPERATORS.has(c)) {
        const pair = c + (text[i] ?? "");
        if (pair === "||" || pair === "&&" || pair === "|&") {
          i++;
          operator(pair === "|&" ? "|" : ";");
        } else operator(c);
      }
    }
    if (current !== "") word(current);
  }
  indicators.sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  return { utilities: [...utilities.values()], indicators, truncated };
}
