/**
 * The second rule family, "Network channel opened in container" (MITRE TA0011 / T1095, T1572): network
 * connections made without any catalogued utility — bash's `/dev/tcp` redirections, `openssl s_client`
 * carrying a shell or a file, and tunnel tools (chisel, frp, gost, bore, rathole; cloudflared and
 * ngrok as the noisy "saas-tunnel" family, off by default). Pure; never throws.
 *
 * About 400 lines because it is a whole rule family: its three channel kinds share the event reading
 * and the verdict; they split cleanly into files when a fourth kind comes.
 */
import { CHANNEL_RULE, type ExecEvent, type Finding, type Severity, type Verdict } from "../model.js";
import { maxSeverity, severityRank } from "../severity.js";
import {
  type CommandSegment,
  commandSegments,
  commandWords,
  executableName,
  isInterpreter,
  isShell,
  shellPayload,
} from "../shell/index.js";
import { TUNNEL_TOOLS } from "./catalogue.js";
import { suspiciousLocation } from "./locations.js";
import { isLoopback } from "./network.js";

/** The channel families, each switched on or off by CHANNEL_FAMILIES. */
export const CHANNEL_FAMILIES = ["dev-tcp", "openssl", "tunnel", "saas-tunnel"] as const;
export type ChannelFamily = (typeof CHANNEL_FAMILIES)[number];

/**
 * On unless configured otherwise. "saas-tunnel" is off: cloudflared and ngrok run as ordinary sidecars
 * and agents in many clusters, so every container start would be a finding.
 */
export const DEFAULT_CHANNEL_FAMILIES: readonly ChannelFamily[] = ["dev-tcp", "openssl", "tunnel"];

/** Tunnel tools by executable name, with their family (kept in the catalogue for the prefilter). */
export { TUNNEL_TOOLS };

/**
 * Reads CHANNEL_FAMILIES: a comma-separated list of families, "none" for no family, "all" for every
 * one. Throws an Error naming the unknown family.
 */
export function parseChannelFamilies(value: string): ChannelFamily[] {
  const words = value
    .split(",")
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w !== "");
  if (words.length === 1 && words[0] === "none") return [];
  if (words.length === 1 && words[0] === "all") return [...CHANNEL_FAMILIES];
  const out: ChannelFamily[] = [];
  for (const word of words) {
    if (!(CHANNEL_FAMILIES as readonly string[]).includes(word)) {
      throw new Error(
        `unknown channel family "${word}" (known: ${CHANNEL_FAMILIES.join(", ")}, or none, all)`,
      );
    }
    if (!out.includes(word as ChannelFamily)) out.push(word as ChannelFamily);
  }
  return out;
}

interface Indicator {
  severity: Severity;
  reason: string;
}

const NONE: Verdict = Object.freeze({ kind: "none", why: "not-a-utility" });
const DEV_NET = /^\/dev\/(tcp|udp)\/([^/]+)\/([^/\s]+)$/;
const TEXT_LIMIT = 4 * 1024 * 1024;

/**
 * Judges one exec event for the channel families in `families`. `none` when no enabled family sees a
 * channel; `benign` for port checks (`cat < /dev/null > /dev/tcp/db/5432`), certificate checks with
 * `openssl s_client` and version or help runs of tunnel tools; else a finding of {@link CHANNEL_RULE}.
 */
export function evaluateChannels(event: ExecEvent, families: ReadonlySet<ChannelFamily>): Verdict {
  if (event?.inContainer !== true || families.size === 0) return NONE;
  try {
    return judge(event, families);
  } catch {
    // A bug here must not hide the seed rule's verdict, which the caller keeps.
    return NONE;
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function judge(event: ExecEvent, families: ReadonlySet<ChannelFamily>): Verdict {
  const proc = event.process ?? { name: "" };
  const argv0 =
    (typeof proc.path === "string" && proc.path) || (typeof proc.name === "string" ? proc.name : "");
  if (argv0 === "") return NONE;
  const args = strings(proc.args);
  const argv = [argv0, ...args];
  const session = event.viaExecSession === true;
  const name = executableName(argv0);
  const tunnel =
    TUNNEL_TOOLS.get(executableName(typeof proc.name === "string" ? proc.name : "")) ??
    TUNNEL_TOOLS.get(name);
  const joinedLength = argv.reduce((n, w) => n + w.length + 1, 0);
  const mentionsDev =
    joinedLength <= TEXT_LIMIT && argv.some((w) => w.includes("/dev/tcp/") || w.includes("/dev/udp/"));
  const mentionsOpenssl = argv.some((w) => w.includes("openssl"));
  const mentionsTunnel = session && argv.some((w) => [...TUNNEL_TOOLS.keys()].some((t) => w.includes(t)));
  if (!mentionsDev && !mentionsOpenssl && tunnel === undefined && !mentionsTunnel) return NONE;

  const segments =
    session || isShell(name) || mentionsDev
      ? commandSegments(argv, { splitOperators: session })
      : [{ argv, redirects: [], depth: 0 } as CommandSegment];
  const found: { family: ChannelFamily; tool: string; indicators: Indicator[]; benign?: string }[] = [];

  if (families.has("dev-tcp") && mentionsDev) {
    const result = devTcp(segments);
    if (result !== undefined) found.push({ family: "dev-tcp", ...result });
  }
  if (families.has("openssl")) {
    for (const segment of segments) {
      // A process event's own payload is judged on its children's events (each openssl has its own).
      if (!session && segment.depth > 0) continue;
      const words = commandWords(segment.argv);
      if (words[0] === undefined || executableName(words[0]) !== "openssl") continue;
      const context = session ? segment : (parentSegment(event, words) ?? segment);
      const result = opensslClient(context);
      if (result !== undefined) found.push({ family: "openssl", tool: "openssl", ...result });
    }
  }
  for (const segment of segments) {
    if (!session && segment.depth > 0) continue;
    const words = commandWords(segment.argv);
    const tool = words[0] === undefined ? undefined : executableName(words[0]);
    const family = tool === undefined ? undefined : TUNNEL_TOOLS.get(tool);
    if (tool === undefined || family === undefined || !families.has(family)) continue;
    found.push({
      family,
      tool,
      ...tunnelTool(tool, words.slice(1), segment === segments[0] ? proc.path : words[0]),
    });
  }
  if (found.length === 0) return NONE;

  const real = found.filter((f) => f.benign === undefined && f.indicators.length > 0);
  if (real.length === 0) {
    const first = found[0]!;
    return { kind: "benign", utility: { name: first.tool, category: "channel" }, why: first.benign ?? "" };
  }
  let best = real[0]!;
  let severity: Severity = "low";
  for (const f of real) {
    const top = f.indicators.reduce<Severity>((s, i) => maxSeverity(s, i.severity), "low");
    if (severityRank(top) > severityRank(severity)) {
      severity = top;
      best = f;
    }
  }
  const session_ = session ? " through an exec session" : "";
  const reasons = [
    ...new Set(
      [...best.indicators]
        .sort((a, b) => severityRank(b.severity) - severityRank(a.severity))
        .map((i) => i.reason),
    ),
  ];
  reasons.push(`${best.tool} opened a network channel (${best.family}) in a container${session_}`);
  const others = [...new Set(real.filter((f) => f !== best).map((f) => `${f.tool} (${f.family})`))];
  if (others.length > 0) reasons.push(`the command line also opens ${others.join(", ")}`);
  const finding: Finding = {
    event,
    rule: CHANNEL_RULE,
    utility: { name: best.tool, category: "channel" },
    process: proc,
    severity,
    reasons,
  };
  return { kind: "finding", finding };
}

/** The parent's segment that ran `words` (same words), when its command line shows one. */
function parentSegment(event: ExecEvent, words: readonly string[]): CommandSegment | undefined {
  const parent = Array.isArray(event.ancestors) ? event.ancestors[0] : undefined;
  if (parent === undefined || parent === null || typeof parent !== "object") return undefined;
  const args = strings(parent.args);
  const argv0 =
    (typeof parent.path === "string" && parent.path) || (typeof parent.name === "string" ? parent.name : "");
  if (argv0 === "" || args.length === 0 || shellPayload([argv0, ...args]) === undefined) return undefined;
  const want = words.slice(1).join(" ");
  return commandSegments([argv0, ...args]).find((segment) => {
    if (segment.depth === 0) return false;
    const theirs = commandWords(segment.argv);
    return (
      theirs[0] !== undefined && executableName(theirs[0]) === "openssl" && theirs.slice(1).join(" ") === want
    );
  });
}

function quote(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, " ");
  return clean.length > 120 ? `${clean.slice(0, 120)}…` : clean;
}

function written(segment: CommandSegment): string {
  const redirects = segment.redirects.map((r) => `${r.op}${r.op.endsWith("&") ? "" : " "}${r.target}`);
  return [...segment.argv, ...redirects].join(" ");
}

function runsInput(segment: CommandSegment): boolean {
  const words = commandWords(segment.argv);
  const head = words[0];
  if (head === undefined) return false;
  if (head === "while" || head === "eval" || head.startsWith("$")) return true;
  if (!isShell(head) && !isInterpreter(head)) return false;
  return shellPayload(words) === undefined;
}

const PROBE_COMMANDS = new Set(["cat", "echo", ":", "true", "printf", "exec"]);

/** bash's `/dev/tcp/HOST/PORT` (and `/dev/udp`) redirections, GTFOBins bash reverse-shell/upload/download. */
function devTcp(
  segments: CommandSegment[],
): { tool: string; indicators: Indicator[]; benign?: string } | undefined {
  const indicators: Indicator[] = [];
  let opened = false;
  let probe: string | undefined;
  let tool = "bash";
  for (const segment of segments) {
    const net = segment.redirects.filter((r) => DEV_NET.test(r.target));
    const socketFds = segment.redirects.filter(
      (r) => (r.op === "<&" || r.op === ">&") && /^(?:[3-9]|\d{2,})$/.test(r.target),
    );
    if (net.length === 0 && !(opened && socketFds.length > 0)) continue;
    const shown = quote(written(segment));
    const words = commandWords(segment.argv);
    const head = words[0];
    if (net.length > 0) {
      opened = true;
      const owner = segment.payloadOf ?? segment;
      const ownerHead = commandWords(owner.argv)[0];
      if (ownerHead !== undefined && isShell(ownerHead)) tool = executableName(ownerHead);
    }
    const target = net[0] === undefined ? undefined : DEV_NET.exec(net[0].target);
    const reading =
      net.some((r) => r.op === "<" || r.op === "<>" || r.op === "<&") || socketFds.some((r) => r.op === "<&");
    const writing = net.some((r) => r.op !== "<") || socketFds.some((r) => r.op === ">&");
    if (head === undefined || (head === "exec" && words.length === 1)) {
      // `exec 3<>/dev/tcp/h/p` opens the socket for what follows.
      if (net.length > 0)
        indicators.push({
          severity: "medium",
          reason: `the command line opens a connection through ${quote(net[0]!.target)} (${shown})`,
        });
      continue;
    }
    if (runsInput(segment) && (reading || writing)) {
      indicators.push({
        severity: "critical",
        reason: `a shell's input or output is a network connection (${shown}): a reverse shell over /dev/tcp`,
      });
      continue;
    }
    // Whatever reads the socket and feeds a shell down the pipe runs remote commands.
    let runner: CommandSegment | undefined;
    for (let node = segment.pipesTo, k = 0; node !== undefined && k < 64; node = node.pipesTo, k++) {
      if (runsInput(node)) {
        runner = node;
        break;
      }
    }
    if (reading && runner !== undefined) {
      indicators.push({
        severity: "critical",
        reason: `what a network connection sends is run by ${quote(commandWords(runner.argv)[0] ?? "a shell")} (${shown})`,
      });
      continue;
    }
    const operands = words.slice(1).filter((w) => !w.startsWith("-"));
    const fileInput = segment.redirects.find(
      (r) => r.op === "<" && !DEV_NET.test(r.target) && r.target !== "/dev/null",
    );
    if (
      writing &&
      ((head !== "echo" && head !== "printf" && operands.length > 0) ||
        fileInput !== undefined ||
        segment.pipedFrom !== undefined)
    ) {
      indicators.push({
        severity: "high",
        reason: `the command line sends data over a network connection (${shown})`,
      });
      continue;
    }
    const output = segment.redirects.find(
      (r) => (r.op === ">" || r.op === ">>") && !DEV_NET.test(r.target) && r.target !== "/dev/null",
    );
    if (reading && (output !== undefined || segment.pipesTo !== undefined)) {
      const where = output === undefined ? undefined : suspiciousLocation(output.target, segment.cwd);
      indicators.push({
        severity: "high",
        reason: `the command line downloads over a network connection${where ? ` into ${where.words}` : ""} (${shown})`,
      });
      continue;
    }
    if (PROBE_COMMANDS.has(head) && operands.length <= 1 && !reading) {
      probe = `a port check (${shown})${target && isLoopback(target[2]!) ? " on loopback" : ""}`;
      continue;
    }
    indicators.push({ severity: "medium", reason: `the command line opens a network connection (${shown})` });
  }
  // `exec 3<>/dev/tcp/x/80` alone, then nothing that uses it, is still a connection: medium stays.
  if (indicators.length === 0) return probe === undefined ? undefined : { tool, indicators, benign: probe };
  const serious = indicators.filter((i) => i.severity !== "medium");
  return {
    tool,
    indicators:
      serious.length > 0
        ? [...serious, ...indicators.filter((i) => i.severity === "medium").slice(0, 1)]
        : indicators.slice(0, 1),
  };
}

/** `openssl s_client`: a shell carried over TLS (GTFOBins openssl reverse-shell), file upload/download. */
function opensslClient(segment: CommandSegment): { indicators: Indicator[]; benign?: string } | undefined {
  const words = commandWords(segment.argv);
  const sub = words[1];
  if (sub !== "s_client" && sub !== "s_server") return undefined;
  const shown = quote(written(segment));
  const connect = words[words.indexOf("-connect") + 1];
  for (let node = segment.pipedFrom, k = 0; node !== undefined && k < 64; node = node.pipedFrom, k++) {
    if (runsInput(node)) {
      return {
        indicators: [
          {
            severity: "critical",
            reason: `openssl ${sub} carries an interactive shell (${quote(written(node))} | openssl ${sub})`,
          },
        ],
      };
    }
  }
  for (let node = segment.pipesTo, k = 0; node !== undefined && k < 64; node = node.pipesTo, k++) {
    if (runsInput(node)) {
      return {
        indicators: [
          {
            severity: "critical",
            reason: `what openssl ${sub} receives is run by ${quote(commandWords(node.argv)[0] ?? "a shell")} (${shown})`,
          },
        ],
      };
    }
  }
  const input = segment.redirects.find((r) => r.op === "<" && r.target !== "/dev/null");
  const output = segment.redirects.find((r) => (r.op === ">" || r.op === ">>") && r.target !== "/dev/null");
  const indicators: Indicator[] = [];
  if (input !== undefined)
    indicators.push({ severity: "high", reason: `openssl ${sub} sends a file (< ${quote(input.target)})` });
  if (output !== undefined && words.includes("-quiet")) {
    const where = suspiciousLocation(output.target, segment.cwd);
    indicators.push({
      severity: "high",
      reason: `openssl ${sub} writes what it receives into ${where?.words ?? "a file"} (> ${quote(output.target)})`,
    });
  }
  if (indicators.length > 0) return { indicators };
  if (sub === "s_server")
    return {
      indicators: [{ severity: "medium", reason: `openssl s_server listens for connections (${shown})` }],
    };
  return { indicators: [], benign: `a TLS check of ${quote(connect ?? "a server")}` };
}

const VERSION_OR_HELP = new Set(["--version", "-v", "version", "--help", "-h", "help"]);

/** Tunnel tools: each run carries traffic through a tunnel to or from outside (MITRE T1572). */
function tunnelTool(
  tool: string,
  args: string[],
  path: string | undefined,
): { indicators: Indicator[]; benign?: string } {
  if (args.length > 0 && args.every((a) => VERSION_OR_HELP.has(a)))
    return { indicators: [], benign: "only asks for its version or help" };
  const indicators: Indicator[] = [];
  const where = path === undefined ? undefined : suspiciousLocation(path);
  if (where !== undefined)
    indicators.push({ severity: "high", reason: `the tunnel tool ${quote(path!)} runs from ${where.words}` });
  if (tool === "cloudflared") {
    // A quick tunnel (`tunnel --url`, no account) is how attackers expose a container; a named tunnel
    // (`tunnel run`, `--token`) is the product's ordinary deployment.
    if (args.includes("--url") || args.some((a) => a.startsWith("--url="))) {
      indicators.push({
        severity: "high",
        reason: `cloudflared opens a quick tunnel (${quote(args.join(" "))})`,
      });
    } else
      indicators.push({
        severity: "low",
        reason: `cloudflared runs a named tunnel or proxy (${quote(args.join(" "))})`,
      });
  } else if (tool === "ngrok") {
    const kind = args.find((a) => a === "tcp" || a === "http" || a === "tls");
    indicators.push({
      severity: kind === "tcp" ? "high" : "medium",
      reason: `ngrok exposes the container${kind ? ` over ${kind}` : ""} (${quote(args.join(" "))})`,
    });
  } else {
    // chisel client … R:…, frpc -c …, gost -L … -F …, bore local 22 --to …: a tunnel or reverse proxy.
    const reverse = args.some((a) => /^R:/.test(a) || a === "--reverse");
    indicators.push({
      severity: reverse ? "critical" : "high",
      reason: `${tool} (tunnel tool) carries traffic ${reverse ? "from outside into the network (reverse tunnel)" : "through a tunnel"} (${quote(args.join(" "))})`,
    });
  }
  return { indicators };
}
