/**
 * getopt-style reading of a utility's arguments, with per-utility tables of the options that take a
 * value. The tables only need to be right about values: an option they miss makes its value look like
 * an operand, which can only keep the loopback exemption from applying (the safe direction). Options
 * are therefore listed only when sure.
 */

/**
 * Arguments read per invocation: more than a one-megabyte log event can hold, so that no padding
 * (`nc -v -v … -e /bin/sh`) pushes a telling option out of sight. Reading is linear.
 */
export const MAX_ARGS = 512 * 1024;

export interface OptionSpec {
  /** Short option letters that take a value: the rest of the cluster (`-o/tmp/x`) or the next word. */
  valued?: string;
  /** Long options (with their dashes) that take the next word as value unless written `--opt=value`. */
  longValued?: readonly string[];
  /** Whole words that take the next word as value (`nmap -oN file`, `socat -lf file`). */
  wordValued?: readonly string[];
  /** Every `-word` is one option, possibly `-name=value` (nslookup, naabu, socat). */
  singleDashLong?: boolean;
  /** `+word` arguments are options too (dig query options). */
  plusOptions?: boolean;
  /** An option after which everything is that option's (tftp-hpa `-c get file`). */
  restOf?: string;
}

export interface ParsedOption {
  /** With dashes: "-o", "--output", "+short". */
  name: string;
  value?: string;
  /** The option as written, for reasons: "-o /tmp/x", "--output-document=/tmp/x". */
  written: string;
}

export interface ParsedArgs {
  options: ParsedOption[];
  operands: string[];
}

/** Reads `args` (argv without argv[0]) against `spec`. Never throws; reads at most {@link MAX_ARGS} words. */
export function parseArgs(args: readonly string[], spec: OptionSpec): ParsedArgs {
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  const words = args.length > MAX_ARGS ? args.slice(0, MAX_ARGS) : args;
  const valued = spec.valued ?? "";
  let ended = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (typeof word !== "string") continue;
    const plus = spec.plusOptions === true && word.startsWith("+") && word.length > 1;
    if (ended || !((word.startsWith("-") && word.length > 1) || plus)) {
      operands.push(word);
      continue;
    }
    if (word === "--") {
      ended = true;
      continue;
    }
    if (spec.restOf !== undefined && word === spec.restOf) {
      const rest = words.slice(i + 1).join(" ");
      options.push({ name: word, value: rest, written: `${word} ${rest}` });
      break;
    }
    if (plus) {
      const eq = word.indexOf("=");
      options.push(
        eq === -1
          ? { name: word, written: word }
          : { name: word.slice(0, eq), value: word.slice(eq + 1), written: word },
      );
      continue;
    }
    if (spec.wordValued?.includes(word)) {
      options.push(withNextWord(word, words[++i]));
      continue;
    }
    if (word.startsWith("--") || spec.singleDashLong === true) {
      const eq = word.indexOf("=");
      if (eq !== -1) {
        options.push({ name: word.slice(0, eq), value: word.slice(eq + 1), written: word });
      } else if (spec.longValued?.includes(word)) {
        options.push(withNextWord(word, words[++i]));
      } else {
        options.push({ name: word, written: word });
      }
      continue;
    }
    for (let k = 1; k < word.length; k++) {
      const letter = word[k]!;
      if (!valued.includes(letter)) {
        options.push({ name: `-${letter}`, written: `-${letter}` });
        continue;
      }
      const rest = word.slice(k + 1);
      if (rest.length > 0) {
        options.push({ name: `-${letter}`, value: rest, written: `-${letter}${rest}` });
      } else {
        options.push(withNextWord(`-${letter}`, words[++i]));
      }
      break;
    }
  }
  return { options, operands };
}

/** An option whose value is the next word (missing at the end of the list). */
function withNextWord(name: string, value: string | undefined): ParsedOption {
  return value === undefined ? { name, written: name } : { name, value, written: `${name} ${value}` };
}

const CURL: OptionSpec = {
  valued: "AbcCdDeEFHKmoPQrtTuUwxXyYz",
  longValued: [
    "--url",
    "--output",
    "--output-dir",
    "--upload-file",
    "--data",
    "--data-ascii",
    "--data-binary",
    "--data-raw",
    "--data-urlencode",
    "--json",
    "--form",
    "--form-string",
    "--header",
    "--proxy",
    "--preproxy",
    "--proxy-user",
    "--proxy-header",
    "--socks4",
    "--socks4a",
    "--socks5",
    "--socks5-hostname",
    "--user",
    "--user-agent",
    "--referer",
    "--cookie",
    "--cookie-jar",
    "--connect-to",
    "--resolve",
    "--max-time",
    "--connect-timeout",
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "--cacert",
    "--capath",
    "--cert",
    "--cert-type",
    "--key",
    "--key-type",
    "--pass",
    "--request",
    "--write-out",
    "--config",
    "--interface",
    "--dns-servers",
    "--doh-url",
    "--range",
    "--continue-at",
    "--dump-header",
    "--limit-rate",
    "--max-filesize",
    "--max-redirs",
    "--oauth2-bearer",
    "--proto",
    "--proto-redir",
    "--proto-default",
    "--quote",
    "--stderr",
    "--trace",
    "--trace-ascii",
    "--local-port",
    "--speed-limit",
    "--speed-time",
    "--time-cond",
    "--telnet-option",
    "--ftp-port",
    "--mail-from",
    "--mail-rcpt",
    "--netrc-file",
    "--noproxy",
    "--unix-socket",
    "--abstract-unix-socket",
    "--aws-sigv4",
    "--variable",
  ],
};

const WGET: OptionSpec = {
  valued: "aABDeiIlnoOPQRtTUwXY",
  longValued: [
    "--output-document",
    "--output-file",
    "--append-output",
    "--execute",
    "--input-file",
    "--base",
    "--tries",
    "--timeout",
    "--wait",
    "--quota",
    "--user-agent",
    "--level",
    "--accept",
    "--reject",
    "--domains",
    "--exclude-domains",
    "--directory-prefix",
    "--post-data",
    "--post-file",
    "--body-data",
    "--body-file",
    "--method",
    "--header",
    "--user",
    "--password",
    "--http-user",
    "--http-password",
    "--proxy-user",
    "--proxy-password",
    "--referer",
    "--load-cookies",
    "--save-cookies",
    "--ca-certificate",
    "--certificate",
    "--private-key",
    "--bind-address",
    "--limit-rate",
    "--dns-timeout",
    "--connect-timeout",
    "--read-timeout",
    "--config",
    "--include-directories",
    "--exclude-directories",
    "--proxy",
    "--use-askpass",
  ],
};

const NETCAT: OptionSpec = {
  valued: "cegGiImMoOpPqsTVwWxX",
  longValued: [
    "--exec",
    "--sh-exec",
    "--lua-exec",
    "--source-port",
    "--source",
    "--wait",
    "--idle-timeout",
    "--delay",
    "--proxy",
    "--proxy-type",
    "--proxy-auth",
    "--proxy-dns",
    "--output",
    "--hex-dump",
    "--max-conns",
    "--allow",
    "--allowfile",
    "--deny",
    "--denyfile",
    "--ssl-cert",
    "--ssl-key",
    "--ssl-trustfile",
    "--ssl-ciphers",
    "--ssl-servername",
    "--ssl-alpn",
  ],
};

const DIG: OptionSpec = { valued: "bcfkpqtxy", plusOptions: true };
const RSYNC_LONG = [
  "--rsh",
  "--exclude",
  "--include",
  "--exclude-from",
  "--include-from",
  "--files-from",
  "--filter",
  "--password-file",
  "--port",
  "--chmod",
  "--chown",
  "--backup-dir",
  "--suffix",
  "--temp-dir",
  "--compare-dest",
  "--copy-dest",
  "--link-dest",
  "--log-file",
  "--partial-dir",
  "--bwlimit",
  "--timeout",
  "--max-size",
  "--min-size",
  "--rsync-path",
  "--out-format",
  "--address",
];

const SPECS: ReadonlyMap<string, OptionSpec> = new Map<string, OptionSpec>([
  ["curl", CURL],
  ["wget", WGET],
  ["wget2", WGET],
  ["aria2c", { valued: "dojsxki", longValued: ["--dir", "--out", "--input-file"] }],
  ["axel", { valued: "snoHU", longValued: ["--output", "--header", "--user-agent"] }],
  ["tftp", { valued: "lrbmR", restOf: "-c" }],
  ["ftp", { valued: "Ps" }],
  ["ncftp", { valued: "uUpPjdtf" }],
  ["ncftpget", { valued: "uUpPjdtf" }],
  ["ncftpput", { valued: "uUpPjdtf" }],
  ["ftpget", { valued: "uPp" }],
  ["ftpput", { valued: "uPp" }],
  ["lftp", { valued: "eupfc" }],
  ["whois", { valued: "hpiTsgqtv" }],
  ["scp", { valued: "cFiJlPSoDX" }],
  ["sftp", { valued: "BbcDFiJlPRosS" }],
  ["rsync", { valued: "eBfTM", longValued: RSYNC_LONG }],
  ["dig", DIG],
  ["kdig", DIG],
  ["delv", { valued: "abcdpqtx", plusOptions: true }],
  ["drill", { valued: "bcdfikoIpqry" }],
  ["host", { valued: "cNRtWm" }],
  ["nslookup", { singleDashLong: true }],
  ["nc", NETCAT],
  ["nc.openbsd", NETCAT],
  ["nc.traditional", NETCAT],
  ["netcat", NETCAT],
  ["ncat", NETCAT],
  ["cryptcat", NETCAT],
  ["telnet", { valued: "belnSXk" }],
  ["socat", { singleDashLong: true, wordValued: ["-lf", "-lp", "-T", "-b", "-t"] }],
  [
    "nmap",
    {
      valued: "pegSDb",
      wordValued: [
        "-iL",
        "-iR",
        "-oN",
        "-oX",
        "-oS",
        "-oG",
        "-oA",
        "--script",
        "--script-args",
        "--top-ports",
      ],
      longValued: [
        "--exclude",
        "--excludefile",
        "--source-port",
        "--data-length",
        "--max-rate",
        "--min-rate",
      ],
    },
  ],
  ["masscan", { valued: "pcoi", longValued: ["--ports", "--rate", "--range", "--excludefile", "--exclude"] }],
  ["hping3", { valued: "cipsdtwaEe" }],
  ["nping", { valued: "cpgSe" }],
  ["fping", { valued: "bBcCHiIOpQrSt" }],
  ["zmap", { valued: "pobBrnNiISGwcTMOf" }],
  [
    "rustscan",
    { valued: "aprbtu", longValued: ["--addresses", "--ports", "--range", "--batch-size", "--timeout"] },
  ],
  [
    "naabu",
    { singleDashLong: true, wordValued: ["-host", "-list", "-p", "-port", "-top-ports", "-o", "-output"] },
  ],
  ["tcpdump", { valued: "BcCDEFGiMmrstTVwWyzZ" }],
]);

const NO_SPEC: OptionSpec = {};

/** The option table of a catalogued utility (an empty table for utilities without one). */
export function specFor(utility: string): OptionSpec {
  return SPECS.get(utility) ?? NO_SPEC;
}
