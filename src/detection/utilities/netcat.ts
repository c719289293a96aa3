/** The netcats: one tool under several package names. `-e`/`-c`/`--sh-exec` run a command. */
import type { OptionSpec, ParsedArgs } from "../options.js";
import type { ToolFamily, UtilityEntry } from "./types.js";
import { hostsOf, option, options } from "./words.js";

const NETCAT_OPTIONS: OptionSpec = {
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

/** Netcat's proxy option and operands: also what telnet's arguments mean. */
export function netcatTargets(_name: string, parsed: ParsedArgs) {
  const via = hostsOf(options(parsed, "-x", "--proxy").map((o) => o.value));
  return { hosts: hostsOf(parsed.operands), via, exemptable: true };
}

const NAMES = ["nc", "nc.openbsd", "nc.traditional", "netcat", "ncat", "cryptcat"];

export const netcat: ToolFamily = {
  id: "netcat",
  utilities: NAMES.map((name): UtilityEntry => ({ name, category: "relay", options: NETCAT_OPTIONS })),
  oneTool: true,
  executes: (_name, parsed) => option(parsed, "-e", "-c", "--exec", "--sh-exec", "--lua-exec")?.written,
  targets: netcatTargets,
};
