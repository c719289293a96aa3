import type { Utility, UtilityCategory } from "../model.js";
import { executableName } from "../shell/index.js";
import { ENTRIES } from "./utilities/index.js";

/**
 * Every catalogued utility name with its category, derived from the tool families in utilities/ (the
 * DESIGN.md "Detection lists" anchors, plus a few extensions, each with its reason):
 * - wget2: GNU Wget2, packaged as `wget2` beside (or instead of) wget on current distributions.
 * - lftp: a scriptable FTP/HTTP/SFTP client found in many base images.
 * - ftpget, ftpput: busybox applets, the FTP download/upload tools of Alpine-style images.
 * - ncftpput: the upload half of the ncftp package (ncftp/ncftpget are anchors).
 * - mitmdump, mitmweb: the command-line and web front ends of mitmproxy.
 * - dumpcap: Wireshark's capture engine, which tshark runs and which can capture on its own.
 * Names are matched exactly, never as prefixes.
 */
export const UTILITIES: ReadonlyMap<string, UtilityCategory> = new Map(
  ENTRIES.map(({ entry }) => [entry.name, entry.category] as const),
);

/**
 * Looks a process up in the catalogue by the exact basename of `nameOrPath` (case-sensitive, like the
 * file system): "/usr/bin/curl" and "curl" match, "ncdu", "nc-helper" and "curlftpfs" do not.
 */
export function lookupUtility(nameOrPath: string): Utility | undefined {
  if (typeof nameOrPath !== "string") return undefined;
  const name = executableName(nameOrPath);
  const category = UTILITIES.get(name);
  return category === undefined ? undefined : { name, category };
}

const CATEGORY_WORDS: Readonly<Record<UtilityCategory, string>> = {
  download: "download tool",
  "remote-copy": "remote copy tool",
  dns: "DNS lookup tool",
  relay: "network relay tool",
  scanner: "network scanner",
  sniffer: "packet sniffer",
  channel: "network channel",
};

/** Plain words for a category, as used in reasons: "download tool", "packet sniffer". */
export function describeCategory(category: UtilityCategory): string {
  return CATEGORY_WORDS[category];
}

/** Catalogued names in a fixed order of preference for patterns that match several (download first). */
const NAMES_BY_PREFERENCE = [...UTILITIES.keys()];
const NAME_CHARACTERS: ReadonlySet<string> = new Set(NAMES_BY_PREFERENCE.join(""));

/**
 * The catalogued utility a shell pattern in command position expands to (`/???/???/c?rl`, `w[g]et`,
 * `/usr/bin/nc*`): the basename is matched against every catalogued name, as the shell would match it
 * against the files of a bin directory. Patterns without a literal character (`/???/???/????`) match
 * too much to name anything and give undefined.
 */
export function lookupPattern(word: string): Utility | undefined {
  if (typeof word !== "string" || word.length > 256) return undefined;
  const name = executableName(word);
  if (name.length > 64 || !/[*?[]/.test(name)) return undefined;
  const literals = name.replace(/\[[^\]]*\]/g, "").replace(/[*?]/g, "");
  if (literals.length === 0) return undefined;
  // Cheap refusal first: a literal character that no catalogued name holds rules every name out.
  for (const c of literals) if (!NAME_CHARACTERS.has(c)) return undefined;
  let source = "^";
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[") {
      const end = name.indexOf("]", i + 2);
      if (end === -1) return undefined;
      const body = name
        .slice(i + 1, end)
        .replace(/^!/, "^")
        .replace(/[\\\]]/g, "\\$&");
      source += `[${body}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  let pattern: RegExp;
  try {
    pattern = new RegExp(`${source}$`);
  } catch {
    return undefined;
  }
  const found = NAMES_BY_PREFERENCE.find((candidate) => pattern.test(candidate));
  return found === undefined ? undefined : { name: found, category: UTILITIES.get(found)! };
}

/**
 * Tunnel tools of the channel rule family (channels.ts), by executable name, with their family:
 * "saas-tunnel" for hosted tunnel agents that run as ordinary sidecars (off by default).
 */
export const TUNNEL_TOOLS: ReadonlyMap<string, "tunnel" | "saas-tunnel"> = new Map([
  ["chisel", "tunnel"],
  ["frpc", "tunnel"],
  ["frps", "tunnel"],
  ["gost", "tunnel"],
  ["bore", "tunnel"],
  ["rathole", "tunnel"],
  ["revsocks", "tunnel"],
  ["cloudflared", "saas-tunnel"],
  ["ngrok", "saas-tunnel"],
]);

/** Names the prefilter must find like utility names: the channel family's tools (openssl, tunnel tools). */
export const CHANNEL_TOOL_NAMES: readonly string[] = ["openssl", ...TUNNEL_TOOLS.keys()];

/**
 * What else the raw-text prefilter must let through, so that it never drops an event a rule family can
 * flag: a `/dev/tcp/` or `/dev/udp/` redirection, and the arguments of a utility under another name
 * (the rule's utilityByShape: curl's `-fsSL` with a URL, wget's `-qO-`, netcat's `-e /bin/sh` or
 * `-lvnp`, socat's `exec:`), in any JSON escaping. Case-sensitive on purpose, like utilityByShape.
 * Parts, as the prefilter composes them (regular-expression sources where not plain words):
 * - `options`: what follows the `-` of a shaped option (between netcat's `-e` and its shell also JSON's
 *   `\"` and `\\`, as a shell-quoted `"/bin/sh"` shows). utilityByShape reads whole arguments, so the
 *   prefilter looks for these only where an argument can start (see prefilter.ts).
 * - `addresses`: socat's address keywords, each a whole argument's start, followed by `:`.
 * - `device`: the socket device path after its first `/`, with or without JSON's `\/` escapes; found
 *   anywhere, as a redirection target needs no word boundary.
 */
export const PREFILTER_HINT = Object.freeze({
  options: String.raw`(?:[fsSLkOIi#]{3,}|q?O-|qO|[ec](?:[\s"',]|\\[nrt"\\])+(?:\\?\/(?:usr\\?\/)?bin\\?\/)?(?:ba|da|a|z|k)?sh\b|[lvnp]{3,4}\b)`,
  addresses: Object.freeze([
    ...["exec", "system", "tcp-connect", "tcp4", "tcp6", "openssl-connect"].flatMap((word) => [
      word,
      word.toUpperCase(),
    ]),
  ]),
  device: String.raw`dev\\?\/[tu][cd]p\\?\/`,
});
