import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export const ROOT = resolve(new URL("../..", import.meta.url).pathname);
export const CLI = resolve(ROOT, "dist/cli.js");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines. */
  lines: Record<string, unknown>[];
}

/** Runs the built CLI as a user would; `npm test` builds dist/ first. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, input?: string): CliRun {
  if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it)");
  // `env` overrides the test's environment; an undefined value removes the variable.
  const clean = Object.fromEntries(
    Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: clean,
    input,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = run.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, lines };
}
