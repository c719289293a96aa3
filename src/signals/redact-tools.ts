/**
 * Which options hold a secret for which program: `-p` is a password for sshpass, hydra or mongosh but a
 * port for nc, ssh and smbclient, so the option table is keyed by program, and a free text is read with
 * the program each option belongs to (CommandContext). The generic text masks are in redact.ts.
 */
import { isInterpreter, isShell, MULTICALL_BINARIES } from "../shell/index.js";
import { maskAfter, maskValue } from "./redact-mask.js";

/**
 * socat(1) address types and their short aliases. `socat -u TCP:host:80 -` names an address after its
 * unidirectional flag, which reads like `-u user:password`; only socat gets that reading.
 */
const SOCAT_ADDRESS_TYPE =
  /^(?:(?:tcp|udp|udplite|sctp|dccp)[46]?(?:-(?:connect|listen|l|sendto|recvfrom|recv|datagram))?|(?:openssl|ssl)(?:-(?:connect|listen|l|dtls-client|dtls-server))?|dtls(?:-l)?|ip[46]?(?:-(?:sendto|recvfrom|recv|datagram))?|(?:unix|abstract)(?:-(?:connect|listen|l|sendto|recvfrom|recv|client))?|local|vsock(?:-(?:connect|listen|l))?|socket-(?:connect|listen|sendto|recvfrom|recv|datagram)|socks(?:4a?|5)?(?:-(?:connect|listen))?|proxy(?:-connect)?|exec|system|shell|open|gopen|create?|file|pipe|fd|accept-fd|pty|readline|stdio|stdin|stdout|stderr|tun|interface|posixmq-(?:read|receive|send|bidirectional))$/i;

/** socat's own `-u`/`-U` followed by one of its addresses (`TCP:host:80`), given the tool. */
export function isSocatAddress(tool: string, option: string, value: string): boolean {
  if (tool !== "socat" || (option !== "-u" && option !== "-U")) return false;
  const colon = value.indexOf(":");
  return colon > 0 && SOCAT_ADDRESS_TYPE.test(value.slice(0, colon));
}

/** How the value of a tool's secret option is masked; returns `value` when it holds no secret. */
export type Masker = (value: string) => string;
const maskWhole: Masker = maskValue;
const maskAfterPercent: Masker = (value) => maskAfter(value, "%");
const maskAfterColon: Masker = (value) => maskAfter(value, ":");
/** openssl `-passin pass:secret`; `file:`, `env:`, `fd:` and `stdin` only say where the secret is. */
const maskPassPrefix: Masker = (value) => (/^["']?pass:/i.test(value) ? maskAfter(value, ":") : value);
/** curl `-b name=value; …` is cookie data; `-b file` is a cookie jar. */
export const maskCookieData: Masker = (value) => (value.includes("=") ? maskValue(value) : value);

const MYSQL_TOOLS = [
  "mysql",
  "mysqldump",
  "mysqladmin",
  "mysqlimport",
  "mysqlshow",
  "mysqlcheck",
  "mysqlpump",
  "mysqlslap",
  "mysqlbinlog",
  "mariadb",
  "mariadb-dump",
  "mariadb-admin",
  "mariadb-import",
  "mariadb-show",
  "mariadb-check",
  "mariadb-slap",
  "mariadb-binlog",
];
const MONGO_TOOLS = [
  "mongo",
  "mongosh",
  "mongodump",
  "mongorestore",
  "mongoexport",
  "mongoimport",
  "mongostat",
];
const NCFTP_TOOLS = ["ncftp", "ncftpget", "ncftpput", "ncftpls", "ncftpbatch"];
const LOGIN_TOOLS = ["hydra", "medusa", "nxc", "netexec", "crackmapexec", "cme", "smbmap", "evil-winrm"];
const LDAP_TOOLS = [
  "ldapsearch",
  "ldapadd",
  "ldapmodify",
  "ldapdelete",
  "ldapwhoami",
  "ldappasswd",
  "ldapcompare",
];
const SAMBA_TOOLS = ["smbclient", "rpcclient", "smbcacls", "smbget", "smbtree"];
const REDIS_TOOLS = ["redis-cli", "valkey-cli", "keydb-cli"];
/** Container registry clients whose `login` subcommand takes `-p password` (`docker run -p` is a port). */
const REGISTRY_CLIS = new Set([
  "docker",
  "podman",
  "nerdctl",
  "finch",
  "buildah",
  "skopeo",
  "helm",
  "oras",
  "crane",
]);
/** What `… login` of a registry client is called here: a program of its own, with its own options. */
const REGISTRY_LOGIN = "registry-login";

/**
 * Options whose value is a secret only for some programs: `-p` is a password for sshpass, hydra or
 * mongosh but a port for nc, ssh and smbclient; mysql reads it only glued (`-psecret`; `-p db`
 * prompts and names a database). `next` masks the following word (or `--long=value`), `glued` the
 * rest of a one-letter option's word.
 */
const TOOL_OPTIONS: readonly {
  tools: readonly string[];
  options: string[];
  next?: Masker;
  glued?: Masker;
}[] = [
  { tools: ["sshpass", ...LOGIN_TOOLS, ...MONGO_TOOLS, ...NCFTP_TOOLS], options: ["-p"], next: maskWhole },
  { tools: ["sshpass", ...MYSQL_TOOLS, "7z", "7za", "7zr"], options: ["-p"], glued: maskWhole },
  { tools: REDIS_TOOLS, options: ["-a"], next: maskWhole, glued: maskWhole },
  { tools: LDAP_TOOLS, options: ["-w"], next: maskWhole, glued: maskWhole },
  { tools: ["sqlcmd", "bcp"], options: ["-P"], next: maskWhole, glued: maskWhole },
  { tools: ["zip", "unzip"], options: ["-P"], next: maskWhole },
  { tools: [REGISTRY_LOGIN], options: ["-p", "--password"], next: maskWhole, glued: maskWhole },
  { tools: SAMBA_TOOLS, options: ["-U", "--user"], next: maskAfterPercent, glued: maskAfterPercent },
  { tools: ["openssl"], options: ["-passin", "-passout"], next: maskPassPrefix },
  { tools: ["openssl"], options: ["-k", "-K"], next: maskWhole },
  { tools: ["curl"], options: ["-b"], next: maskCookieData },
  { tools: ["curl"], options: ["-E", "--cert", "--proxy-cert"], next: maskAfterColon },
];

/** tool → option → maskers. */
export const TOOL_OPTION_INDEX = new Map<string, Map<string, { next?: Masker; glued?: Masker }>>();
for (const { tools, options, next, glued } of TOOL_OPTIONS) {
  for (const tool of tools) {
    const byOption = TOOL_OPTION_INDEX.get(tool) ?? new Map<string, { next?: Masker; glued?: Masker }>();
    for (const option of options) {
      const maskers = byOption.get(option) ?? {};
      if (next) maskers.next = next;
      if (glued) maskers.glued = glued;
      byOption.set(option, maskers);
    }
    TOOL_OPTION_INDEX.set(tool, byOption);
  }
}

/**
 * Programs whose name, met as a word, starts a new program's options: the tools above, socat, and
 * what commonly runs or is run by them (`sshpass -p x ssh -p 2222` — the second `-p` is ssh's), with
 * the wrappers that do; shells, interpreters and busybox come from src/shell (see knownProgram). The
 * wrappers stay a list of their own: every name here switches the option context, so it holds only
 * those seen running the tools above, not every wrapper the shell reader skips.
 */
const KNOWN_PROGRAMS = new Set([
  ...TOOL_OPTION_INDEX.keys(),
  "socat",
  ...REGISTRY_CLIS,
  "ssh",
  "scp",
  "sftp",
  "rsync",
  "nc",
  "ncat",
  "netcat",
  "curl",
  "wget",
  "telnet",
  "ftp",
  "lftp",
  "nmap",
  "git",
  "docker",
  "kubectl",
  "aws",
  "psql",
  "sudo",
  "doas",
  "su",
  "env",
  "timeout",
  "nohup",
  "nice",
  "exec",
  "xargs",
  "setsid",
  "stdbuf",
]);

/** A program's basename, lower-cased. */
export function toolName(program: string): string {
  return (program.split("/").pop() ?? "").toLowerCase();
}

/**
 * The program a word names, if it is a known one (`/usr/bin/socat`, `"mysql`), given the program
 * before it (`docker` then `login` is the registry login); "" otherwise.
 */
export function knownProgram(word: string, before = ""): string {
  // Options are never programs; most words of a hostile command line are options.
  if (word.startsWith("-")) return "";
  const bare = word.replace(/^["']+|["']+$/g, "");
  if (!/^[\w./+-]+$/.test(bare)) return "";
  if (bare === "login" && REGISTRY_CLIS.has(before)) return REGISTRY_LOGIN;
  const name = toolName(bare);
  // Shells, interpreters and multi-call binaries are the shell reader's own lists (src/shell).
  const known =
    KNOWN_PROGRAMS.has(name) || isShell(name) || isInterpreter(name) || MULTICALL_BINARIES.has(name);
  return known ? name : "";
}

// Shell words and the characters that end one command (pipes, lists, subshells, substitutions).
const COMMAND_WORD = /[|;&(){}`]|[^\s|;&(){}`]+/g;

/**
 * Which program the options at a place in a free text (a `sh -c` payload) belong to: the last known
 * program named since the last `|`, `;`, `&`, `(`, `{` or backtick. Reads left to right, each call
 * continuing where the previous one stopped, so a whole text costs one pass.
 */
export class CommandContext {
  private at = 0;
  private program = "";
  constructor(private readonly text: string) {}

  /** The program at `offset` ("" when none is known); offsets must not decrease. */
  programAt(offset: number): string {
    COMMAND_WORD.lastIndex = this.at;
    for (let m = COMMAND_WORD.exec(this.text); m && m.index < offset; m = COMMAND_WORD.exec(this.text)) {
      const word = m[0];
      if (word.length === 1 && "|;&(){}`".includes(word)) this.program = "";
      else this.program = knownProgram(word, this.program) || this.program;
      this.at = m.index + word.length;
    }
    return this.program;
  }
}

/** The masker for `option` of `tool` in the given form, if that option holds a secret for it. */
export function toolOption(tool: string, option: string, form: "next" | "glued"): Masker | undefined {
  return TOOL_OPTION_INDEX.get(tool)?.get(option)?.[form];
}
