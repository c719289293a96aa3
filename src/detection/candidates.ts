/**
 * Candidate selection: which process of an exec event is the network utility — the process itself (by
 * path, kernel name, argv[0], busybox applet, or its arguments' shape when renamed), or each command
 * of an exec session's command line — and which command of the ancestors' scripts started it.
 */
import {
  ANCESTORS_READ,
  type AncestorInfo,
  type ExecEvent,
  type ProcessInfo,
  type Utility,
} from "../model.js";
import {
  type CommandSegment,
  commandStart,
  commandWords,
  executableName,
  MULTICALL_BINARIES,
  type SegmentBudget,
} from "../shell/index.js";
import { lookupPattern, lookupUtility } from "./catalogue.js";
import type { AncestorContext } from "./feeds.js";
import { suspiciousLocation } from "./locations.js";
import { commandSegments } from "./segments.js";
import { sameTool } from "./utilities/index.js";

/** One utility invocation found in an event: the process itself, or a command inside a session's payload. */
export interface Candidate {
  utility: Utility;
  /** What the Finding reports as the process. */
  process: ProcessInfo;
  /** The utility's name followed by its arguments (a busybox applet's name replaces busybox). */
  words: string[];
  /** Executable path as run, when known. */
  path?: string;
  cwd?: string;
  /** The command-line segment, for exec sessions. */
  segment?: CommandSegment;
  /** Every segment of the session's command line, for exec sessions. */
  segments?: CommandSegment[];
  /** Set when the utility ran under another name. */
  renamed?: Renamed;
}

/** How a utility was recognised under another name: by the event's names, or by its arguments' shape. */
export interface Renamed {
  as: string;
  /** "name" when the event's own names disagree, else the arguments that give the utility away. */
  by: string;
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export function text(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export function findCandidates(event: ExecEvent, budget: SegmentBudget): Candidate[] {
  const proc = event.process ?? ({ name: "" } as ProcessInfo);
  const args = strings(proc.args);
  const path = text(proc.path);
  const name = text(proc.name) ?? "";
  if (event.viaExecSession === true) {
    const session = sessionCandidates(proc, path ?? name, args, budget);
    // A process seen inside a session (Datadog's user_session) is a real exec, not a requested command
    // line: when the session reading finds nothing (a busybox applet), it is read as a process.
    if (session.length > 0 || ancestorList(event).length === 0) return session;
  }

  const cwd = text(proc.cwd);
  const base = {
    process: proc,
    ...(path !== undefined ? { path } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
  };
  const comm = text(proc.comm);
  const byPath = path !== undefined ? lookupUtility(path) : undefined;
  if (byPath !== undefined) {
    // fexecve of a memory file names the process after its descriptor ("3"): no rename.
    const fileless = suspiciousLocation(path!)?.kind;
    const renamed = fileless === "memfd" || fileless === "fd" ? {} : renamedAs(byPath, [comm, name]);
    return [{ ...base, utility: byPath, words: [byPath.name, ...args], ...renamed }];
  }
  if (MULTICALL_BINARIES.has(executableName(path ?? name)) || MULTICALL_BINARIES.has(executableName(name))) {
    const first = args[0];
    const applet = first !== undefined && !first.startsWith("-") ? lookupUtility(first) : undefined;
    if (applet !== undefined) return [{ ...base, utility: applet, words: [applet.name, ...args.slice(1)] }];
  }
  const byName = lookupUtility(name) ?? (comm !== undefined ? lookupUtility(comm) : undefined);
  if (byName !== undefined) {
    const renamed = renamedAs(byName, [path, name, comm]);
    return [{ ...base, utility: byName, words: [byName.name, ...args], ...renamed }];
  }
  // Nothing is called like a utility: the arguments may still have one's unmistakable shape.
  const shaped = utilityByShape(args);
  if (shaped !== undefined && (path ?? name) !== "") {
    const as = executableName(path ?? name);
    return [
      {
        ...base,
        utility: shaped.utility,
        words: [shaped.utility.name, ...args],
        renamed: { as, by: shaped.why },
      },
    ];
  }
  return [];
}

/**
 * The other name a catalogued utility ran under, when the event shows one that is not the utility's,
 * another name of the same tool (nc for nc.traditional through Debian's alternatives), a multi-call
 * binary, or a placeholder of fileless execution (`/proc/self/fd/3`, memfd).
 */
function renamedAs(utility: Utility, names: (string | undefined)[]): { renamed?: Renamed } {
  for (const value of names) {
    if (value === undefined || value === "") continue;
    const location = suspiciousLocation(value);
    if (location?.kind === "fd" || location?.kind === "memfd") continue;
    const as = executableName(value);
    if (as === "" || as === utility.name || /[*?[]|^\d+$/.test(as) || MULTICALL_BINARIES.has(as)) continue;
    const other = lookupUtility(as);
    if (other !== undefined) continue;
    return { renamed: { as, by: "name" } };
  }
  return {};
}

const URL_OPERAND = /^(?:https?|ftp|tftp):\/\/[^\s/]/i;

const SHELL_PATH = /^(?:\/(?:usr\/)?bin\/)?(?:ba|da|a|z|k)?sh$/;

/**
 * A utility recognised by arguments no other common program takes together: curl's `-fsSL`-style
 * cluster with a URL, wget's `-qO-` with a URL, netcat's `-e /bin/sh` with a host and a port or its
 * `-lvnp PORT` listener, socat's `exec:`/`tcp-connect:` addresses.
 */
function utilityByShape(args: readonly string[]): { utility: Utility; why: string } | undefined {
  if (args.length === 0 || args.length > 64) return undefined;
  const url = args.find((a) => URL_OPERAND.test(a));
  const pick = (name: string, why: string) => ({ utility: lookupUtility(name)!, why });
  if (url !== undefined) {
    const cluster = args.find((a) => /^-[fsSLkOIi#]{3,}$/.test(a) && a.includes("L") && /[sS]/.test(a));
    if (cluster !== undefined) return pick("curl", `${cluster} ${url}`);
    const wget = args.find((a) => /^-q?O-?$/.test(a) && a.length >= 3);
    if (wget !== undefined) return pick("wget", `${wget} ${url}`);
  }
  const e = args.findIndex((a) => a === "-e" || a === "-c");
  const port = args.some((a) => /^\d{1,5}$/.test(a));
  if (e !== -1 && SHELL_PATH.test(args[e + 1] ?? "") && port) return pick("nc", args.join(" "));
  const listen = args.find((a) => /^-(?=[lvnp]*l)(?=[lvnp]*p)[lvnp]{3,4}$/.test(a));
  if (listen !== undefined && port) return pick("nc", args.join(" "));
  // Case as the prefilter's PREFILTER_HINT knows it: lower or upper, not mixed.
  const socat = args.find((a) =>
    /^(?:exec|EXEC|system|SYSTEM|tcp-connect|TCP-CONNECT|tcp4|TCP4|tcp6|TCP6|openssl-connect|OPENSSL-CONNECT):/.test(
      a,
    ),
  );
  if (
    socat !== undefined &&
    args.some((a) => /^(?:tcp|udp|openssl)[\w-]*:|^exec:|^-$|^stdio$/i.test(a) && a !== socat)
  ) {
    return pick("socat", args.join(" "));
  }
  return undefined;
}

function sessionCandidates(
  proc: ProcessInfo,
  argv0: string,
  args: string[],
  budget: SegmentBudget,
): Candidate[] {
  if (argv0 === "") return [];
  const cwd = text(proc.cwd);
  const segments = commandSegments([argv0, ...args], {
    splitOperators: true,
    budget,
    dropInert: true,
    ...(cwd ? { cwd } : {}),
  });
  const out: Candidate[] = [];
  for (const segment of segments) {
    const start = commandStart(segment.argv);
    const words = segment.argv.slice(start);
    const head = words[0];
    if (head === undefined) continue;
    const utility = lookupCommand(head);
    if (utility === undefined) continue;
    const multicall = start > 0 && MULTICALL_BINARIES.has(executableName(segment.argv[start - 1]!));
    const exe = multicall ? segment.argv[start - 1]! : head;
    const isWhole = segment === segments[0] && start === 0 && segment.argv.length === args.length + 1;
    const process: ProcessInfo = isWhole
      ? proc
      : {
          name: executableName(exe),
          ...(exe.includes("/") ? { path: exe } : {}),
          args: multicall ? words : words.slice(1),
          ...(proc.user !== undefined ? { user: proc.user } : {}),
          ...(segment.cwd !== undefined ? { cwd: segment.cwd } : {}),
        };
    out.push({
      utility,
      process,
      words: [utility.name, ...words.slice(1)],
      ...(exe.includes("/") ? { path: exe } : {}),
      ...(segment.cwd !== undefined ? { cwd: segment.cwd } : {}),
      segment,
      segments,
    });
  }
  return out;
}

/** A command word's utility: by its exact name, or by the shell pattern it is (`/???/???/c?rl`). */
export function lookupCommand(word: string): Utility | undefined {
  return lookupUtility(word) ?? lookupPattern(word);
}

export function ancestorList(event: ExecEvent): AncestorInfo[] {
  return Array.isArray(event.ancestors) ? event.ancestors.slice(0, ANCESTORS_READ) : [];
}

/**
 * What an ancestor ran as argv[0]. A busybox applet run through its symlink (`sh` -> /bin/busybox,
 * Alpine's only shell) has the multi-call binary as path and the applet as name: the applet is what ran,
 * and `busybox -c '…'` would read as no shell at all.
 */
export function ancestorArgv0(ancestor: AncestorInfo): string | undefined {
  const path = text(ancestor.path);
  const name = text(ancestor.name);
  if (path !== undefined && name !== undefined && MULTICALL_BINARIES.has(executableName(path))) {
    if (!MULTICALL_BINARIES.has(executableName(name))) return name;
  }
  return path ?? name;
}

/**
 * The command of an ancestor's script that started the event's process: a segment below the top
 * level running the same utility with the same arguments (word boundaries aside).
 */
export function sameCommandInAncestors(
  candidate: Candidate,
  context: AncestorContext,
): CommandSegment | undefined {
  const want = candidate.words.slice(1).join(" ");
  for (const segment of context.segments) {
    if (segment.depth === 0) continue;
    const words = commandWords(segment.argv);
    const head = words[0];
    if (head === undefined || !sameTool(lookupCommand(head)?.name, candidate.utility.name)) continue;
    if (words.slice(1).join(" ") === want) return segment;
  }
  return undefined;
}

/** Segments below the top level of the ancestors' command lines that run the same tool, at most 64. */
export function writtenInAncestors(candidate: Candidate, context: AncestorContext): CommandSegment[] {
  const out: CommandSegment[] = [];
  for (const segment of context.segments) {
    if (segment.depth === 0) continue;
    const head = commandWords(segment.argv)[0];
    if (head === undefined || !sameTool(lookupCommand(head)?.name, candidate.utility.name)) continue;
    out.push(segment);
    if (out.length >= 64) break;
  }
  return out;
}
