/** Paths as a script moves between directories: `cd`, and resolving a path against where it runs. */
import { commandWords } from "./commands.js";
import type { CommandSegment } from "./segment.js";

/** Follows `cd DIR` so later commands of the same script know where they run. */
export function afterCd(segment: CommandSegment, cwd: string | undefined): string | undefined {
  const words = commandWords(segment.argv);
  if (words[0] !== "cd") return cwd;
  const target = words.slice(1).find((w) => !w.startsWith("-") || w === "-");
  if (target === undefined || target === "~") return "~";
  if (target === "-") return undefined;
  return resolvePath(cwd, target);
}

/**
 * Resolves `path` against `cwd` and removes `.`, `..` and repeated slashes. A path starting with "~"
 * stays relative to home ("~/x"). Undefined when a relative path meets an unknown directory.
 */
export function resolvePath(cwd: string | undefined, path: string): string | undefined {
  let base: string;
  let rest: string;
  if (path.startsWith("/")) {
    base = "";
    rest = path;
  } else if (path === "~" || path.startsWith("~/")) {
    base = "~";
    rest = path.slice(1);
  } else if (cwd !== undefined && cwd.length > 0) {
    const resolvedCwd = cwd === "~" || cwd.startsWith("~/") || cwd.startsWith("/") ? cwd : `/${cwd}`;
    base = resolvedCwd.startsWith("~") ? "~" : "";
    rest = `${resolvedCwd.startsWith("~") ? resolvedCwd.slice(1) : resolvedCwd}/${path}`;
  } else {
    return undefined;
  }
  const parts: string[] = [];
  for (const part of rest.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  const joined = `/${parts.join("/")}`;
  return base === "~" ? (parts.length === 0 ? "~" : `~${joined}`) : joined;
}
