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
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) {
    if (v !== undefined && !(k in env && env[k] === undefined)) clean[k] = v;
  }
  for (const k of Object.keys(env)) if (env[k] === undefined) delete clean[k];
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
