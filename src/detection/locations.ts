import { resolvePath } from "../shell/index.js";

/**
 * Directories any process can write to, or that hold user data: a binary there was not installed by the
 * image. /var/lock is /run/lock under another name; /dev/mqueue is a world-writable tmpfs like /dev/shm.
 */
const WRITABLE_PLACES = [
  "/tmp",
  "/var/tmp",
  "/dev/shm",
  "/dev/mqueue",
  "/run/user",
  "/var/run",
  "/var/lock",
  "/run",
  "/home",
  "/root",
];

// `/proc/self/root/tmp/x` is /tmp/x reached through the process's view of the root directory.
const PROC_ROOT = /^\/proc\/(?:self|thread-self|\d+)\/root(?=\/)/;

/**
 * Dot directories that tools create by convention and that hold the application's own executables:
 * a project's Python virtual environment (`/app/.venv/bin/python`, as uv and poetry make it) and npm's
 * `node_modules/.bin`. An application run from them is not hiding; anything under a writable place
 * stays suspicious for that reason.
 */
function isConventional(component: string, parent: string | undefined): boolean {
  return component === ".venv" || (component === ".bin" && parent === "node_modules");
}

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
  const normal = resolvePath(cwd, raw);
  if (normal === undefined) return undefined;
  const resolved = normal.replace(PROC_ROOT, "");
  if (resolved === "~" || resolved.startsWith("~/")) {
    return { kind: "writable", words: "a writable location (home directory)" };
  }
  for (const place of WRITABLE_PLACES) {
    if (resolved === place || resolved.startsWith(`${place}/`)) {
      return { kind: "writable", words: `a writable location (${place})` };
    }
  }
  const components = resolved.split("/");
  for (let i = 0; i < components.length; i++) {
    const component = components[i]!;
    if (!component.startsWith(".") || isConventional(component, components[i - 1])) continue;
    return { kind: "hidden", words: `a hidden path (${component})` };
  }
  return undefined;
}
