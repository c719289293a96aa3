/** DNS lookup tools: the names they query (and the servers they ask, `@server`), never DNS types. */
import type { OptionSpec, ParsedArgs } from "../options.js";
import type { ToolFamily } from "./types.js";
import { hostsOf, NO_TARGETS, options } from "./words.js";

const DIG_OPTIONS: OptionSpec = { valued: "bcfkpqtxy", plusOptions: true };

const DNS_TYPES = new Set(
  "a aaaa any axfr caa cname dnskey ds hinfo https ixfr mx naptr ns nsec nsec3 ptr rrsig soa spf srv sshfp svcb tlsa txt in ch hs chaos hesiod".split(
    " ",
  ),
);

function targets(name: string, parsed: ParsedArgs) {
  const operands = parsed.operands;
  // host and nslookup: NAME [SERVER].
  if (name === "host" || name === "nslookup") {
    return { ...NO_TARGETS, hosts: operands.filter((o) => o !== "-").slice(0, 2) };
  }
  const hosts: string[] = [];
  for (const operand of operands) {
    if (operand.startsWith("@")) hosts.push(...hostsOf([operand.slice(1)]));
    else if (!DNS_TYPES.has(operand.toLowerCase())) hosts.push(operand);
  }
  for (const o of options(parsed, "-q", "-x")) if (o.value !== undefined) hosts.push(o.value);
  return { ...NO_TARGETS, hosts };
}

export const dns: ToolFamily = {
  id: "dns",
  utilities: [
    { name: "nslookup", category: "dns", options: { singleDashLong: true } },
    { name: "dig", category: "dns", options: DIG_OPTIONS },
    { name: "host", category: "dns", options: { valued: "cNRtWm" } },
    { name: "drill", category: "dns", options: { valued: "bcdfikoIpqry" } },
    { name: "kdig", category: "dns", options: DIG_OPTIONS },
    { name: "delv", category: "dns", options: { valued: "abcdpqtx", plusOptions: true } },
  ],
  targets,
};
