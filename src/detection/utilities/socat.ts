/**
 * socat: two addresses; `exec:`/`system:` run a command, network addresses name the hosts, file
 * addresses (GTFOBins socat file-download `open:FILE,creat`, file-upload `file:FILE`) receive or send.
 */
import type { ParsedArgs } from "../options.js";
import type { ToolFamily } from "./types.js";
import { NOT_FILES, option, quote } from "./words.js";

const SOCAT_NETWORK =
  /^(?:(?:tcp|udp|sctp|dccp)[46]?(?:-connect|-sendto|-datagram|-listen|-l|-recv|-recvfrom)?|openssl(?:-connect|-listen)?|ssl(?:-connect)?|socks[45]a?(?:-connect)?|proxy(?:-connect)?|vsock(?:-connect)?)$/;

/**
 * The file addresses of a socat invocation and which way data flows through them: with -u data goes
 * from the first address to the second, with -U the other way, else both ways. Only when the other
 * address is a network one.
 */
function socatFiles(parsed: ParsedArgs): { receives: string[]; sends: string[] } {
  const out = { receives: [] as string[], sends: [] as string[] };
  const addresses = parsed.operands.slice(0, 2).map((operand) => operand.split("!!")[0] ?? "");
  if (addresses.length < 2) return out;
  const kind = (address: string): { file?: string; network: boolean; createOnly?: boolean } => {
    const colon = address.indexOf(":");
    const type = colon === -1 ? "" : address.slice(0, colon).toLowerCase();
    if (colon === -1 || type.includes("/")) {
      // A bare path is GOPEN.
      return address.includes("/") ? { file: address.split(",")[0]!, network: false } : { network: false };
    }
    const params = address.slice(colon + 1).split(",")[0] ?? "";
    if (/^(?:open|file|gopen)$/.test(type)) return { file: params, network: false };
    // CREATE truncates its file: data only goes into it.
    if (/^creat(?:e)?$/.test(type)) return { file: params, network: false, createOnly: true };
    return { network: SOCAT_NETWORK.test(type) };
  };
  const [left, right] = [kind(addresses[0]!), kind(addresses[1]!)];
  const forward = option(parsed, "-U") === undefined;
  const backward = option(parsed, "-u") === undefined;
  const flow = (from: typeof left, to: typeof right) => {
    if (from.network && to.file !== undefined) out.receives.push(to.file);
    if (from.file !== undefined && to.network && from.createOnly !== true) out.sends.push(from.file);
  };
  if (forward) flow(left, right);
  if (backward) flow(right, left);
  return out;
}

function targets(_name: string, parsed: ParsedArgs) {
  const hosts: string[] = [];
  const via: string[] = [];
  for (const operand of parsed.operands) {
    for (const address of operand.split("!!")) {
      const colon = address.indexOf(":");
      if (colon === -1) continue;
      const type = address.slice(0, colon).toLowerCase();
      const params = address.slice(colon + 1).split(",")[0] ?? "";
      const host = /^\[([^\]]*)\]/.exec(params)?.[1] ?? params.split(":")[0] ?? "";
      if (
        /^(?:tcp|udp|sctp|dccp)[46]?(?:-connect|-sendto|-datagram)?$|^(?:openssl|ssl)(?:-connect)?$/.test(
          type,
        )
      ) {
        if (host !== "") hosts.push(host);
      } else if (/^(?:socks[45]a?|proxy)(?:-connect)?$/.test(type)) {
        if (host !== "") via.push(host);
        const target = params.split(":")[1];
        if (target !== undefined && target !== "") hosts.push(target);
      }
    }
  }
  return { hosts, via, exemptable: true };
}

export const socat: ToolFamily = {
  id: "socat",
  utilities: [
    {
      name: "socat",
      category: "relay",
      options: { singleDashLong: true, wordValued: ["-lf", "-lp", "-T", "-b", "-t"] },
    },
  ],
  executes(_name, parsed) {
    for (const operand of parsed.operands) {
      for (const address of operand.split("!!")) {
        if (/^\s*(?:exec|system|shell)\s*:/i.test(address)) return address;
      }
    }
    return undefined;
  },
  targets,
  outputs(_name, parsed, _fed, sink) {
    for (const path of socatFiles(parsed).receives) sink.file(path, path);
  },
  uploads(_name, parsed) {
    const sent = socatFiles(parsed).sends.find((path) => !NOT_FILES.has(path));
    return sent === undefined ? undefined : `sends a file (${quote(sent)})`;
  },
};
