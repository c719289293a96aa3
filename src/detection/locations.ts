import { resolvePath } from "./command-line.js";

/** Directories any process can write to, or that hold user data: a binary there was not installed by the image. */
const WRITABLE_PLACES = ["/tmp", "/var/tmp", "/dev/shm", "/run/user", "/var/run", "/run", "/home", "/root"];

/** Why an executable's location is suspicious, in words fit for a reason: "a writable location (/tmp)". */
export interface SuspiciousLocation {
  kind: "memfd" | "deleted" | "fd" | "writable" | "hidden";
  /** Plain words: "a writable location (/tmp)", "a hidden path (.x)", "a deleted file"… */
  words: string;
}

/**
 * Classifies where an executable or an output file lies. Relative paths are resolved against `cwd`;
 * `..` cannot hide a location ("/usr/../tmp/x" is /tmp/x). Undefined for ordinary places and for
 * relative paths whose directory is unknown.
 */
export function suspiciousLocation(path: string, cwd?: string): SuspiciousLocation | undefined {
  if (typeof path !== "string" || path.length === 0) return undefined;
  const raw = path.length > 4096 ? path.slice(0, 4096) : path;
  if (raw.includes("memfd:")) return { kind: "memfd", words: "an anonymous memory file (memfd)" };
  if (raw.endsWith(" (deleted)")) return { kind: "deleted", words: "a deleted file" };
  if (/^\/(?:proc\/(?:self|\d+)\/fd|dev\/fd)\//.test(raw)) {
    return { kind: "fd", words: "a file descriptor (fileless execution)" };
  }
  if (!raw.includes("/") && !raw.startsWith("~")) return undefined;
  const resolved = resolvePath(cwd, raw);
  if (resolved === undefined) return undefined;
  if (resolved === "~" || resolved.startsWith("~/")) {
    return { kind: "writable", words: "a writable location (home directory)" };
  }
  for (const place of WRITABLE_PLACES) {
    if (resolved === place || resolved.startsWith(`${place}/`)) {
      return { kind: "writable", words: `a writable location (${place})` };
    }
  }
  for (const component of resolved.split("/")) {
    if (component.startsWith(".")) return { kind: "hidden", words: `a hidden path (${component})` };
  }
  return undefined;
}
